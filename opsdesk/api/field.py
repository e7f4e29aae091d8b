"""/api/v1/work-orders and /api/v1/plans: field work for dispatch tools, the
technician's own app and the desk.

Reading a work order (`field.view`): managers, its technician, and staff who
may see its case's customer. Moving work and planning (`dispatch.manage`):
managers and admins. The technician's steps (`field.work`): the technician
the work order is planned on. Photos are taken by the web view (multipart);
the API takes the rest of a completion as JSON.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from opsdesk.access.policy import FIELD_VIEW, FIELD_WORK, restrict
from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.schemas import ERRORS, Day, UtcDatetime
from opsdesk.billing.models import Invoice
from opsdesk.field import dispatch, jobs
from opsdesk.field.models import WorkOrder
from opsdesk.field.replan import day_bounds
from opsdesk.field.selectors import work_order_charges, work_order_invoices

router = Router(tags=["field"], auth=AUTH)
DISPATCH = "dispatch.manage"
# WorkOrderOut fields read straight off the row.
PLAIN = (
    "status",
    "address",
    "latitude",
    "longitude",
    "window_start",
    "window_end",
    "duration_minutes",
    "required_skills",
    "required_parts",
    "priority",
    "promise_date",
    "planned_start",
    "route_position",
    "unplanned_reason",
    "eta",
    "travel_started_at",
    "arrived_at",
    "finished_at",
    "outcome_reason",
    "notes",
    "cash_currency",
    "service_order_id",
)


class TechnicianRef(Schema):
    id: str
    name: str


class InvoiceRef(Schema):
    number: str
    total: str
    currency: str


class WorkEventOut(Schema):
    kind: str
    at: dt.datetime
    actor: str
    data: dict[str, Any]


class WorkOrderOut(Schema):
    id: str
    status: str
    case_number: str | None
    service_order_id: str | None
    address: str
    latitude: float
    longitude: float
    window_start: dt.datetime
    window_end: dt.datetime
    duration_minutes: int
    required_skills: list[str]
    required_parts: dict[str, int]
    priority: str
    promise_date: dt.date | None
    technician: TechnicianRef | None
    planned_start: dt.datetime | None
    route_position: int | None
    unplanned_reason: str
    eta: dt.datetime | None
    travel_started_at: dt.datetime | None
    arrived_at: dt.datetime | None
    finished_at: dt.datetime | None
    outcome_reason: str
    notes: str
    photos: int
    invoices: list[InvoiceRef]
    cash_collected: str | None
    cash_currency: str
    # Cash collected minus what was invoiced in that currency: above zero is an
    # extra charge nobody invoiced. None when no cash was collected.
    cash_over_invoices: str | None
    events: list[WorkEventOut]


class PlanIn(Schema):
    date: Day


class PlanOut(Schema):
    date: dt.date
    planned: int
    unplanned: int
    started: int


class MoveIn(Schema):
    technician_id: str | None = Field(description="null takes the work order off the plan")
    position: int = Field(default=1, ge=1)


class CompleteIn(Schema):
    parts_used: dict[str, int] = {}
    notes: str = ""
    # The column's numeric(12, 2): a larger amount is a 422, not a database error.
    cash_collected: Decimal | None = Field(default=None, le=Decimal("9999999999.99"))


class NotCompletedIn(Schema):
    reason: str
    proposed_at: UtcDatetime | None = None


def _qs() -> Any:
    return WorkOrder.objects.select_related("technician__agent", "case__customer").prefetch_related(
        "events", "photos"
    )


def _money(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None


def work_order_out(wo: WorkOrder, invoices: list[Invoice] | None = None) -> dict[str, Any]:
    charges = work_order_charges(wo, invoices)
    tech = wo.technician
    return {
        **{name: getattr(wo, name) for name in PLAIN},
        "id": wo.pk,
        "case_number": wo.case.number if wo.case_id else None,
        "technician": {"id": tech.pk, "name": tech.agent.name} if tech else None,
        "photos": len(wo.photos.all()),
        "invoices": [
            {"number": i.number, "total": f"{i.total:.2f}", "currency": i.currency}
            for i in charges.invoices
        ],
        "cash_collected": _money(charges.cash_collected),
        "cash_over_invoices": _money(charges.cash_over_invoices),
        "events": [
            {"kind": e.kind, "at": e.at, "actor": e.actor, "data": e.data}
            for e in sorted(wo.events.all(), key=lambda e: (e.at, e.pk))
        ],
    }


def _work_order(request: HttpRequest, work_order_id: str, action: str) -> WorkOrder:
    wo = _qs().get(pk=work_order_id)
    restrict(request.user, action, wo)
    return wo


@router.get("/work-orders", response={200: list[WorkOrderOut], **ERRORS})
def list_work_orders(
    request: HttpRequest, date: Day, limit: int = 200, offset: int = 0
) -> list[Any]:
    """The work orders of a day (their window starts on it, Istanbul time), in
    route order per technician, unplanned last. Dispatch only."""
    restrict(request.user, DISPATCH)
    start, end = day_bounds(date)
    qs = _qs().filter(window_start__gte=start, window_start__lt=end)
    qs = qs.order_by("technician__agent__name", "route_position", "window_start", "id")
    rows = lookups.page(qs, limit, offset)
    invoices = work_order_invoices([wo.pk for wo in rows])
    return [work_order_out(wo, invoices[wo.pk]) for wo in rows]


@router.get("/work-orders/{work_order_id}", response={200: WorkOrderOut, **ERRORS})
def get_work_order(request: HttpRequest, work_order_id: str) -> dict[str, Any]:
    """One work order with what happened to it: the technician's steps and
    reschedules, parts, invoices for extra parts, and cash collected."""
    return work_order_out(_work_order(request, work_order_id, FIELD_VIEW))


@router.post("/plans", response={200: PlanOut, **ERRORS})
def plan_day(request: HttpRequest, payload: PlanIn) -> dict[str, Any]:
    """Plan (or re-plan) a day; started work orders stay as they are."""
    restrict(request.user, DISPATCH)
    result = dispatch.replan_now(payload.date, actor=lookups.actor(request))
    return {
        "date": result.date,
        "planned": result.planned,
        "unplanned": result.unplanned,
        "started": result.started,
    }


@router.post("/work-orders/{work_order_id}/move", response={200: WorkOrderOut, **ERRORS})
def move(request: HttpRequest, work_order_id: str, payload: MoveIn) -> dict[str, Any]:
    """Put a work order at a position on a technician's route, re-checked: a move
    that breaks a constraint answers 409 with the checker's reasons."""
    wo = _work_order(request, work_order_id, DISPATCH)
    dispatch.route_move(
        wo.pk, payload.technician_id, payload.position, actor=lookups.actor(request)
    )
    return work_order_out(_qs().get(pk=wo.pk))


