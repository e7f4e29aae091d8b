"""Applications a partner platform assigns to us (e.g. a visa application from a
travel portal): the partner's reference and link, the trip, the partner's
document checklist, the travellers (each with their own status and
appointment), and the items found missing at review.

One application is one case; its playbook reads it as `application`
(opsdesk.applications.context).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opsdesk.cases.models import Case
from opsdesk.common import ids
from opsdesk.customers.models import Customer, Document
from opsdesk.partners.models import PartnerPlatform


class Application(models.Model):
    id = models.CharField(
        primary_key=True, max_length=32, default=ids.application_id, editable=False
    )
    partner = models.ForeignKey(
        PartnerPlatform, on_delete=models.PROTECT, related_name="applications"
    )
    partner_ref = models.CharField(max_length=100)  # the partner's own reference
    partner_url = models.URLField(blank=True)  # the application on the partner's platform
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="applications")
    case = models.OneToOneField(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="application"
    )
    destination = models.CharField(max_length=2)  # ISO 3166 alpha-2
    visa_type = models.CharField(max_length=60)
    travel_start = models.DateField(null=True, blank=True)
    travel_end = models.DateField(null=True, blank=True)
    # The partner's document checklist: [{"key", "label", "per_traveller": bool}]
    checklist = models.JSONField(default=list)
    received_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "partner_ref"], name="application_ref")
        ]

    def __str__(self) -> str:
        return f"{self.partner_ref} ({self.destination} {self.visa_type})"


class TravellerStatus(models.TextChoices):
    NEW = "NEW", _("New")
    APPOINTMENT_BOOKED = "APPOINTMENT_BOOKED", _("Appointment booked")
    SUBMITTED = "SUBMITTED", _("Submitted")
    AT_EMBASSY = "AT_EMBASSY", _("At the embassy")
    APPROVED = "APPROVED", _("Approved")
    REJECTED = "REJECTED", pgettext_lazy("status", "Rejected")


class Traveller(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ids.traveller_id, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="travellers"
    )
    position = models.PositiveIntegerField()  # 1 = the lead traveller
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    passport_number = models.CharField(max_length=30, blank=True)
    status = models.CharField(
        max_length=20, choices=TravellerStatus.choices, default=TravellerStatus.NEW
    )
    appointment_at = models.DateTimeField(null=True, blank=True)
    appointment_place = models.TextField(blank=True)  # the visa centre's address
    appointment_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["application", "position"]
        constraints = [
            models.UniqueConstraint(fields=["application", "position"], name="traveller_position")
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"


class ItemKind(models.TextChoices):
    DOCUMENT = "DOCUMENT", _("Document")
    INFORMATION = "INFORMATION", _("Information")


class ItemStatus(models.TextChoices):
    MISSING = "MISSING", _("Missing")
    RECEIVED = "RECEIVED", _("Received")
    WAIVED = "WAIVED", _("Waived")


class MissingItem(models.Model):
    """Something the review found missing, for the whole application or one traveller."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="missing_items"
    )
    traveller = models.ForeignKey(
        Traveller, null=True, blank=True, on_delete=models.CASCADE, related_name="missing_items"
    )
    kind = models.CharField(max_length=12, choices=ItemKind.choices)
    key = models.SlugField(max_length=60)  # a checklist key, or the agent's own
    label = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default=ItemStatus.MISSING)
    noted_by = models.CharField(max_length=100)
    noted_at = models.DateTimeField()
    resolved_by = models.CharField(max_length=100, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "traveller", "key"],
                condition=models.Q(status="MISSING"),
                name="missing_item_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.status})"
