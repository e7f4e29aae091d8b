from django.contrib import admin

from opsdesk.common.admin import ReadOnlyAdmin
from opsdesk.runtime.models import OutboxItem, Timer


@admin.register(OutboxItem)
class OutboxItemAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status", "kind")


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "name", "due_at", "status")
    list_filter = ("status", "name")
