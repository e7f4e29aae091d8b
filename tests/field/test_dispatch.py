"""Dispatch (opsdesk.field.dispatch): moving a work order on a technician's route,
refusals that write nothing, taking a technician out, and re-planning around a
started job."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings

from opsdesk.common.errors import Conflict
from opsdesk.engine.routing import check
from opsdesk.engine.routing.model import Plan, Route, Stop, Unplanned
from opsdesk.field import dispatch
from opsdesk.field.models import (
    TechnicianAbsence,
    WorkEventKind,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderStatus,
)
from opsdesk.field.planning import PlanRejected, day_problem, default_matrix
from opsdesk.field.services import stock_receive, work_order_create
from tests.field.conftest import ACTOR

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Europe/Istanbul")
DAY = dt.date(2026, 10, 30)
NOW = dt.datetime(2026, 10, 30, 8, 30, tzinfo=IST)
EARTH_RADIUS_M = 6_371_008.8


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 10, 30, hour, minute, tzinfo=IST)


def travel(a: tuple[float, float], b: tuple[float, float]) -> dt.timedelta:
    """Haversine at the configured speed, rounded to whole seconds."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    metres = 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))
    return dt.timedelta(seconds=round(metres / (django_settings.OPSDESK_TRAVEL_SPEED_KMH / 3.6)))


@dataclass
class Day:
    field: Any
    wo: dict[str, Any]


@pytest.fixture
def day(field: Any, frozen_clock: Any, settings: Any) -> Day:
    settings.OPSDESK_REPLAN_SECONDS = 1
    stock_receive(field.ali_van, "FLT-10", 2, ACTOR)
    stock_receive(field.ali_van, "ONT-1", 1, ACTOR)
    stock_receive(field.can_van, "FLT-10", 1, ACTOR)

    def wo(lat: float, lon: float, start: int, end: int, **kw: Any) -> Any:
        return work_order_create(
            latitude=lat,
            longitude=lon,
            window_start=at(start),
            window_end=at(end),
            duration_minutes=kw.pop("minutes", 45),
            actor=ACTOR,
            **kw,
        )

    orders = {
        "b1": wo(41.04, 29.00, 9, 12, required_skills=["boiler"], required_parts={"FLT-10": 1}),
        "b2": wo(41.01, 29.03, 9, 13, required_skills=["boiler"]),
        "fiber": wo(41.06, 28.99, 10, 14, required_skills=["fiber-splice"],
                    required_parts={"ONT-1": 1}),
        "valve": wo(41.02, 28.98, 9, 17, required_skills=["boiler"], required_parts={"VLV-3": 1}),
        "late": wo(41.00, 28.97, 16, 17, minutes=30),
    }  # fmt: skip
    frozen_clock.set_now(NOW.astimezone(dt.UTC))
    return Day(field, orders)


def rows() -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in WorkOrder.objects.values()}


def place(wo: Any) -> tuple[float, float]:
    return (wo.latitude, wo.longitude)


def test_a_move_places_the_work_order_and_re_times_the_route(day: Day) -> None:
    f, wo = day.field, day.wo
    ali = f.ali
    dispatch.route_move(wo["b2"].pk, ali.pk, 1, actor=ACTOR)
    moved = dispatch.route_move(wo["b1"].pk, ali.pk, 1, actor=ACTOR)

    home = (ali.home_latitude, ali.home_longitude)
    b1_arrival = NOW + travel(home, place(wo["b1"]))  # leaves at now, 08:30
    assert b1_arrival < at(9)  # and waits for the window
    b1_end = at(9, 45)
    b2_arrival = b1_end + travel(place(wo["b1"]), place(wo["b2"]))
    assert (moved.status, moved.technician_id, moved.planned_start, moved.route_position) == (
        WorkOrderStatus.PLANNED,
        ali.pk,
        at(9),
        1,
    )
    b2 = WorkOrder.objects.get(pk=wo["b2"].pk)
    assert (b2.status, b2.technician_id, b2.planned_start, b2.route_position) == (
        WorkOrderStatus.PLANNED,
        ali.pk,
        b2_arrival,
        2,
    )
    assert (moved.unplanned_reason, moved.updated_at) == ("", NOW)
    (event,) = WorkOrderEvent.objects.filter(work_order_id=wo["b1"].pk)
    assert (event.kind, event.actor, event.at, event.data) == (
        WorkEventKind.REASSIGNED,
        "user:maria",
        NOW,
        {"source": None, "target": ali.pk, "position": 1},
    )
    # The rows, read back as a plan, pass the independent checker.
    problem, _ = day_problem(DAY, now=NOW)
    b2_end = b2_arrival + dt.timedelta(minutes=45)
    route = Route(
        ali.pk,
        NOW,
        b2_end + travel(place(wo["b2"]), home),
        (Stop(wo["b1"].pk, b1_arrival, at(9), b1_end), Stop(wo["b2"].pk, b2_arrival, b2_arrival,
                                                            b2_end)),
    )  # fmt: skip
    others = tuple(Unplanned(j.id, "not planned") for j in problem.jobs if j.id not in (
        wo["b1"].pk, wo["b2"].pk))  # fmt: skip
    assert check.check_plan(problem, Plan((route,), others), default_matrix()) == []
    # Untouched: the rest of the day.
    for name in ("fiber", "valve", "late"):
        assert WorkOrder.objects.get(pk=wo[name].pk).status == WorkOrderStatus.UNPLANNED


