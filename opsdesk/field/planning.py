"""Daily route planning from the database: build the day's routing problem from
technicians, vans and work orders, plan it, check it, and write it back.

`day_problem(date, now=...)` reads; `routes_plan(date, actor=...)` is the only
writer. A local date is a day in Europe/Istanbul for the work orders, and in
each technician's calendar time zone for their shift (the agent's calendar,
else the team's; a technician without one works every day in Istanbul time).
Work orders already under way (TRAVELLING, ON_SITE) are fixed on their
technician and never rewritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict
from opsdesk.engine.routing import check, solve, travel
from opsdesk.engine.routing.model import Job, Plan, Problem
from opsdesk.engine.routing.model import Technician as RoutingTechnician
from opsdesk.field.models import (
    LocationKind,
    StockLevel,
    Technician,
    TechnicianAbsence,
    WorkOrder,
    WorkOrderStatus,
)
from opsdesk.staff.calendars import agent_calendar

DEFAULT_TIMEZONE = "Europe/Istanbul"
PLANNABLE = (WorkOrderStatus.UNPLANNED, WorkOrderStatus.PLANNED)
STARTED = (WorkOrderStatus.ON_SITE, WorkOrderStatus.TRAVELLING)  # in route order
PRIORITY_RANK = {"LOW": 0, "MEDIUM": 1, "HIGH": 2, "URGENT": 3}


class PlanRejected(Conflict):
    """The planner's plan failed the independent check; nothing was written."""

    def __init__(self, violations: list[check.Violation]):
        self.violations = violations
        lines = [f"{v.kind} {v.subject}: {v.message}" for v in violations]
        super().__init__("the plan breaks its constraints, nothing written: " + "; ".join(lines))


@dataclass(frozen=True)
class DayContext:
    """What `day_problem` read, for writing the plan back and printing it."""

    date: dt.date
    technicians: dict[str, Technician]  # planned technicians by id
    zones: dict[str, ZoneInfo]  # each technician's time zone
    work_orders: dict[str, WorkOrder]  # every work order in the problem, by id
    started: tuple[str, ...]  # the fixed (already started) work orders
    off: dict[str, str] = field(default_factory=dict)  # technician id -> why not planned


@dataclass(frozen=True)
class PlanResult:
    date: dt.date
    planned: int  # work orders written as PLANNED
    unplanned: int  # work orders written as UNPLANNED
    started: int  # fixed work orders, left as they were
    plan: Plan
    problem: Problem
    context: DayContext

    @property
    def nothing_to_plan(self) -> bool:
        return self.planned == 0 and self.unplanned == 0


