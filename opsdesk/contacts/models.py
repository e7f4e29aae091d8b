"""A contact: one call or message from a customer about a ticket (a service-order
case), with the script's path and the disposition it was closed with."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.cases.models import Case
from opsdesk.common import ids
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer
from opsdesk.staff.models import Agent


def contact_id() -> str:
    return ids.new_id("con")


class ContactChannel(models.TextChoices):
    CALL = "CALL", _("Call")
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    EMAIL = "EMAIL", _("Email")


class ContactStatus(models.TextChoices):
    OPEN = "OPEN", _("Open")
    CLOSED = "CLOSED", _("Closed")


class Contact(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=contact_id, editable=False)
    # The contact's own case, under the contact desk's playbook.
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="contact")
    ticket = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="contacts")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contacts")
    channel = models.CharField(max_length=10, choices=ContactChannel.choices)
    reason = models.CharField(max_length=64, blank=True)  # the script key
    answers = models.JSONField(default=dict)  # {step: answer key}
    path = models.JSONField(default=list)  # [{node, kind, branch, answer}] at close
    tag = models.CharField(max_length=300, blank=True)
    resolution = models.CharField(max_length=12, blank=True)  # resolved / unresolved / ""
    remarks = models.TextField(blank=True)
    action = models.CharField(max_length=20, blank=True)
    preferred_at = models.DateTimeField(null=True, blank=True)
    safety = models.BooleanField(default=False)
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    # Facts at close, from the playbook's computed values of the same names.
    spd_breached = models.BooleanField(null=True, blank=True)
    within_warranty = models.BooleanField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ContactStatus.choices, default=ContactStatus.OPEN
    )
    # The customer's WhatsApp or email the contact answers (none for a call).
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="contact"
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "closed_at"]),
            models.Index(fields=["tag"]),
            models.Index(fields=["ticket"]),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"
