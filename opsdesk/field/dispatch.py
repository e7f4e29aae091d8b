"""Dispatch: the dispatcher's hands on a planned day.

`route_move` puts one work order on a technician's route at a position (or
takes it off the plan), re-times the routes it touches and has the
independent checker verify the target route before anything is written: a
move that breaks skills, van stock, a window or a shift is refused with the
checker's reasons. `replan_now` plans the day again, keeping started jobs.
`technician_out` records a technician out for a day and re-plans without them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed, status_word
from opsdesk.engine.routing import check
from opsdesk.engine.routing.model import Plan, Problem, Route, Unplanned
from opsdesk.engine.routing.sequence import route_times
from opsdesk.engine.routing.travel import TravelMatrix
from opsdesk.field.models import (
    Technician,
    TechnicianAbsence,
    WorkEventKind,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderStatus,
)
from opsdesk.field.planning import (
    PLANNABLE,
    DayContext,
    PlanRejected,
    PlanResult,
    day_problem,
    default_matrix,
    routes_plan,
)
from opsdesk.field.replan import day_bounds, local_day

OFF_PLAN = "taken off the plan by dispatch"


def _routes(context: DayContext) -> dict[str, list[str]]:
    """Each planned technician's route as it stands: started jobs, then planned ones."""
    routes: dict[str, list[str]] = {tid: [] for tid in context.technicians}
    for wo_id in context.started:
        routes[context.work_orders[wo_id].technician_id or ""].append(wo_id)
    planned = sorted(
        (
            wo
            for wo in context.work_orders.values()
            if wo.status == WorkOrderStatus.PLANNED and wo.technician_id in routes
        ),
        key=lambda wo: (wo.route_position or 0, wo.planned_start or wo.window_start, wo.pk),
    )
    for wo in planned:
        routes[wo.technician_id or ""].append(wo.pk)
    return routes


def _plan(problem: Problem, routes: dict[str, list[str]], matrix: TravelMatrix) -> Plan:
    timed = []
    for tech in problem.technicians:
        ids = routes.get(tech.id, [])
        if ids:
            timed.append(route_times(problem, tech.id, ids, matrix))
        else:
            timed.append(Route(tech.id, tech.shift_start, tech.shift_start, ()))
    on_route = {j for ids in routes.values() for j in ids}
    left = tuple(Unplanned(j.id, "not planned") for j in problem.jobs if j.id not in on_route)
    return Plan(tuple(timed), left)


def _event(wo: WorkOrder, actor: Actor, now: dt.datetime, **data: object) -> None:
    WorkOrderEvent.objects.create(
        work_order=wo, kind=WorkEventKind.REASSIGNED, at=now, actor=actor.label, data=data
    )


