"""Sales channels and the service orders they send, and orders handed back to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opsdesk.cases.models import Case
from opsdesk.common import ids
from opsdesk.customers.models import Customer
from opsdesk.staff.models import Team


class ChannelKind(models.TextChoices):
    TELESALES = "TELESALES", _("Telesales")
    EMAIL = "EMAIL", _("Email")
    PORTAL = "PORTAL", _("Partner portal")
    API = "API", _("Other integration")


class SalesChannel(models.Model):
    """A sales channel with its own API credentials (tokens of `user`) and hand-back webhook."""

    id = models.CharField(primary_key=True, max_length=32, default=ids.channel_id, editable=False)
    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=ChannelKind.choices, default=ChannelKind.API)
    # The integration user its API tokens belong to.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales_channel"
    )
    playbook_key = models.CharField(max_length=64, default="service-order")
    webhook_url = models.URLField(blank=True)  # hand-backs are POSTed here
    webhook_secret = models.CharField(max_length=64, blank=True)  # signs them (HMAC-SHA256)
    inbound_email = models.EmailField(blank=True)  # orders mailed to this address
    # Who may mail orders: addresses or "@domain"; empty: anyone who knows the address.
    email_senders = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One channel per intake address, or mail could not be routed.
            models.UniqueConstraint(
                fields=["inbound_email"],
                condition=~models.Q(inbound_email=""),
                name="channel_inbound_email_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def accepts_email_from(self, address: str) -> bool:
        address = address.strip().lower()
        domain = "@" + address.rpartition("@")[2]
        allowed = {s.strip().lower() for s in self.email_senders}
        return not allowed or address in allowed or domain in allowed


class OrderStatus(models.TextChoices):
    INELIGIBLE = "INELIGIBLE", _("Ineligible")  # returned to the channel with the failed checks
    # No classification rule fits: a person routes it.
    EXCEPTION = "EXCEPTION", pgettext_lazy("status", "Awaiting manual routing")
    ACCEPTED = "ACCEPTED", _("Accepted")  # a case runs it
    HANDED_BACK = "HANDED_BACK", _("Handed back")
    CLOSED = "CLOSED", _("Closed")


class ServiceOrder(models.Model):
    id = models.CharField(
        primary_key=True, max_length=32, default=ids.service_order_id, editable=False
    )
    channel = models.ForeignKey(SalesChannel, on_delete=models.PROTECT, related_name="orders")
    external_ref = models.CharField(max_length=100)  # the channel's own order number
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="service_orders")
    service_type = models.CharField(max_length=50)
    customer_type = models.CharField(max_length=30)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    documents = models.JSONField(default=list)  # [{"type": str, "valid_until": "YYYY-MM-DD"}]
    notes = models.TextField(blank=True)
    extra = models.JSONField(default=dict)  # the playbook's own fields
    # Outcome of intake.
    status = models.CharField(max_length=12, choices=OrderStatus.choices)
    zone = models.CharField(max_length=64, blank=True)
    priority = models.CharField(max_length=8, default="MEDIUM")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    rule = models.CharField(max_length=64, blank=True)  # the classification rule that routed it
    failed_checks = models.JSONField(default=list)  # [{"check": str, "message": str}]
    case = models.OneToOneField(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="service_order"
    )
    received_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            # A channel that retries with the same reference creates nothing twice.
            models.UniqueConstraint(fields=["channel", "external_ref"], name="order_channel_ref")
        ]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["channel", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.external_ref}"


class HandBackStatus(models.TextChoices):
    PENDING = "PENDING", _("Notifying the channel")
    ACKNOWLEDGED = "ACKNOWLEDGED", _("Acknowledged")
    NO_WEBHOOK = "NO_WEBHOOK", _("Channel has no webhook (visible through the API)")
    FAILED = "FAILED", _("Gave up notifying")


class HandBack(models.Model):
    """An order returned to its sales channel, with the reason."""

    id = models.CharField(primary_key=True, max_length=32, default=ids.hand_back_id, editable=False)
    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="hand_backs")
    reason = models.TextField()
    status = models.CharField(max_length=14, choices=HandBackStatus.choices)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.order} handed back: {self.reason[:40]}"
