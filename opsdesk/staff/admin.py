from django.contrib import admin

from opsdesk.staff.models import Agent, BusinessCalendar, Team


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "subdivision", "timezone", "day_start", "day_end")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "calendar")


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "team", "languages", "service_types", "capacity", "active")
    list_filter = ("role", "team", "active")
    readonly_fields = ("open_cases",)  # kept in step by the case services
