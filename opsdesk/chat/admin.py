"""Chat channels and posts: read-only (channels are set with `opsdesk chat channel`)."""

from __future__ import annotations

from django.contrib import admin

from opsdesk.chat.models import ChatChannel, ChatPost
from opsdesk.common.admin import ReadOnlyAdmin


@admin.register(ChatChannel)
class ChatChannelAdmin(ReadOnlyAdmin):
    list_display = ("name", "adapter", "webhook_url", "active", "updated_at")
    list_filter = ("active", "adapter")
    search_fields = ("name",)


@admin.register(ChatPost)
class ChatPostAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "channel_name",
        "case",
        "state",
        "attempts",
        "last_error",
        "delivered_at",
    )
    list_filter = ("state", "channel_name")
    search_fields = ("channel_name", "case__number", "text")
