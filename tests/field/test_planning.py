"""Daily route planning from the database: the problem built from technicians,
vans and work orders, the plan written back, re-planning, days off, and the
`opsdesk plan routes` command."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.common.actors import Actor
from opsdesk.engine.routing import check
from opsdesk.field import planning
from opsdesk.field.models import WorkOrder, WorkOrderStatus
from opsdesk.field.planning import PlanRejected, day_problem, routes_plan
from opsdesk.field.services import (
    location_create,
    part_create,
    stock_receive,
    technician_create,
    work_order_create,
)
from opsdesk.staff.models import BusinessCalendar

pytestmark = pytest.mark.django_db

ACTOR = Actor("user:maria")
IST = ZoneInfo("Europe/Istanbul")
DAY = dt.date(2026, 10, 30)  # a Friday; the 29th is Republic Day
NOW = dt.datetime(2026, 10, 30, 8, 30, tzinfo=IST)  # the day has begun
LIMIT = 1.0


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 10, 30, hour, minute, tzinfo=IST)


@dataclass
class Day:
    field: Any
    olga: Any  # a third technician: air conditioning only
    wo: dict[str, Any]  # work orders by a short name


@pytest.fixture
def day(field: Any, staff: Any, frozen_clock: Any) -> Day:
    olga = technician_create(
        staff.outsider,
        home_latitude=41.0255,
        home_longitude=29.0150,
        skills=["ac"],
        actor=ACTOR,
    )
    olga_van = location_create(kind="VAN", name="Van 34 OLG 03", technician=olga, actor=ACTOR)
    part_create(sku="CMP-9", name="Compressor", unit_price="3000", actor=ACTOR)
    stock_receive(field.ali_van, "FLT-10", 2, ACTOR)
    stock_receive(field.ali_van, "ONT-1", 1, ACTOR)
    stock_receive(field.can_van, "FLT-10", 2, ACTOR)
    stock_receive(olga_van, "VLV-3", 1, ACTOR)

    def wo(lat: float, lon: float, start: int, end: int, **kw: Any) -> Any:
        return work_order_create(
            latitude=lat,
            longitude=lon,
            window_start=at(start),
            window_end=at(end),
            duration_minutes=kw.pop("minutes", 45),
            address=kw.pop("address"),
            actor=ACTOR,
            **kw,
        )

    orders = {
        "boiler1": wo(41.04, 29.00, 9, 12, address="Büyükdere Cd. 1", required_skills=["boiler"],
                      required_parts={"FLT-10": 1}),
        "boiler2": wo(41.01, 29.03, 9, 13, address="Bağdat Cd. 2", required_skills=["boiler"]),
        "fiber": wo(41.06, 28.99, 10, 14, address="Levent 3", required_skills=["fiber-splice"],
                    required_parts={"ONT-1": 1}, priority="HIGH"),
        "ac1": wo(41.03, 29.02, 9, 12, address="Beşiktaş 4", required_skills=["ac"],
                  required_parts={"VLV-3": 1}),
        "ac2": wo(41.02, 29.05, 13, 16, address="Üsküdar 5", required_skills=["ac"]),
        "any": wo(41.00, 28.97, 12, 15, address="Fatih 6"),
        "boiler3": wo(41.05, 29.01, 11, 14, address="Şişli 7", required_skills=["boiler"],
                      required_parts={"FLT-10": 1}),
        "compressor": wo(41.02, 28.98, 9, 17, address="Beyoğlu 8",
                         required_parts={"CMP-9": 1}),
        "gas": wo(41.01, 28.99, 9, 17, address="Eminönü 9", required_skills=["gas"]),
        "started": wo(40.99, 29.04, 8, 10, address="Kadıköy 10", required_skills=["boiler"],
                      minutes=60),
        "tomorrow": work_order_create(
            latitude=41.0, longitude=29.0, window_start=at(9) + dt.timedelta(days=1),
            window_end=at(11) + dt.timedelta(days=1), duration_minutes=30, actor=ACTOR,
        ),
    }  # fmt: skip
    # The started job: can is on site since 08:15.
    WorkOrder.objects.filter(pk=orders["started"].pk).update(
        status=WorkOrderStatus.ON_SITE, technician=field.can, planned_start=at(8, 15),
        route_position=1,
    )  # fmt: skip
    frozen_clock.set_now(NOW.astimezone(dt.UTC))
    return Day(field, olga, orders)


def rows() -> dict[str, tuple[Any, ...]]:
    return {
        wo.pk: (wo.status, wo.technician_id, wo.planned_start, wo.route_position,
                wo.unplanned_reason, wo.updated_at)
        for wo in WorkOrder.objects.all()
    }  # fmt: skip


def assert_written(result: planning.PlanResult, day: Day) -> None:
    """The rows say what the plan says, and every assignment holds up on its own."""
    started = day.wo["started"].pk
    for route in result.plan.routes:
        for position, stop in enumerate(route.stops, start=1):
            wo = WorkOrder.objects.get(pk=stop.job_id)
            if wo.pk == started:
                continue
            assert (wo.status, wo.technician_id, wo.planned_start, wo.route_position) == (
                WorkOrderStatus.PLANNED,
                route.technician_id,
                stop.start,
                position,
            )
            assert wo.unplanned_reason == ""
    for item in result.plan.unplanned:
        wo = WorkOrder.objects.get(pk=item.job_id)
        assert (wo.status, wo.technician_id, wo.planned_start, wo.route_position) == (
            WorkOrderStatus.UNPLANNED,
            None,
            None,
            None,
        )
        assert wo.unplanned_reason == item.reason
    assert check.check_plan(result.problem, result.plan, planning.default_matrix()) == []
    # From the rows alone: skills, van stock and windows.
    techs = {t.id: t for t in result.problem.technicians}
    used: dict[str, Counter[str]] = {}
    for wo in WorkOrder.objects.filter(status=WorkOrderStatus.PLANNED):
        tech = techs[wo.technician_id]
        assert set(wo.required_skills) <= tech.skills
        assert wo.window_start <= wo.planned_start <= wo.window_end
        assert tech.shift_start <= wo.planned_start
        assert wo.planned_start + dt.timedelta(minutes=wo.duration_minutes) <= tech.shift_end
        used.setdefault(tech.id, Counter()).update(wo.required_parts)
    for tech_id, parts in used.items():
        for sku, qty in parts.items():
            assert qty <= techs[tech_id].stock.get(sku, 0)


def test_day_problem_reads_technicians_vans_and_work_orders(day: Day) -> None:
    f = day.field
    problem, ctx = day_problem(DAY, now=NOW)
    techs = {t.id: t for t in problem.technicians}
    assert set(techs) == {f.ali.pk, f.can.pk, day.olga.pk}
    assert techs[f.ali.pk].stock == {"FLT-10": 2, "ONT-1": 1}
    assert techs[f.can.pk].stock == {"FLT-10": 2}
    assert techs[day.olga.pk].stock == {"VLV-3": 1}
    assert techs[f.ali.pk].skills == {"boiler", "fiber-splice"}
    # Shifts in local time, none starting before now.
    assert techs[f.can.pk].shift_end == at(15)
    assert techs[f.ali.pk].shift_start == NOW
    assert techs[f.ali.pk].shift_end == at(18)
    jobs = {j.id: j for j in problem.jobs}
    assert set(jobs) == {w.pk for name, w in day.wo.items() if name != "tomorrow"}
    started = jobs[day.wo["started"].pk]
    assert (started.fixed_technician, started.fixed_position, started.started_at) == (
        f.can.pk,
        0,
        at(8, 15),
    )
    assert jobs[day.wo["fiber"].pk].priority == 2
    assert jobs[day.wo["boiler1"].pk].parts == {"FLT-10": 1}
    assert jobs[day.wo["boiler1"].pk].duration == dt.timedelta(minutes=45)
    assert ctx.started == (day.wo["started"].pk,)
    assert ctx.off == {}


def test_plan_a_day_writes_the_plan(day: Day) -> None:
    wo = day.wo
    before = rows()
    result = routes_plan(DAY, actor=ACTOR, time_limit_s=LIMIT)
    assert (result.planned, result.unplanned, result.started) == (7, 2, 1)
    assert {u.job_id: u.reason for u in result.plan.unplanned} == {
        wo["compressor"].pk: "no van holds part CMP-9",
        wo["gas"].pk: "no technician has skill gas",
    }
    assert_written(result, day)
    after = rows()
    # The started job and tomorrow's are untouched; the fiber job is ali's, the ac jobs olga's.
    for name in ("started", "tomorrow"):
        assert after[wo[name].pk] == before[wo[name].pk]
    assert after[wo["fiber"].pk][1] == day.field.ali.pk
    assert after[wo["ac1"].pk][1] == after[wo["ac2"].pk][1] == day.olga.pk
    can_route = result.plan.route_of(day.field.can.pk)
    assert can_route is not None
    assert can_route.stops[0].job_id == wo["started"].pk


def test_replanning_is_consistent(day: Day) -> None:
    first = routes_plan(DAY, actor=ACTOR, time_limit_s=LIMIT)
    second = routes_plan(DAY, actor=ACTOR, time_limit_s=LIMIT, seed=2)
    assert (second.planned, second.unplanned, second.started) == (7, 2, 1)
    assert second.plan.unplanned == first.plan.unplanned
    assert_written(second, day)
    started = WorkOrder.objects.get(pk=day.wo["started"].pk)
    assert (started.status, started.technician_id, started.route_position) == (
        WorkOrderStatus.ON_SITE,
        day.field.can.pk,
        1,
    )


def test_a_technician_on_holiday_gets_nothing(day: Day, staff: Any) -> None:
    off = BusinessCalendar.objects.create(
        name="Olga's calendar", country="TR", extra_holidays=["2026-10-30"]
    )
    staff.outsider.calendar = off
    staff.outsider.save(update_fields=["calendar"])
    problem, ctx = day_problem(DAY, now=NOW)
    assert day.olga.pk not in {t.id for t in problem.technicians}
    assert list(ctx.off) == [day.olga.pk]
    result = routes_plan(DAY, actor=ACTOR, time_limit_s=LIMIT)
    assert result.plan.route_of(day.olga.pk) is None
    assert not WorkOrder.objects.filter(technician=day.olga).exists()
    reasons = {u.job_id: u.reason for u in result.plan.unplanned}
    assert reasons[day.wo["ac1"].pk] == "no technician has skill ac"
    assert reasons[day.wo["ac2"].pk] == "no technician has skill ac"
    assert_written(result, day)


def test_a_plan_failing_the_check_is_not_written(day: Day, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = check.Violation("window", day.wo["boiler1"].pk, "starts too late")
    monkeypatch.setattr(planning.check, "check_plan", lambda *a: [bad])
    before = rows()
    with pytest.raises(PlanRejected, match=r"nothing written: window wo_\w+: starts too late"):
        routes_plan(DAY, actor=ACTOR, time_limit_s=LIMIT)
    assert rows() == before


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("plan", "routes", *args, stdout=out)
    return out.getvalue()


def test_command_prints_routes_unplanned_and_summary(day: Day) -> None:
    wo = day.wo
    lines = run("--date", "2026-10-30", "--time-limit", "1").splitlines()
    assert lines[-1].startswith("2026-10-30: 7 planned, 2 unplanned, 1 started; 3 technicians, ")
    assert "unplanned:" in lines
    assert f"  {wo['compressor'].pk}  no van holds part CMP-9" in lines
    assert f"  {wo['gas'].pk}  no technician has skill gas" in lines
    can = lines.index(next(line for line in lines if line.startswith("John Carter (")))
    assert lines[can + 1] == f"  1. 08:15  {wo['started'].pk}  Kadıköy 10 (started)"
    fiber = WorkOrder.objects.get(pk=wo["fiber"].pk)
    local = fiber.planned_start.astimezone(IST)
    assert f"  {fiber.route_position}. {local:%H:%M}  {fiber.pk}  Levent 3" in lines


def test_command_nothing_to_plan(day: Day) -> None:
    before = rows()
    assert run("--date", "2026-11-02") == "nothing to plan on 2026-11-02\n"
    assert rows() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--date", "30.10.2026"), "--date: a date as YYYY-MM-DD, got '30.10.2026'"),
        (("--date", "2026-02-30"), "--date: a date as YYYY-MM-DD, got '2026-02-30'"),
        (("--date", "2026-10-30", "--time-limit", "0"), "--time-limit: seconds from 0 to 3600"),
    ],
)
def test_command_refuses_bad_input(day: Day, args: tuple[str, ...], message: str) -> None:
    before = rows()
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert rows() == before
