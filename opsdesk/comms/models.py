"""The communications log: every message in or out, on any channel."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.cases.models import Case
from opsdesk.common import ids
from opsdesk.customers.models import Customer


class Channel(models.TextChoices):
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    SMS = "SMS", _("SMS")
    EMAIL = "EMAIL", _("Email")
    VOICE = "VOICE", _("Voice")
    PHONE = "PHONE", _("Phone call")
    PORTAL = "PORTAL", _("Portal")


class Direction(models.TextChoices):
    INBOUND = "INBOUND", _("Inbound")
    OUTBOUND = "OUTBOUND", _("Outbound")


class DeliveryStatus(models.TextChoices):
    QUEUED = "QUEUED", _("Queued")  # in the outbox, not yet handed to the provider
    SENT = "SENT", _("Sent")  # accepted by the provider
    DELIVERED = "DELIVERED", _("Delivered")
    READ = "READ", _("Read")
    FAILED = "FAILED", _("Failed")
    UNKNOWN = "UNKNOWN", _("Unknown")  # a worker died mid-send; check before resending
    RECEIVED = "RECEIVED", _("Received")  # inbound
    LOGGED = "LOGGED", _("Logged by staff")  # happened outside opsdesk, recorded by hand


class Message(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ids.message_id, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="messages")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    template = models.CharField(max_length=64, blank=True)  # playbook template key
    language = models.CharField(max_length=8, blank=True)
    to_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    whatsapp_template = models.CharField(max_length=100, blank=True)
    whatsapp_params = models.JSONField(default=list)
    whatsapp_buttons = models.JSONField(default=list)  # quick-reply payloads
    # Email attachments: [{"name", "content_type", "storage_path"}], read from Django's
    # storage by the SMTP adapter when it sends.
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    provider_message_id = models.CharField(max_length=128, blank=True, db_index=True)
    error = models.TextField(blank=True)
    actor = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["customer", "-created_at"])]
        constraints = [
            # A provider's retry (or two deliveries at once) of an inbound message is
            # recorded once: comms.services.message_receive relies on it.
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"],
                condition=models.Q(direction="INBOUND") & ~models.Q(provider_message_id=""),
                name="message_inbound_provider_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.direction} {self.template or self.pk}"
