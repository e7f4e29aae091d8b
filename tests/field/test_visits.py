"""A case's booked visit as a work order (opsdesk.field.visits), through the shipped
service-order playbook: created at the booking, moved with the visit, cancelled with
it, and not created (but noted) for an order without coordinates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.common import clock
from opsdesk.field.models import WorkEventKind, WorkOrder, WorkOrderEvent, WorkOrderStatus
from opsdesk.orders.intake import OrderInput, orders_receive
from opsdesk.orders.models import ServiceOrder
from opsdesk.portal.services import customer_cancel, customer_reschedule
from tests.portal.helpers import CHANNEL, confirm
from tests.service_desk import order_data

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 10, 28, 7, 0, tzinfo=dt.UTC)  # the frozen clock: 10:00 in Istanbul
VISIT = dt.datetime(2026, 11, 3, 6, 0, tzinfo=dt.UTC)  # Tuesday 09:00 in Istanbul
NEW_SLOT = dt.datetime(2026, 11, 5, 11, 0, tzinfo=dt.UTC)  # Thursday 14:00


def new_case(service_desk: Any, ref: str, **changes: Any) -> Case:
    (result,) = orders_receive(
        service_desk.channel, [OrderInput(**order_data(ref, **changes))], CHANNEL
    )
    assert result.outcome == "created", result.errors
    return Case.objects.get(pk=result.order.case_id)


def work_timeline(case: Case) -> list[dict[str, Any]]:
    return list(
        TimelineEvent.objects.filter(case=case, type="WORK_ORDER")
        .order_by("pk")
        .values_list("payload", flat=True)
    )


def test_a_confirmed_order_gets_one_unplanned_work_order(
    service_desk: Any, frozen_clock: Any
) -> None:
    case = confirm(new_case(service_desk, "TS-1"))  # the customer's "confirm" reply
    assert case.state == "scheduled"
    order = ServiceOrder.objects.get(case=case)
    (wo,) = WorkOrder.objects.all()
    # The first free slot: 14:00-16:00 in Istanbul today.
    start = dt.datetime(2026, 10, 28, 11, 0, tzinfo=dt.UTC)
    assert {
        "case": wo.case_id,
        "service_order": wo.service_order_id,
        "where": (wo.latitude, wo.longitude),
        "address": wo.address,
        "window": (wo.window_start, wo.window_end),
        "duration": wo.duration_minutes,
        "skills": wo.required_skills,
        "parts": wo.required_parts,
        "status": wo.status,
        "technician": wo.technician_id,
        "priority": wo.priority,
        "times": (wo.created_at, wo.updated_at),
    } == {
        "case": case.pk,
        "service_order": order.pk,
        "where": (40.98, 29.06),
        "address": "Bağdat Cad. 10, Kadıköy, 34710, İstanbul",
        "window": (start, start + dt.timedelta(hours=2)),
        "duration": 90,
        "skills": ["fiber"],
        "parts": {"ONT-1": 1},
        "status": WorkOrderStatus.UNPLANNED,
        "technician": None,
        "priority": "MEDIUM",
        "times": (NOW, NOW),
    }
    assert work_timeline(case) == [
        {"kind": "created", "work_order_id": wo.pk, "window": start.isoformat()}
    ]


def test_a_reschedule_moves_the_same_work_order(service_desk: Any, frozen_clock: Any) -> None:
    case = confirm(new_case(service_desk, "TS-2"), VISIT)
    (wo,) = WorkOrder.objects.all()
    assert wo.window_start == VISIT
    customer_reschedule(case.pk, NEW_SLOT, clock.now())
    (moved,) = WorkOrder.objects.all()
    assert moved.pk == wo.pk
    assert (
        moved.window_start,
        moved.window_end,
        moved.status,
        moved.technician_id,
        moved.unplanned_reason,
        moved.duration_minutes,
        moved.required_parts,
    ) == (
        NEW_SLOT,
        NEW_SLOT + dt.timedelta(hours=2),
        WorkOrderStatus.UNPLANNED,
        None,
        "the visit moved; not planned yet",
        90,
        {"ONT-1": 1},
    )
    (event,) = WorkOrderEvent.objects.filter(work_order=wo)
    assert (event.kind, event.actor, event.at, event.data) == (
        WorkEventKind.RESCHEDULED,
        "customer",
        NOW,
        {"from": VISIT.isoformat(), "to": NEW_SLOT.isoformat()},
    )
    assert [p["kind"] for p in work_timeline(case)] == ["created", "moved"]


def test_a_cancel_cancels_the_work_order(service_desk: Any, frozen_clock: Any) -> None:
    case = confirm(new_case(service_desk, "TS-3"), VISIT)
    customer_cancel(case.pk, clock.now())
    (wo,) = WorkOrder.objects.all()
    assert (wo.status, wo.outcome_reason, wo.updated_at) == (
        WorkOrderStatus.CANCELLED,
        "the visit was cancelled",
        NOW,
    )
    (event,) = WorkOrderEvent.objects.filter(work_order=wo)
    assert (event.kind, event.data) == (
        WorkEventKind.CANCELLED,
        {"reason": "the visit was cancelled"},
    )
    assert work_timeline(case)[-1] == {
        "kind": "cancelled",
        "work_order_id": wo.pk,
        "reason": "the visit was cancelled",
    }


def test_an_order_without_coordinates_gets_no_work_order(
    service_desk: Any, frozen_clock: Any
) -> None:
    case = confirm(new_case(service_desk, "TS-4", latitude=None, longitude=None))
    assert case.state == "scheduled"  # the visit is booked all the same
    assert WorkOrder.objects.count() == 0
    assert work_timeline(case) == [
        {"kind": "not_created", "reason": "the order has no coordinates"}
    ]
