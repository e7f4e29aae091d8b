"""The technician's day (opsdesk.field.jobs): start travel, arrive, complete or give
up; parts out of the van, extra parts invoiced, bad input and wrong states refused
with nothing changed, and the case's playbook told when the work order has a case."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.billing.models import Invoice
from opsdesk.cases.models import Case
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.comms.models import Message
from opsdesk.field import jobs
from opsdesk.field.models import (
    MoveKind,
    StockLevel,
    StockMove,
    WorkEventKind,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderPhoto,
    WorkOrderStatus,
)
from opsdesk.field.selectors import location_stock
from opsdesk.field.services import (
    location_create,
    part_create,
    stock_receive,
    technician_create,
    work_order_create,
)
from opsdesk.runtime.models import OutboxItem
from tests.field.conftest import ACTOR
from tests.portal.helpers import CHANNEL, confirm
from tests.service_desk import order_data

pytestmark = pytest.mark.django_db

PLANNED_START = dt.datetime(2026, 10, 30, 7, 0, tzinfo=dt.UTC)  # 10:00 in Istanbul
EARTH_RADIUS_M = 6_371_008.8


def travel_seconds(a: tuple[float, float], b: tuple[float, float]) -> int:
    """Haversine metres at the configured speed, rounded to whole seconds."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    metres = 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))
    return round(metres / (django_settings.OPSDESK_TRAVEL_SPEED_KMH / 3.6))


def plan(wo: Any, tech: Any, start: dt.datetime = PLANNED_START, **more: Any) -> WorkOrder:
    WorkOrder.objects.filter(pk=wo.pk).update(
        status=more.pop("status", WorkOrderStatus.PLANNED),
        technician=tech,
        planned_start=start,
        route_position=1,
        **more,
    )
    return WorkOrder.objects.get(pk=wo.pk)


def row(wo_id: str) -> dict[str, Any]:
    return WorkOrder.objects.filter(pk=wo_id).values().get()


def world() -> tuple[Any, ...]:
    """Everything a refused call must leave as it was."""
    return (
        sorted(WorkOrder.objects.values_list()),
        sorted(StockLevel.objects.values_list("location_id", "part_id", "quantity")),
        StockMove.objects.count(),
        WorkOrderEvent.objects.count(),
        WorkOrderPhoto.objects.count(),
        Invoice.objects.count(),
        OutboxItem.objects.count(),
    )


def events(wo_id: str) -> list[tuple[str, str, dt.datetime, dict[str, Any]]]:
    return [
        (e.kind, e.actor, e.at, e.data)
        for e in WorkOrderEvent.objects.filter(work_order_id=wo_id).order_by("at", "pk")
    ]


def replans() -> list[dict[str, Any]]:
    return list(OutboxItem.objects.filter(kind="field.replan").values_list("payload", flat=True))