def test_a_move_between_technicians_re_times_both_routes(day: Day) -> None:
    f, wo = day.field, day.wo
    dispatch.route_move(wo["b1"].pk, f.ali.pk, 1, actor=ACTOR)
    dispatch.route_move(wo["b2"].pk, f.ali.pk, 2, actor=ACTOR)
    dispatch.route_move(wo["b1"].pk, f.can.pk, 5, actor=ACTOR)  # past the end: appended
    b1 = WorkOrder.objects.get(pk=wo["b1"].pk)
    b2 = WorkOrder.objects.get(pk=wo["b2"].pk)
    can_home = (f.can.home_latitude, f.can.home_longitude)
    ali_home = (f.ali.home_latitude, f.ali.home_longitude)
    assert (b1.technician_id, b1.route_position, b1.planned_start) == (f.can.pk, 1, at(9))
    assert NOW + travel(can_home, place(wo["b1"])) <= at(9)
    # b2 is now first on ali's route: starts as soon as he gets there (or at 09:00).
    expected = max(NOW + travel(ali_home, place(wo["b2"])), at(9))
    assert (b2.technician_id, b2.route_position, b2.planned_start) == (f.ali.pk, 1, expected)


@pytest.mark.parametrize(
    ("name", "position", "expected"),
    [
        # can has no fiber-splice, and no ONT-1 in his van
        ("fiber", 2, [("skills", "job"), ("stock", "tech")]),
        ("valve", 2, [("stock", "tech")]),  # nobody's van holds VLV-3
        # can's shift ends at 15:00; the window opens at 16:00
        ("late", 2, [("shift", "tech")]),
        # first, it also pushes b2 past its window
        ("late", 1, [("shift", "tech"), ("window", "b2")]),
    ],
)
def test_a_move_that_breaks_a_constraint_is_refused_and_writes_nothing(
    day: Day, name: str, position: int, expected: list[tuple[str, str]]
) -> None:
    f, wo = day.field, day.wo
    dispatch.route_move(wo["b2"].pk, f.can.pk, 1, actor=ACTOR)
    before = rows()
    events = WorkOrderEvent.objects.count()
    with pytest.raises(PlanRejected) as rejected:
        dispatch.route_move(wo[name].pk, f.can.pk, position, actor=ACTOR)
    subjects = {"job": wo[name].pk, "tech": f.can.pk, "b2": wo["b2"].pk}
    assert sorted((v.kind, v.subject) for v in rejected.value.violations) == sorted(
        (kind, subjects[who]) for kind, who in expected
    )
    assert rows() == before
    assert WorkOrderEvent.objects.count() == events


def test_no_technician_takes_it_off_the_plan(day: Day) -> None:
    f, wo = day.field, day.wo
    dispatch.route_move(wo["b1"].pk, f.ali.pk, 1, actor=ACTOR)
    off = dispatch.route_move(wo["b1"].pk, None, 1, actor=ACTOR)
    assert (
        off.status,
        off.technician_id,
        off.planned_start,
        off.route_position,
        off.unplanned_reason,
    ) == (WorkOrderStatus.UNPLANNED, None, None, None, "taken off the plan by dispatch")
    last = WorkOrderEvent.objects.filter(work_order_id=wo["b1"].pk).order_by("pk").last()
    assert last is not None
    assert (last.kind, last.data) == (
        WorkEventKind.REASSIGNED,
        {"source": f.ali.pk, "target": None},
    )


