from django.contrib import admin

from opsdesk.common.admin import ReadOnlyAdmin
from opsdesk.tasks.models import Task


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ("title", "priority", "status", "due_at", "assignee")
    list_filter = ("status", "priority")
