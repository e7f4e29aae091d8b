from django.contrib import admin

from opsdesk.comms.models import Message
from opsdesk.common.admin import ReadOnlyAdmin


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "channel", "direction", "template", "status", "created_at")
    list_filter = ("channel", "direction", "status")
