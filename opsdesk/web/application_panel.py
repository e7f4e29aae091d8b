"""What the workspace's Application panel shows: the partner's application of a
case, its travellers and missing items, and the playbook's booking instructions
for the destination (read-only: selectors, no writes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsdesk.applications.models import (
    Application,
    ItemKind,
    ItemStatus,
    MissingItem,
    Traveller,
    TravellerStatus,
)
from opsdesk.cases.models import Case
from opsdesk.partners.models import StatusPush
from opsdesk.partners.selectors import case_pushes

CATALOG = "booking_instructions"
# The statuses an agent records after the booking, one at a time, from the panel.
LATER_STATUSES = (TravellerStatus.AT_EMBASSY, TravellerStatus.APPROVED, TravellerStatus.REJECTED)


@dataclass(frozen=True)
class Booking:
    """How to book the appointment for a destination (the playbook's catalog entry)."""

    centre: str = ""
    steps: str = ""
    link: str = ""


@dataclass
class ApplicationPanel:
    application: Application
    travellers: list[Traveller]
    missing: list[MissingItem]  # still missing
    resolved: list[MissingItem]  # received or waived
    booking: Booking | None
    pushes: list[StatusPush] = field(default_factory=list)  # to the partner, newest first
    kinds: list[tuple[str, str]] = field(default_factory=lambda: list(ItemKind.choices))
    later_statuses: list[tuple[str, str]] = field(
        default_factory=lambda: [(s.value, s.label) for s in LATER_STATUSES]
    )


def booking_instructions(playbook: Any, destination: str) -> Booking | None:
    """The playbook's `booking_instructions[destination]`, else its `default`;
    None when the playbook has no such catalog."""
    catalog = (getattr(playbook, "catalogs", None) or {}).get(CATALOG)
    if not isinstance(catalog, dict):
        return None
    entry = catalog.get(destination) or catalog.get("default")
    if not isinstance(entry, dict):
        return None
    return Booking(
        centre=str(entry.get("centre", "")),
        steps=str(entry.get("steps", "")),
        link=str(entry.get("link", "")),
    )


def application_panel(case: Case | None, playbook: Any) -> ApplicationPanel | None:
    """The case's application with what the panel lists, None when it has none."""
    if case is None:
        return None
    app = Application.objects.select_related("partner", "customer").filter(case_id=case.pk).first()
    if app is None:
        return None
    travellers = list(
        Traveller.objects.filter(application=app)
        .select_related("appointment_document")
        .order_by("position")
    )
    items = list(
        MissingItem.objects.filter(application=app)
        .select_related("traveller")
        .order_by("noted_at", "id")
    )
    return ApplicationPanel(
        application=app,
        travellers=travellers,
        missing=[i for i in items if i.status == ItemStatus.MISSING],
        resolved=[i for i in items if i.status != ItemStatus.MISSING],
        booking=booking_instructions(playbook, app.destination),
        pushes=list(case_pushes(case.pk)[:20]),
    )
