"""Re-planning during the day, as a worker job.

A cancelled visit, a job that ran long or a technician out changes the rest
of a planned day. `replan_request` queues one outbox effect per day (in the
caller's transaction, so it happens only if the change commits); a worker runs
`routes_plan` for it, which keeps started jobs fixed. Days with no plan yet
are left to the dispatcher's planning run.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from opsdesk.common.actors import WORKER
from opsdesk.common.errors import Conflict
from opsdesk.comms.adapters.base import RetryableError
from opsdesk.field.models import WorkOrder, WorkOrderStatus
from opsdesk.runtime.models import OutboxItem, OutboxStatus

EFFECT = "field.replan"
PLAN_ZONE = ZoneInfo("Europe/Istanbul")  # the work orders' day, as in planning.day_problem
log = logging.getLogger(__name__)


def local_day(moment: dt.datetime | dt.date) -> dt.date:
    if isinstance(moment, dt.datetime):
        return moment.astimezone(PLAN_ZONE).date()
    return moment


def day_bounds(date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(date, dt.time(0, 0), tzinfo=PLAN_ZONE)
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0, 0), tzinfo=PLAN_ZONE)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def day_has_plan(date: dt.date) -> bool:
    start, end = day_bounds(date)
    return WorkOrder.objects.filter(
        window_start__gte=start, window_start__lt=end, status=WorkOrderStatus.PLANNED
    ).exists()


def replan_request(moment: dt.datetime | dt.date, *, reason: str, now: dt.datetime) -> bool:
    """Queue a re-plan of the day of `moment`; False when that day has no plan or a
    re-plan is already waiting."""
    date = local_day(moment)
    if not day_has_plan(date):
        return False
    waiting = OutboxItem.objects.filter(
        kind=EFFECT, status=OutboxStatus.PENDING, payload__date=date.isoformat()
    )
    if waiting.exists():
        return False
    OutboxItem.objects.create(
        kind=EFFECT,
        payload={"date": date.isoformat(), "reason": reason},
        next_attempt_at=now,
        created_at=now,
    )
    return True


def run(payload: dict[str, Any]) -> None:
    """The worker's side: plan the day again (started jobs stay as they are)."""
    from opsdesk.field.planning import routes_plan  # the solver loads only in workers

    date = dt.date.fromisoformat(payload["date"])
    try:
        result = routes_plan(
            date, actor=WORKER, time_limit_s=float(settings.OPSDESK_REPLAN_SECONDS)
        )
    except Conflict as exc:  # a work order changed meanwhile, or the plan failed its check
        raise RetryableError(f"re-plan of {date}: {exc}") from exc
    log.info(
        "re-planned %s (%s): %d planned, %d unplanned",
        date,
        payload.get("reason", ""),
        result.planned,
        result.unplanned,
    )