def test_taking_a_stop_off_closes_up_the_route(day: Day) -> None:
    f, wo = day.field, day.wo
    dispatch.route_move(wo["b2"].pk, f.ali.pk, 1, actor=ACTOR)
    dispatch.route_move(wo["b1"].pk, f.ali.pk, 1, actor=ACTOR)
    dispatch.route_move(wo["b1"].pk, None, 1, actor=ACTOR)
    b2 = WorkOrder.objects.get(pk=wo["b2"].pk)
    home = (f.ali.home_latitude, f.ali.home_longitude)
    # b2 is first again: from home, waiting for its 09:00 window.
    assert max(NOW + travel(home, place(wo["b2"])), at(9)) == at(9)
    assert (b2.status, b2.technician_id, b2.route_position, b2.planned_start) == (
        WorkOrderStatus.PLANNED,
        f.ali.pk,
        1,
        at(9),
    )


@pytest.mark.parametrize("target", ["ali", "can", None])
def test_a_started_work_order_cannot_be_moved(day: Day, target: str | None) -> None:
    f, wo = day.field, day.wo
    WorkOrder.objects.filter(pk=wo["b1"].pk).update(
        status=WorkOrderStatus.TRAVELLING, technician=f.ali, planned_start=at(9), route_position=1
    )
    before = rows()
    tech_id = getattr(f, target).pk if target else None
    with pytest.raises(Conflict):
        dispatch.route_move(wo["b1"].pk, tech_id, 1, actor=ACTOR)
    assert rows() == before
    assert WorkOrderEvent.objects.count() == 0


def test_technician_out_moves_their_work_to_others(day: Day) -> None:
    f, wo = day.field, day.wo
    for n, name in enumerate(("b1", "b2", "fiber"), start=1):
        dispatch.route_move(wo[name].pk, f.ali.pk, n, actor=ACTOR)
    events = WorkOrderEvent.objects.count()

    assert dispatch.technician_out(f.ali.pk, DAY, actor=ACTOR, reason=" Sick ") == 3
    absence = TechnicianAbsence.objects.get()
    assert (absence.technician_id, absence.date, absence.reason, absence.created_at) == (
        f.ali.pk,
        DAY,
        "Sick",
        NOW,
    )
    out = WorkOrderEvent.objects.filter(kind=WorkEventKind.TECHNICIAN_OUT).order_by("work_order")
    assert sorted((e.work_order_id, e.data["technician"], e.data["reason"]) for e in out) == sorted(
        (wo[n].pk, f.ali.pk, "Sick") for n in ("b1", "b2", "fiber")
    )
    assert WorkOrderEvent.objects.count() == events + 3
    after = rows()
    assert not [r for r in after.values() if r["technician_id"] == f.ali.pk]
    # The boiler jobs fit can's day; only ali splices fibre.
    for name in ("b1", "b2"):
        assert (after[wo[name].pk]["status"], after[wo[name].pk]["technician_id"]) == (
            WorkOrderStatus.PLANNED,
            f.can.pk,
        )
    assert (after[wo["fiber"].pk]["status"], after[wo["fiber"].pk]["technician_id"]) == (
        WorkOrderStatus.UNPLANNED,
        None,
    )
    assert after[wo["fiber"].pk]["unplanned_reason"] == "no technician has skill fiber-splice"

    with pytest.raises(Conflict):
        dispatch.technician_out(f.ali.pk, DAY, actor=ACTOR, reason="Still sick")
    assert rows() == after
    assert TechnicianAbsence.objects.count() == 1


def test_replan_keeps_a_started_job_on_its_technician(day: Day) -> None:
    f, wo = day.field, day.wo
    WorkOrder.objects.filter(pk=wo["b2"].pk).update(
        status=WorkOrderStatus.TRAVELLING, technician=f.can, planned_start=at(9), route_position=1
    )
    started = rows()[wo["b2"].pk]
    result = dispatch.replan_now(DAY, actor=ACTOR)
    assert result.started == 1
    assert rows()[wo["b2"].pk] == started
    can_route = result.plan.route_of(f.can.pk)
    assert can_route is not None and can_route.stops[0].job_id == wo["b2"].pk
    assert check.check_plan(result.problem, result.plan, default_matrix()) == []
    b1 = WorkOrder.objects.get(pk=wo["b1"].pk)
    assert b1.status == WorkOrderStatus.PLANNED
