from django.contrib import admin

from opsdesk.common.admin import ReadOnlyAdmin
from opsdesk.comms.models import Message


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "channel", "direction", "template", "status", "created_at")
    list_filter = ("channel", "direction", "status")
