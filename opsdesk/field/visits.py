"""A case's booked visit as a technician's work order.

When a playbook with `scheduling.field_work` books, moves or cancels a visit,
`visit_apply` (called by the case shell in the same transaction) keeps the
case's one active work order in step: created at the first booking, given the
new slot on a move (back to UNPLANNED, so the planner places it again), and
cancelled with the visit. A work order already under way when the visit moves
is cancelled and a new one created, so the day's record stays true.
"""

from __future__ import annotations

import datetime as dt

from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.engine.types import FieldWork
from opsdesk.field.models import (
    Priority,
    WorkEventKind,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderStatus,
)
from opsdesk.field.replan import replan_request
from opsdesk.orders.models import ServiceOrder
from opsdesk.scheduling.models import Appointment

ACTIVE = (
    WorkOrderStatus.UNPLANNED,
    WorkOrderStatus.PLANNED,
    WorkOrderStatus.TRAVELLING,
    WorkOrderStatus.ON_SITE,
)
NOT_STARTED = (WorkOrderStatus.UNPLANNED, WorkOrderStatus.PLANNED)


def active_work_order(case_id: str) -> WorkOrder | None:
    return (
        WorkOrder.objects.select_for_update()
        .filter(case_id=case_id, status__in=ACTIVE)
        .order_by("-created_at", "-pk")
        .first()
    )


def visit_apply(
    case: Case,
    appointment: Appointment | None,
    work: FieldWork | None,
    actor: Actor,
    now: dt.datetime,
) -> WorkOrder | None:
    """Book (`appointment` and `work`) or cancel (`appointment` None) the case's visit."""
    current = active_work_order(case.pk)
    if appointment is None or work is None:
        if current is not None:
            _cancel(case, current, "the visit was cancelled", actor, now)
        return None
    if current is not None and current.status in NOT_STARTED:
        return _move(case, current, appointment, work, actor, now)
    if current is not None:
        _cancel(case, current, "the visit moved to another time", actor, now)
    return _create(case, appointment, work, actor, now)


def _create(
    case: Case, appointment: Appointment, work: FieldWork, actor: Actor, now: dt.datetime
) -> WorkOrder | None:
    order = ServiceOrder.objects.filter(case_id=case.pk).first()
    if order is None or order.latitude is None or order.longitude is None:
        reason = "the order has no coordinates" if order else "the case has no service order"
        _note(case, actor, now, kind="not_created", reason=reason)
        return None
    promise = order.extra.get("promise_date") if isinstance(order.extra, dict) else None
    wo = WorkOrder.objects.create(
        case=case,
        service_order=order,
        latitude=order.latitude,
        longitude=order.longitude,
        address=", ".join(p for p in (order.address, order.postcode, order.city) if p),
        window_start=appointment.start,
        window_end=appointment.end,
        duration_minutes=max(1, work.duration_minutes),
        required_skills=sorted(set(work.skills)),
        required_parts=dict(sorted(work.parts.items())),
        priority=order.priority if order.priority in Priority.values else Priority.MEDIUM,
        promise_date=dt.date.fromisoformat(promise) if promise else None,
        created_at=now,
        updated_at=now,
    )
    _note(case, actor, now, kind="created", work_order_id=wo.pk, window=appointment.start)
    return wo


def _move(
    case: Case,
    wo: WorkOrder,
    appointment: Appointment,
    work: FieldWork,
    actor: Actor,
    now: dt.datetime,
) -> WorkOrder:
    was_planned_on = wo.window_start if wo.status == WorkOrderStatus.PLANNED else None
    WorkOrder.objects.filter(pk=wo.pk).update(
        window_start=appointment.start,
        window_end=appointment.end,
        duration_minutes=max(1, work.duration_minutes),
        required_skills=sorted(set(work.skills)),
        required_parts=dict(sorted(work.parts.items())),
        status=WorkOrderStatus.UNPLANNED,
        technician=None,
        planned_start=None,
        route_position=None,
        unplanned_reason="the visit moved; not planned yet",
        updated_at=now,
    )
    WorkOrderEvent.objects.create(
        work_order=wo,
        kind=WorkEventKind.RESCHEDULED,
        at=now,
        actor=actor.label,
        data={"from": wo.window_start.isoformat(), "to": appointment.start.isoformat()},
    )
    _note(case, actor, now, kind="moved", work_order_id=wo.pk, window=appointment.start)
    if was_planned_on is not None:
        replan_request(was_planned_on, reason=f"work order {wo.pk} moved", now=now)
    wo.refresh_from_db()
    return wo


def _cancel(case: Case, wo: WorkOrder, reason: str, actor: Actor, now: dt.datetime) -> None:
    WorkOrder.objects.filter(pk=wo.pk).update(
        status=WorkOrderStatus.CANCELLED, outcome_reason=reason, updated_at=now
    )
    WorkOrderEvent.objects.create(
        work_order=wo,
        kind=WorkEventKind.CANCELLED,
        at=now,
        actor=actor.label,
        data={"reason": reason},
    )
    _note(case, actor, now, kind="cancelled", work_order_id=wo.pk, reason=reason)
    if wo.technician_id is not None:
        replan_request(wo.window_start, reason=f"work order {wo.pk} cancelled", now=now)


def _note(case: Case, actor: Actor, now: dt.datetime, **payload: object) -> None:
    payload = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in payload.items()}
    timeline_row(case, case.customer_id, "WORK_ORDER", actor, now, **payload).save()
