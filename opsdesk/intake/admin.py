"""Requests: read-only; they are written by request_receive only."""

from __future__ import annotations

from django.contrib import admin

from opsdesk.common.admin import ReadOnlyAdmin
from opsdesk.intake.models import Request


@admin.register(Request)
class RequestAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "channel", "customer", "case", "created_by")
    list_filter = ("channel",)
