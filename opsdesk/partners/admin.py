"""Partner platforms and status pushes: read-only; a FAILED push can be sent again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from opsdesk.common.actors import Actor
from opsdesk.common.admin import ReadOnlyAdmin
from opsdesk.common.errors import DomainError
from opsdesk.partners.models import PartnerPlatform, StatusPush
from opsdesk.partners.services import status_push_retry


@admin.register(PartnerPlatform)
class PartnerPlatformAdmin(ReadOnlyAdmin):
    list_display = ("key", "name", "adapter", "webhook_url", "active", "created_at")
    list_filter = ("active", "adapter")
    exclude = ("webhook_secret",)


@admin.register(StatusPush)
class StatusPushAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "partner",
        "case",
        "reference",
        "subject",
        "status",
        "state",
        "attempts",
        "http_status",
        "last_error",
        "delivered_at",
    )
    list_filter = ("state", "partner")
    search_fields = ("reference", "case__number")
    actions = ["retry"]

    @admin.action(description="Send the selected FAILED pushes again")
    def retry(self, request: HttpRequest, queryset: QuerySet[StatusPush]) -> None:
        actor = Actor.of_user(request.user)
        sent = 0
        for push_id in queryset.values_list("pk", flat=True):
            try:
                status_push_retry(push_id, actor)
                sent += 1
            except DomainError as exc:
                self.message_user(request, str(exc), messages.WARNING)
        self.message_user(request, f"{sent} push(es) queued again")
