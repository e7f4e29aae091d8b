"""A customer's request: how it came in (phone, web form, WhatsApp, email) and
what was said. One request opens one case under a `request.received` playbook;
the playbook reads it as `intake` (opsdesk.intake.context)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.cases.models import Case
from opsdesk.common import ids
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer


def request_id() -> str:
    # Kept here rather than in common.ids: only this app names requests.
    return ids.new_id("req")


class RequestChannel(models.TextChoices):
    PHONE = "PHONE", _("Phone (entered by staff)")
    WEB = "WEB", _("Web form")
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    EMAIL = "EMAIL", _("Email")


class Request(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=request_id, editable=False)
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="request")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="requests")
    channel = models.CharField(max_length=10, choices=RequestChannel.choices)
    # The message or email body as received, or the notes of the staff member who took it.
    text = models.TextField(blank=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField()
    created_by = models.CharField(max_length=100)  # the actor's label

    class Meta:
        indexes = [models.Index(fields=["customer", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.channel} request {self.pk}"