def _zone_bounds(date: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(date, dt.time(0, 0), tzinfo=zone)
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _van_stock(tech: Technician) -> dict[str, int]:
    rows = StockLevel.objects.filter(
        location__technician=tech, location__kind=LocationKind.VAN, quantity__gt=0
    )
    return dict(rows.values_list("part__sku", "quantity"))


def day_problem(date: dt.date, *, now: dt.datetime) -> tuple[Problem, DayContext]:
    """The routing problem for a local date, and what it was built from.

    A technician's shift starts no earlier than `now` (re-planning during the day).
    Started work orders are fixed on their technician, ON_SITE before TRAVELLING, with
    `started_at` their planned start, kept on the right side of `now` (an ON_SITE job
    began by now, a TRAVELLING one begins no earlier than now).
    """
    techs: list[RoutingTechnician] = []
    models: dict[str, Technician] = {}
    zones: dict[str, ZoneInfo] = {}
    off: dict[str, str] = {}
    rows = Technician.objects.filter(active=True, agent__active=True).select_related(
        "agent__calendar", "agent__team__calendar"
    )
    absent = dict(
        TechnicianAbsence.objects.filter(date=date).values_list("technician_id", "reason")
    )
    for tech in rows.order_by("id"):
        agent = tech.agent
        if tech.id in absent:
            off[tech.id] = f"out: {absent[tech.id]}"
            continue
        calendar = agent_calendar(agent)
        if calendar is not None and not calendar.is_business_day(date):
            off[tech.id] = calendar.holiday_name(date) or "not a working day"
            continue
        zone = ZoneInfo(calendar.timezone if calendar is not None else DEFAULT_TIMEZONE)
        shift_start = dt.datetime.combine(date, tech.shift_start, tzinfo=zone).astimezone(dt.UTC)
        shift_end = dt.datetime.combine(date, tech.shift_end, tzinfo=zone).astimezone(dt.UTC)
        shift_start = min(max(shift_start, now), shift_end)
        techs.append(
            RoutingTechnician(
                id=tech.id,
                home=(tech.home_latitude, tech.home_longitude),
                shift_start=shift_start,
                shift_end=shift_end,
                skills=frozenset(tech.skills),
                stock=_van_stock(tech),
                languages=frozenset(agent.languages),
            )
        )
        models[tech.id] = tech
        zones[tech.id] = zone

    day_start, day_end = _zone_bounds(date, ZoneInfo(DEFAULT_TIMEZONE))
    orders = WorkOrder.objects.filter(
        window_start__gte=day_start,
        window_start__lt=day_end,
        status__in=[*PLANNABLE, *STARTED],
    ).order_by("window_start", "id")
    jobs: list[Job] = []
    work_orders: dict[str, WorkOrder] = {}
    started: list[WorkOrder] = []
    for wo in orders:
        if wo.status in STARTED:
            if wo.technician_id not in models:
                continue  # under way with someone not planned today: not ours to plan
            started.append(wo)
            continue
        work_orders[wo.id] = wo
        jobs.append(_job(wo))
    started.sort(
        key=lambda wo: (
            wo.technician_id,
            STARTED.index(wo.status),
            wo.route_position if wo.route_position is not None else 0,
            wo.id,
        )
    )
    fixed: list[Job] = []
    for position, wo in enumerate(started):
        if wo.status == WorkOrderStatus.ON_SITE:  # began at its planned start, or by now
            started_at = min(wo.planned_start or now, now)
        else:  # travelling: begins at its planned start, or later
            started_at = max(wo.planned_start or now, now)
        fixed.append(
            _job(
                wo,
                fixed_technician=wo.technician_id,
                fixed_position=position,
                started_at=started_at,
            )
        )
        work_orders[wo.id] = wo
    problem = Problem(technicians=tuple(techs), jobs=tuple(fixed + jobs))
    context = DayContext(
        date=date,
        technicians=models,
        zones=zones,
        work_orders=work_orders,
        started=tuple(wo.id for wo in started),
        off=off,
    )
    return problem, context


def technician_zone(tech: Technician) -> ZoneInfo:
    """The time zone of a technician's calendar (their own, else their team's)."""
    calendar = agent_calendar(tech.agent)
    return ZoneInfo(calendar.timezone if calendar is not None else DEFAULT_TIMEZONE)


def _job(wo: WorkOrder, **fixed: Any) -> Job:
    return Job(
        id=wo.id,
        location=(wo.latitude, wo.longitude),
        window_start=wo.window_start,
        window_end=wo.window_end,
        duration=dt.timedelta(minutes=wo.duration_minutes),
        skills=frozenset(wo.required_skills),
        parts={sku: int(qty) for sku, qty in (wo.required_parts or {}).items()},
        priority=PRIORITY_RANK.get(wo.priority, 1),
        **fixed,
    )


def default_matrix() -> travel.TravelMatrix:
    return travel.StraightLine(speed_kmh=float(settings.OPSDESK_TRAVEL_SPEED_KMH))


def routes_plan(
    date: dt.date,
    *,
    actor: Actor,
    time_limit_s: float = 10,
    seed: int = 1,
    matrix: travel.TravelMatrix | None = None,
) -> PlanResult:
    """Plan a day's work orders and write the plan: PLANNED with technician, start and
    position, or UNPLANNED with the reason. Started work orders are left as they are.
    Raises `PlanRejected` (nothing written) if the plan fails `check_plan`, and
    `Conflict` if a work order changed status while planning."""
    now = clock.now()
    matrix = matrix or default_matrix()
    problem, context = day_problem(date, now=now)
    started = set(context.started)
    if len(problem.jobs) == len(started):
        empty = Plan((), ())
        return PlanResult(date, 0, 0, len(started), empty, problem, context)
    plan = solve.plan(problem, matrix, time_limit_s=time_limit_s, seed=seed)
    violations = check.check_plan(problem, plan, matrix)
    if violations:
        raise PlanRejected(violations)

    updates: dict[str, dict[str, Any]] = {}
    for route in plan.routes:
        for position, stop in enumerate(route.stops, start=1):
            if stop.job_id in started:
                continue
            updates[stop.job_id] = {
                "status": WorkOrderStatus.PLANNED,
                "technician_id": route.technician_id,
                "planned_start": stop.start,
                "route_position": position,
                "unplanned_reason": "",
            }
    for item in plan.unplanned:
        updates[item.job_id] = {
            "status": WorkOrderStatus.UNPLANNED,
            "technician_id": None,
            "planned_start": None,
            "route_position": None,
            "unplanned_reason": item.reason,
        }
    with transaction.atomic():
        ids = sorted(updates)
        list(WorkOrder.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        for wo_id in ids:
            changed = WorkOrder.objects.filter(pk=wo_id, status__in=PLANNABLE).update(
                **updates[wo_id], updated_at=now
            )
            if changed != 1:
                raise Conflict(f"work order {wo_id} changed while planning; plan again")
    planned = sum(1 for u in updates.values() if u["status"] == WorkOrderStatus.PLANNED)
    return PlanResult(date, planned, len(updates) - planned, len(started), plan, problem, context)
