from django.contrib import admin

from opsdesk.cases.models import Case, Flag, PlaybookVersion, TimelineEvent
from opsdesk.common.admin import ReadOnlyAdmin


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(ReadOnlyAdmin):
    list_display = ("key", "version", "title", "active", "loaded_at")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "state", "status", "agent", "opened_at")
    list_filter = ("status", "state")
    search_fields = ("number", "id")


admin.site.register(Flag, ReadOnlyAdmin)
admin.site.register(TimelineEvent, ReadOnlyAdmin)
