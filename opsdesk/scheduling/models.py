"""Appointments booked in a team's slots."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.cases.models import Case
from opsdesk.common import ids
from opsdesk.staff.models import Team


class AppointmentStatus(models.TextChoices):
    BOOKED = "BOOKED", _("Booked")
    CANCELLED = "CANCELLED", _("Cancelled")


class Appointment(models.Model):
    id = models.CharField(
        primary_key=True, max_length=32, default=ids.appointment_id, editable=False
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="appointments")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    sequence = models.PositiveIntegerField(default=0)  # iCalendar SEQUENCE: bumps on change
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["team", "status", "start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="BOOKED"),
                name="appointment_one_booked_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} at {self.start:%Y-%m-%d %H:%M}"