def _step(request: HttpRequest, work_order_id: str, run: Any) -> dict[str, Any]:
    wo = _work_order(request, work_order_id, FIELD_WORK)
    run(wo.pk, lookups.actor(request))
    return work_order_out(_qs().get(pk=wo.pk))


@router.post("/work-orders/{work_order_id}/travel", response={200: WorkOrderOut, **ERRORS})
def travel(request: HttpRequest, work_order_id: str) -> dict[str, Any]:
    """Start travel: the customer is told the technician is on the way, with the ETA."""
    return _step(request, work_order_id, lambda pk, a: jobs.travel_start(pk, actor=a))


@router.post("/work-orders/{work_order_id}/arrived", response={200: WorkOrderOut, **ERRORS})
def arrived(request: HttpRequest, work_order_id: str) -> dict[str, Any]:
    return _step(request, work_order_id, lambda pk, a: jobs.arrive(pk, actor=a))


@router.post("/work-orders/{work_order_id}/complete", response={200: WorkOrderOut, **ERRORS})
def complete(request: HttpRequest, work_order_id: str, payload: CompleteIn) -> dict[str, Any]:
    """Completed, with the parts used (out of the van; beyond the job's own they
    are invoiced to the customer), notes and cash collected."""
    return _step(
        request,
        work_order_id,
        lambda pk, a: jobs.complete(
            pk,
            actor=a,
            parts_used=payload.parts_used,
            notes=payload.notes,
            cash_collected=payload.cash_collected,
        ),
    )


@router.post("/work-orders/{work_order_id}/not-completed", response={200: WorkOrderOut, **ERRORS})
def not_completed(
    request: HttpRequest, work_order_id: str, payload: NotCompletedIn
) -> dict[str, Any]:
    """Could not complete, with the reason (and the new time agreed with the customer)."""
    return _step(
        request,
        work_order_id,
        lambda pk, a: jobs.not_complete(
            pk, actor=a, reason=payload.reason, proposed_at=payload.proposed_at
        ),
    )
