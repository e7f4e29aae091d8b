"""Customers, their orders and the documents they provide."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.common import ids


class Source(models.TextChoices):
    APP_WEB = "APP_WEB", _("App / web onboarding")
    STAFF = "STAFF", _("Created by staff")
    API = "API", _("Integration API")
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    REFERRAL = "REFERRAL", _("Referral")


class PriorityTier(models.TextChoices):
    REPEAT = "repeat", _("Repeat client")
    CORPORATE = "corporate", _("Corporate client")


class Customer(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ids.customer_id, editable=False)
    # Name as printed in the passport.
    given_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100)
    phone = models.CharField(max_length=20, blank=True, db_index=True)  # E.164 or empty
    phone_raw = models.CharField(max_length=40, blank=True)  # as typed, when not E.164
    whatsapp = models.BooleanField(default=False)
    email = models.CharField(max_length=254, blank=True)  # normalized, or empty
    email_raw = models.CharField(max_length=254, blank=True)
    nationality = models.CharField(max_length=2, blank=True)  # ISO 3166-1 alpha-2
    language = models.CharField(max_length=8, default="en")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.STAFF)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The priority client list: repeat and corporate clients, each with a personal
    # concierge who receives their requests.
    priority_tier = models.CharField(max_length=20, choices=PriorityTier.choices, blank=True)
    priority_since = models.DateTimeField(null=True, blank=True)
    personal_agent = models.ForeignKey(
        "staff.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.middle_name, self.family_name) if p)


class Order(models.Model):
    """What the customer ordered (e.g. through app-web) before a case existed."""

    id = models.CharField(primary_key=True, max_length=32, default=ids.order_id, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    service_type = models.CharField(max_length=50)
    notes = models.TextField(blank=True)
    placed_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.service_type} ({self.pk})"


class Document(models.Model):
    """A document the customer provided (uploaded via app-web or received by staff).

    A file is stored through Django's storage under a generated name (never the
    uploaded one); `sha256` and `size` are of the stored bytes, blank/null for
    rows recorded without a file.
    """

    id = models.CharField(primary_key=True, max_length=32, default=ids.document_id, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="documents")
    # Whom within the customer's case it is for (e.g. a traveller's id); free text.
    subject = models.CharField(max_length=64, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    doc_type = models.CharField(max_length=120)
    file = models.FileField(upload_to="documents/%Y/%m/", max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)  # hex digest of the stored file
    size = models.PositiveBigIntegerField(null=True, blank=True)  # bytes
    content_type = models.CharField(max_length=100, blank=True)
    original_name = models.CharField(max_length=255, blank=True)  # as uploaded; never a path
    received_at = models.DateTimeField()
    source = models.CharField(max_length=20, default="APP_WEB")
    verified_by = models.CharField(max_length=100, blank=True)  # actor label
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.doc_type
