"""Field service data: technicians, parts, stock locations and levels, the stock
ledger, and work orders (a job at a customer's address in the customer's slot).

Stock changes only through `opsdesk.field.services`: every change is one
`StockMove` (append-only) plus the matching `StockLevel` updates, in one
transaction, so the levels always equal the ledger's sums.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opsdesk.cases.models import Case
from opsdesk.common import ids
from opsdesk.orders.models import ServiceOrder
from opsdesk.staff.models import Agent


class Technician(models.Model):
    """A field technician: the agent (person, languages, calendar for days off)
    plus where the day starts and ends, what they can do and their shift."""

    id = models.CharField(
        primary_key=True, max_length=32, default=ids.technician_id, editable=False
    )
    agent = models.OneToOneField(Agent, on_delete=models.PROTECT, related_name="technician")
    home_latitude = models.FloatField()
    home_longitude = models.FloatField()
    skills = models.JSONField(default=list)  # slugs, e.g. ["fiber-splice", "boiler"]
    # Local times in the agent's calendar's time zone; days off come from that calendar.
    shift_start = models.TimeField(default=dt.time(8, 0))
    shift_end = models.TimeField(default=dt.time(18, 0))
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shift_end__gt=models.F("shift_start")),
                name="technician_shift_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"technician {self.agent_id}"


class Part(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ids.part_id, editable=False)
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="TRY")  # ISO 4217

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="part_unit_price_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sku} ({self.name})"


class LocationKind(models.TextChoices):
    WAREHOUSE = "WAREHOUSE", _("Warehouse")
    VAN = "VAN", _("Van")


class StockLocation(models.Model):
    """Where parts are kept: a warehouse (with coordinates, for pick-ups) or a
    technician's van (which moves with the technician)."""

    id = models.CharField(
        primary_key=True, max_length=32, default=ids.stock_location_id, editable=False
    )
    kind = models.CharField(max_length=10, choices=LocationKind.choices)
    name = models.CharField(max_length=100, unique=True)
    technician = models.OneToOneField(
        Technician, null=True, blank=True, on_delete=models.PROTECT, related_name="van"
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="VAN", latitude__isnull=True, longitude__isnull=True)
                    | models.Q(
                        kind="WAREHOUSE",
                        technician__isnull=True,
                        latitude__isnull=False,
                        longitude__isnull=False,
                    )
                ),
                name="stock_location_kind_fields",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind.lower()} {self.name}"


class StockLevel(models.Model):
    """How many of a part are at a location now. Changed only by compare-and-set
    updates in the stock services, never below zero."""

    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="levels")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="levels")
    quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "part"], name="stock_level_one_per_part"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="stock_level_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.part_id} at {self.location_id}"


class MoveKind(models.TextChoices):
    RECEIVED = "RECEIVED", _("Received from a supplier")  # from nowhere into a location
    TRANSFER = "TRANSFER", _("Transfer")  # warehouse to van, or between two locations
    USED = "USED", _("Used on a job")  # out of a van, onto a work order
    RETURNED = "RETURNED", _("Returned to a warehouse")  # a van's parts back to a warehouse
    ADJUSTED = "ADJUSTED", _("Adjusted")  # a count correction or write-off, with a note