def test_travel_arrive_complete_without_a_case(
    field: Any, work_order: Any, frozen_clock: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    stock_receive(field.ali_van, "FLT-10", 3, ACTOR)
    plan(work_order, field.ali)
    home = (field.ali.home_latitude, field.ali.home_longitude)

    t1 = dt.datetime(2026, 10, 30, 6, 40, tzinfo=dt.UTC)
    frozen_clock.set_now(t1)
    wo = jobs.travel_start(work_order.pk, actor=ACTOR)
    eta = t1 + dt.timedelta(seconds=travel_seconds(home, (41.04, 29.00)))
    assert travel_seconds(home, (41.04, 29.00)) == 477  # about 4 km at 30 km/h
    assert (wo.status, wo.travel_started_at, wo.eta, wo.updated_at) == (
        WorkOrderStatus.TRAVELLING,
        t1,
        eta,
        t1,
    )

    t2 = dt.datetime(2026, 10, 30, 6, 55, tzinfo=dt.UTC)
    frozen_clock.set_now(t2)
    wo = jobs.arrive(work_order.pk, actor=ACTOR)
    assert (wo.status, wo.arrived_at, wo.travel_started_at, wo.eta) == (
        WorkOrderStatus.ON_SITE,
        t2,
        t1,
        eta,
    )

    t3 = dt.datetime(2026, 10, 30, 7, 45, tzinfo=dt.UTC)  # exactly the planned end
    frozen_clock.set_now(t3)
    photo = SimpleUploadedFile("boiler.jpg", b"\xff\xd8\xff\xe0jpeg", content_type="image/jpeg")
    wo = jobs.complete(
        work_order.pk,
        actor=ACTOR,
        parts_used={"FLT-10": 1},
        notes="  Replaced the filter  ",
        photos=[photo],
        cash_collected="150.5",
    )
    assert (wo.status, wo.finished_at, wo.notes, wo.cash_collected, wo.cash_currency) == (
        WorkOrderStatus.DONE,
        t3,
        "Replaced the filter",
        Decimal("150.50"),
        "TRY",
    )
    assert (wo.technician_id, wo.planned_start, wo.arrived_at) == (field.ali.pk, PLANNED_START, t2)
    # Exactly the part used left the van, on one USED move for this work order.
    assert location_stock(field.ali_van) == {"FLT-10": 2}
    used = StockMove.objects.filter(kind=MoveKind.USED)
    assert [
        (m.part.sku, m.quantity, m.from_location_id, m.to_location_id, m.work_order_id, m.actor)
        for m in used
    ] == [("FLT-10", 1, field.ali_van.pk, None, work_order.pk, "user:maria")]
    (saved,) = WorkOrderPhoto.objects.filter(work_order_id=work_order.pk)
    assert (saved.content_type, saved.uploaded_at) == ("image/jpeg", t3)
    assert saved.image.read() == b"\xff\xd8\xff\xe0jpeg"
    assert Invoice.objects.count() == 0  # nothing extra, and no customer anyway
    assert events(work_order.pk) == [
        (
            WorkEventKind.TRAVEL_STARTED,
            "user:maria",
            t1,
            {"eta": eta.isoformat(), "technician": "Ayşe Yılmaz"},
        ),
        (WorkEventKind.ARRIVED, "user:maria", t2, {}),
        (
            WorkEventKind.COMPLETED,
            "user:maria",
            t3,
            {"parts_used": {"FLT-10": 1}, "invoices": [], "cash_collected": "150.50", "photos": 1},
        ),
    ]
    assert replans() == []  # on time, on plan


def test_the_eta_is_from_the_last_job_finished_that_day(
    field: Any, work_order: Any, frozen_clock: Any
) -> None:
    earlier = work_order_create(
        latitude=41.06,
        longitude=28.99,
        window_start=PLANNED_START - dt.timedelta(hours=2),
        window_end=PLANNED_START - dt.timedelta(hours=1),
        duration_minutes=30,
        actor=ACTOR,
    )
    finished = dt.datetime(2026, 10, 30, 6, 0, tzinfo=dt.UTC)
    plan(earlier, field.ali, status=WorkOrderStatus.DONE, finished_at=finished)
    plan(work_order, field.ali)
    now = dt.datetime(2026, 10, 30, 6, 30, tzinfo=dt.UTC)
    frozen_clock.set_now(now)
    wo = jobs.travel_start(work_order.pk, actor=ACTOR)
    assert wo.eta == now + dt.timedelta(seconds=travel_seconds((41.06, 28.99), (41.04, 29.00)))


def test_a_late_arrival_queues_one_replan_of_the_day(
    field: Any, work_order: Any, frozen_clock: Any
) -> None:
    other = work_order_create(
        latitude=41.01,
        longitude=29.03,
        window_start=PLANNED_START + dt.timedelta(hours=2),
        window_end=PLANNED_START + dt.timedelta(hours=4),
        duration_minutes=30,
        actor=ACTOR,
    )
    plan(other, field.can, PLANNED_START + dt.timedelta(hours=2))
    plan(work_order, field.ali)
    frozen_clock.set_now(dt.datetime(2026, 10, 30, 6, 50, tzinfo=dt.UTC))
    jobs.travel_start(work_order.pk, actor=ACTOR)
    assert replans() == []
    late = PLANNED_START + dt.timedelta(minutes=16)  # the slack is 15 minutes
    frozen_clock.set_now(late)
    jobs.arrive(work_order.pk, actor=ACTOR)
    assert replans() == [{"date": "2026-10-30", "reason": f"{work_order.pk} arrived late"}]


@pytest.mark.parametrize(
    ("status", "call"),
    [
        (WorkOrderStatus.UNPLANNED, "travel_start"),
        (WorkOrderStatus.TRAVELLING, "travel_start"),
        (WorkOrderStatus.PLANNED, "arrive"),
        (WorkOrderStatus.ON_SITE, "arrive"),
        (WorkOrderStatus.TRAVELLING, "complete"),
        (WorkOrderStatus.DONE, "complete"),
        (WorkOrderStatus.PLANNED, "not_complete"),
        (WorkOrderStatus.CANCELLED, "not_complete"),
        (WorkOrderStatus.CANNOT_COMPLETE, "not_complete"),
    ],
)
def test_a_step_in_the_wrong_status_is_a_conflict_and_changes_nothing(
    field: Any, work_order: Any, frozen_clock: Any, status: str, call: str
) -> None:
    stock_receive(field.ali_van, "FLT-10", 2, ACTOR)
    if status == WorkOrderStatus.UNPLANNED:
        WorkOrder.objects.filter(pk=work_order.pk).update(status=status)
    else:
        plan(work_order, field.ali, status=status)
    frozen_clock.set_now(dt.datetime(2026, 10, 30, 6, 50, tzinfo=dt.UTC))
    before = world()
    kwargs: dict[str, Any] = {
        "travel_start": {},
        "arrive": {},
        "complete": {"parts_used": {"FLT-10": 1}},
        "not_complete": {"reason": "Nobody home"},
    }[call]
    with pytest.raises(Conflict):
        getattr(jobs, call)(work_order.pk, actor=ACTOR, **kwargs)
    assert world() == before


def on_site(field: Any, work_order: Any, frozen_clock: Any) -> None:
    plan(work_order, field.ali, status=WorkOrderStatus.ON_SITE)
    frozen_clock.set_now(dt.datetime(2026, 10, 30, 7, 40, tzinfo=dt.UTC))


def test_bad_completion_input_names_every_field_and_changes_nothing(
    field: Any, work_order: Any, frozen_clock: Any
) -> None:
    stock_receive(field.ali_van, "FLT-10", 2, ACTOR)
    on_site(field, work_order, frozen_clock)
    before = world()
    note = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    with pytest.raises(ValidationFailed) as refused:
        jobs.complete(
            work_order.pk,
            actor=ACTOR,
            parts_used={"NOPE-1": 1, "FLT-10": -1, "VLV-3": "two"},
            cash_collected="12.345",
            photos=[note],
            notes="x" * 5001,
        )
    assert refused.value.errors == {
        "parts_used": [
            "FLT-10: from 0 to 10000, got -1",
            "VLV-3: a whole number, got 'two'",
            "no part with SKU 'NOPE-1'",
        ],
        "cash_collected": ["an amount of at least 0 with at most two decimals"],
        "photos": ["notes.txt: a JPEG, PNG, WebP or HEIC image"],
        "notes": ["at most 5000 characters"],
    }
    assert world() == before
    assert row(work_order.pk)["status"] == WorkOrderStatus.ON_SITE


@pytest.mark.parametrize("quantity", [1.5, True])
def test_a_quantity_that_is_not_a_whole_number_is_refused(
    field: Any, work_order: Any, frozen_clock: Any, quantity: Any
) -> None:
    """`int(1.5)` is 1 and `int(True)` is 1: neither is what the technician said."""
    stock_receive(field.ali_van, "FLT-10", 2, ACTOR)
    on_site(field, work_order, frozen_clock)
    before = world()
    with pytest.raises(ValidationFailed) as refused:
        jobs.complete(work_order.pk, actor=ACTOR, parts_used={"FLT-10": quantity})
    assert list(refused.value.errors) == ["parts_used"]
    assert world() == before


def test_short_van_stock_refuses_the_completion_and_changes_nothing(
    field: Any, work_order: Any, frozen_clock: Any
) -> None:
    stock_receive(field.ali_van, "FLT-10", 1, ACTOR)
    on_site(field, work_order, frozen_clock)
    before = world()
    with pytest.raises(ValidationFailed) as refused:
        jobs.complete(work_order.pk, actor=ACTOR, parts_used={"FLT-10": 2, "VLV-3": 1})
    assert list(refused.value.errors) == ["parts_used"]
    assert sorted(refused.value.errors["parts_used"]) == [
        "Van 34 ALI 01 has 0 of VLV-3, 1 asked (1 missing)",
        "Van 34 ALI 01 has 1 of FLT-10, 2 asked (1 missing)",
    ]
    assert world() == before
    assert row(work_order.pk)["status"] == WorkOrderStatus.ON_SITE
    assert location_stock(field.ali_van) == {"FLT-10": 1}


def test_not_complete_records_the_reason_and_queues_a_replan(
    field: Any, work_order: Any, frozen_clock: Any
) -> None:
    other = work_order_create(
        latitude=41.01,
        longitude=29.03,
        window_start=PLANNED_START + dt.timedelta(hours=2),
        window_end=PLANNED_START + dt.timedelta(hours=4),
        duration_minutes=30,
        actor=ACTOR,
    )
    plan(other, field.can, PLANNED_START + dt.timedelta(hours=2))
    on_site(field, work_order, frozen_clock)
    now = dt.datetime(2026, 10, 30, 7, 40, tzinfo=dt.UTC)
    proposed = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    wo = jobs.not_complete(
        work_order.pk, actor=ACTOR, reason="  Gas meter locked  ", proposed_at=proposed
    )
    assert (wo.status, wo.finished_at, wo.outcome_reason, wo.updated_at) == (
        WorkOrderStatus.CANNOT_COMPLETE,
        now,
        "Gas meter locked",
        now,
    )
    assert events(work_order.pk) == [
        (
            WorkEventKind.NOT_COMPLETED,
            "user:maria",
            now,
            {"reason": "Gas meter locked", "proposed_at": proposed.isoformat()},
        )
    ]
    assert replans() == [
        {"date": "2026-10-30", "reason": f"{work_order.pk} could not be completed"}
    ]


def test_bad_not_complete_input_changes_nothing(
    field: Any, work_order: Any, frozen_clock: Any
) -> None:
    on_site(field, work_order, frozen_clock)
    before = world()
    past = dt.datetime(2026, 10, 30, 7, 39, tzinfo=dt.UTC)
    with pytest.raises(ValidationFailed) as refused:
        jobs.not_complete(work_order.pk, actor=ACTOR, reason="   ", proposed_at=past)
    assert refused.value.errors == {
        "reason": ["say why the work could not be done"],
        "proposed_at": ["a time in the future"],
    }
    with pytest.raises(ValidationFailed) as refused:
        jobs.not_complete(
            work_order.pk, actor=ACTOR, reason="Locked", proposed_at=dt.datetime(2026, 11, 2, 9)
        )
    assert refused.value.errors == {"proposed_at": ["a time in the future"]}  # naive
    assert world() == before


# --- with a case: the playbook hears the work, extra parts are invoiced -----------------


@dataclass
class CaseField:
    tech: Any  # Cem, the COBO agent, as a fiber technician
    van: Any


@pytest.fixture
def case_field(service_desk: Any, frozen_clock: Any) -> CaseField:
    """The service desk's agent Cem as a technician with a van; three parts."""
    tech = technician_create(
        service_desk.cobo_agent,
        home_latitude=40.99,
        home_longitude=29.03,
        skills=["fiber"],
        actor=ACTOR,
    )
    part_create(sku="FLT-10", name="Boiler filter", unit_price="85.50", actor=ACTOR)
    part_create(sku="VLV-3", name="Gas valve", unit_price="420.00", actor=ACTOR)
    part_create(sku="ONT-1", name="Fiber modem", unit_price="1250", currency="eur", actor=ACTOR)
    van = location_create(kind="VAN", name="Van 34 CEM 09", technician=tech, actor=ACTOR)
    return CaseField(tech, van)


def booked_case(service_desk: Any, cf: CaseField) -> tuple[Case, WorkOrder]:
    from opsdesk.orders.intake import OrderInput, orders_receive

    (result,) = orders_receive(service_desk.channel, [OrderInput(**order_data("TS-900"))], CHANNEL)
    assert result.outcome == "created", result.errors
    case = confirm(Case.objects.get(pk=result.order.case_id))
    assert case.state == "scheduled"
    wo = WorkOrder.objects.get(case=case)
    return case, plan(wo, cf.tech, wo.window_start)


def test_with_a_case_extra_parts_are_invoiced_and_the_playbook_follows(
    service_desk: Any, case_field: CaseField, frozen_clock: Any
) -> None:
    case, wo = booked_case(service_desk, case_field)
    assert (wo.required_parts, wo.window_start) == (
        {"ONT-1": 1},
        dt.datetime(2026, 10, 28, 11, 0, tzinfo=dt.UTC),
    )
    for sku, qty in (("ONT-1", 2), ("FLT-10", 3), ("VLV-3", 1)):
        stock_receive(case_field.van, sku, qty, ACTOR)

    frozen_clock.set_now(dt.datetime(2026, 10, 28, 10, 45, tzinfo=dt.UTC))
    jobs.travel_start(wo.pk, actor=ACTOR)
    assert Case.objects.get(pk=case.pk).state == "on_the_way"
    frozen_clock.set_now(dt.datetime(2026, 10, 28, 11, 0, tzinfo=dt.UTC))
    jobs.arrive(wo.pk, actor=ACTOR)
    done = dt.datetime(2026, 10, 28, 12, 30, tzinfo=dt.UTC)
    frozen_clock.set_now(done)
    jobs.complete(wo.pk, actor=ACTOR, parts_used={"ONT-1": 2, "FLT-10": 3, "VLV-3": 1})

    assert location_stock(case_field.van) == {}
    # One modem was the job's; the second, the filters and the valve are extra: one
    # invoice per currency, euros first.
    invoices = list(Invoice.objects.order_by("number"))
    assert [
        (i.number, i.currency, i.total, i.customer_id, i.case_id, i.source, i.issued_at)
        for i in invoices
    ] == [
        ("INV-2026-000001", "EUR", Decimal("1250.00"), case.customer_id, case.pk,
         f"work_order:{wo.pk}", done),
        ("INV-2026-000002", "TRY", Decimal("676.50"), case.customer_id, case.pk,
         f"work_order:{wo.pk}", done),
    ]  # fmt: skip
    lines = [
        [
            (ln.position, ln.description, ln.sku, ln.quantity, ln.unit_price, ln.amount)
            for ln in inv.lines.order_by("position")
        ]
        for inv in invoices
    ]
    assert lines == [
        [(1, "Fiber modem", "ONT-1", 1, Decimal("1250.00"), Decimal("1250.00"))],
        [
            (1, "Boiler filter", "FLT-10", 3, Decimal("85.50"), Decimal("256.50")),
            (2, "Gas valve", "VLV-3", 1, Decimal("420.00"), Decimal("420.00")),
        ],
    ]
    (completed,) = WorkOrderEvent.objects.filter(work_order=wo, kind=WorkEventKind.COMPLETED)
    assert [i["number"] for i in completed.data["invoices"]] == [
        "INV-2026-000001",
        "INV-2026-000002",
    ]
    case = Case.objects.get(pk=case.pk)
    assert case.state == "surveying"
    assert (
        Message.objects.filter(case=case, template="extra_parts_invoice", direction="OUTBOUND")
        .values_list("template", flat=True)
        .count()
        == 1
    )


def test_with_a_case_a_refused_completion_issues_no_invoice_and_tells_nothing(
    service_desk: Any, case_field: CaseField, frozen_clock: Any
) -> None:
    case, wo = booked_case(service_desk, case_field)
    stock_receive(case_field.van, "ONT-1", 1, ACTOR)
    WorkOrder.objects.filter(pk=wo.pk).update(status=WorkOrderStatus.ON_SITE)
    frozen_clock.set_now(dt.datetime(2026, 10, 28, 12, 30, tzinfo=dt.UTC))
    state = Case.objects.get(pk=case.pk).state
    messages = Message.objects.count()
    before = world()
    with pytest.raises(ValidationFailed) as refused:
        jobs.complete(wo.pk, actor=ACTOR, parts_used={"ONT-1": 2})
    assert refused.value.errors == {
        "parts_used": ["Van 34 CEM 09 has 1 of ONT-1, 2 asked (1 missing)"]
    }
    assert world() == before
    assert (Case.objects.get(pk=case.pk).state, Message.objects.count()) == (state, messages)