def route_move(
    work_order_id: str,
    technician_id: str | None,
    position: int,
    *,
    actor: Actor,
    matrix: TravelMatrix | None = None,
) -> WorkOrder:
    """Put a planned or unplanned work order at `position` (1-based, among the
    technician's not-yet-started stops) on `technician_id`'s route of its day, or take
    it off the plan (`technician_id` None). Raises PlanRejected, writing nothing, when
    the technician's route would break a constraint."""
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        raise ValidationFailed({"position": ["a position from 1"]})
    now = clock.now()
    matrix = matrix or default_matrix()
    with transaction.atomic():
        wo = WorkOrder.objects.select_for_update().filter(pk=work_order_id).first()
        if wo is None:
            raise ValidationFailed({"work_order": [f"no work order {work_order_id}"]})
        if wo.status not in PLANNABLE:
            raise Conflict(f"work order {wo.pk} is {status_word(wo.status)}: not movable")
        source = wo.technician_id
        date = local_day(wo.window_start)
        problem, context = day_problem(date, now=now)
        if technician_id is not None and technician_id not in context.technicians:
            why = context.off.get(technician_id)
            if why is None:
                exists = Technician.objects.filter(pk=technician_id, active=True).exists()
                why = "not working that day" if exists else "no such technician"
            raise ValidationFailed({"technician": [f"{technician_id}: {why}"]})
        routes = _routes(context)
        for ids in routes.values():
            if wo.pk in ids:
                ids.remove(wo.pk)
        target: list[str] = []
        if technician_id is not None:
            target = routes[technician_id]
            fixed = sum(1 for j in target if j in context.started)
            target.insert(min(fixed + position - 1, len(target)), wo.pk)
        plan = _plan(problem, routes, matrix)
        concerned = {technician_id, *target} if technician_id is not None else set()
        violations = [v for v in check.check_plan(problem, plan, matrix) if v.subject in concerned]
        if violations:
            raise PlanRejected(violations)
        if technician_id is None:  # off the plan; the source route closes up below
            WorkOrder.objects.filter(pk=wo.pk).update(
                status=WorkOrderStatus.UNPLANNED,
                technician=None,
                planned_start=None,
                route_position=None,
                unplanned_reason=OFF_PLAN,
                updated_at=now,
            )
        for tid in {technician_id, source} - {None}:
            route = plan.route_of(tid or "")
            if route is None:
                continue
            for n, stop in enumerate(route.stops, start=1):
                if stop.job_id in context.started:
                    continue
                WorkOrder.objects.filter(pk=stop.job_id).update(
                    status=WorkOrderStatus.PLANNED,
                    technician_id=tid,
                    planned_start=stop.start,
                    route_position=n,
                    unplanned_reason="",
                    updated_at=now,
                )
        where = {"position": position} if technician_id is not None else {}
        _event(wo, actor, now, source=source, target=technician_id, **where)
        wo.refresh_from_db()
        return wo


def replan_now(date: dt.date, *, actor: Actor) -> PlanResult:
    """Plan the day again; started jobs stay where they are."""
    return routes_plan(date, actor=actor, time_limit_s=float(settings.OPSDESK_REPLAN_SECONDS))


def technician_out(technician_id: str, date: dt.date, *, actor: Actor, reason: str) -> int:
    """The technician cannot work on `date`: their unfinished work orders of that day
    leave them (started ones too: nobody is doing them now) and the day is re-planned.
    Returns how many work orders left them."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["say why the technician is out"]})
    tech = Technician.objects.select_related("agent").filter(pk=technician_id).first()
    if tech is None:
        raise ValidationFailed({"technician": [f"no technician {technician_id}"]})
    now = clock.now()
    start, end = day_bounds(date)
    with transaction.atomic():
        if TechnicianAbsence.objects.filter(technician=tech, date=date).exists():
            raise Conflict(f"{tech.agent.name} is already out on {date}")
        TechnicianAbsence.objects.create(technician=tech, date=date, reason=reason, created_at=now)
        theirs = list(
            WorkOrder.objects.select_for_update()
            .filter(
                technician=tech,
                window_start__gte=start,
                window_start__lt=end,
                status__in=[*PLANNABLE, WorkOrderStatus.TRAVELLING, WorkOrderStatus.ON_SITE],
            )
            .order_by("pk")
        )
        WorkOrder.objects.filter(pk__in=[wo.pk for wo in theirs]).update(
            status=WorkOrderStatus.UNPLANNED,
            technician=None,
            planned_start=None,
            route_position=None,
            eta=None,
            unplanned_reason=f"{tech.agent.name} is out: {reason}",
            updated_at=now,
        )
        WorkOrderEvent.objects.bulk_create(
            WorkOrderEvent(
                work_order=wo,
                kind=WorkEventKind.TECHNICIAN_OUT,
                at=now,
                actor=actor.label,
                data={"technician": tech.pk, "reason": reason},
            )
            for wo in theirs
        )
    if theirs and date >= local_day(now):
        replan_now(date, actor=actor)
    return len(theirs)