class StockMove(models.Model):
    """The stock ledger. Append-only: rows are inserted by the stock services,
    never changed or deleted. A row with no `from_location` brings parts in;
    one with no `to_location` takes them out."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="moves")
    from_location = models.ForeignKey(
        StockLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="moves_out"
    )
    to_location = models.ForeignKey(
        StockLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="moves_in"
    )
    quantity = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=MoveKind.choices)
    work_order = models.ForeignKey(
        "WorkOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="stock_moves"
    )
    note = models.TextField(blank=True)
    actor = models.CharField(max_length=100)  # "user:<username>", "system", "cli:<user>"
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["part", "id"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="stock_move_positive"),
            models.CheckConstraint(
                condition=models.Q(from_location__isnull=False)
                | models.Q(to_location__isnull=False),
                name="stock_move_has_a_location",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_location=models.F("to_location")),
                name="stock_move_not_to_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} of {self.part_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("the stock ledger is append-only: a move cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("the stock ledger is append-only: a move cannot be deleted")


class Priority(models.TextChoices):
    LOW = "LOW", _("Low")
    MEDIUM = "MEDIUM", _("Medium")
    HIGH = "HIGH", _("High")
    URGENT = "URGENT", _("Urgent")


class WorkOrderStatus(models.TextChoices):
    UNPLANNED = "UNPLANNED", _("Unplanned")
    PLANNED = "PLANNED", _("Planned")
    TRAVELLING = "TRAVELLING", _("Travelling")
    ON_SITE = "ON_SITE", _("On site")
    DONE = "DONE", _("Done")
    CANNOT_COMPLETE = "CANNOT_COMPLETE", _("Cannot complete")
    CANCELLED = "CANCELLED", _("Cancelled")


class WorkOrder(models.Model):
    """A job at a customer's address: where, the customer's slot, how long, what
    skills and parts it needs, and (once planned) who does it and when."""

    id = models.CharField(
        primary_key=True, max_length=32, default=ids.work_order_id, editable=False
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    service_order = models.ForeignKey(
        ServiceOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    address = models.TextField(blank=True)
    window_start = models.DateTimeField()  # the customer's slot, aware UTC
    window_end = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    required_skills = models.JSONField(default=list)  # skill slugs
    required_parts = models.JSONField(default=dict)  # {sku: quantity}
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    promise_date = models.DateField(null=True, blank=True)  # the service promise date (SPD)
    status = models.CharField(
        max_length=20, choices=WorkOrderStatus.choices, default=WorkOrderStatus.UNPLANNED
    )
    technician = models.ForeignKey(
        Technician, null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    planned_start = models.DateTimeField(null=True, blank=True)
    route_position = models.PositiveIntegerField(null=True, blank=True)
    unplanned_reason = models.TextField(blank=True)
    # What happened on the day, written by the technician flow (opsdesk.field.jobs).
    eta = models.DateTimeField(null=True, blank=True)  # told to the customer at "start travel"
    travel_started_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)  # completed or given up
    outcome_reason = models.TextField(blank=True)  # why it could not be completed
    notes = models.TextField(blank=True)
    # Cash the technician took from the customer, so the desk can match it to invoices.
    cash_collected = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    cash_currency = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["status", "window_start"]),
            models.Index(fields=["technician", "planned_start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="work_order_window_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0), name="work_order_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


def _photo_path(photo: WorkOrderPhoto, filename: str) -> str:
    # The stored name is ours: an uploaded name could hold anything.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"work-orders/{photo.work_order_id}/{ids.new_id('img')}.{suffix[:5]}"


class WorkOrderPhoto(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=_photo_path)
    content_type = models.CharField(max_length=50)
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"photo of {self.work_order_id}"


class WorkEventKind(models.TextChoices):
    PLANNED = "PLANNED", _("Planned")
    REASSIGNED = "REASSIGNED", _("Reassigned by dispatch")
    TRAVEL_STARTED = "TRAVEL_STARTED", _("On the way")
    ARRIVED = "ARRIVED", pgettext_lazy("status", "Arrived")
    COMPLETED = "COMPLETED", _("Completed")
    NOT_COMPLETED = "NOT_COMPLETED", _("Could not complete")
    RESCHEDULED = "RESCHEDULED", _("Rescheduled")
    CANCELLED = "CANCELLED", _("Cancelled")
    TECHNICIAN_OUT = "TECHNICIAN_OUT", _("Technician dropped out")


class WorkOrderEvent(models.Model):
    """What happened to a work order, by whom and when: the technician's
    reschedules, parts and cash, dispatch's moves. Append-only."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=WorkEventKind.choices)
    at = models.DateTimeField()
    actor = models.CharField(max_length=100)
    data = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["work_order", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.work_order_id} at {self.at:%Y-%m-%d %H:%M}"


class TechnicianAbsence(models.Model):
    """A technician out for a day (sick, van broken): not planned that day."""

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="absences")
    date = models.DateField()
    reason = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["technician", "date"], name="absence_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.technician_id} out on {self.date}"
