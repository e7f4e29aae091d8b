"""Partner platforms (the portals that send applications) and the statuses pushed to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.cases.models import Case
from opsdesk.common import ids


class PartnerPlatform(models.Model):
    """A partner platform with its own API credentials (tokens of `user`) and status webhook."""

    id = models.CharField(primary_key=True, max_length=32, default=ids.partner_id, editable=False)
    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    # The integration user its API tokens belong to.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_platform"
    )
    # How statuses reach it: a key of opsdesk.partners.adapters ("webhook" by default).
    adapter = models.CharField(max_length=40, default="webhook")
    webhook_url = models.URLField(blank=True)  # status pushes are POSTed here
    webhook_secret = models.CharField(max_length=64, blank=True)  # signs them (HMAC-SHA256)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class PushState(models.TextChoices):
    PENDING = "PENDING", _("Sending to the partner")
    DELIVERED = "DELIVERED", _("Delivered")
    FAILED = "FAILED", _("Gave up (can be retried)")
    NO_WEBHOOK = "NO_WEBHOOK", _("Partner has no webhook")


class StatusPush(models.Model):
    """One status change told to a partner platform, and how that went."""

    id = models.CharField(
        primary_key=True, max_length=32, default=ids.status_push_id, editable=False
    )
    partner = models.ForeignKey(PartnerPlatform, on_delete=models.PROTECT, related_name="pushes")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_pushes")
    reference = models.CharField(max_length=100)  # the partner's own reference (application ref)
    subject = models.CharField(max_length=100, blank=True)  # e.g. a traveller; "" = the case
    status = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)  # the JSON document the partner receives
    state = models.CharField(max_length=10, choices=PushState.choices)
    attempts = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)  # of the last answer
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "status pushes"
        indexes = [
            models.Index(fields=["case", "created_at"]),
            models.Index(fields=["state", "created_at"]),
        ]

    def __str__(self) -> str:
        subject = f"/{self.subject}" if self.subject else ""
        return f"{self.reference}{subject} -> {self.status} ({self.state})"
