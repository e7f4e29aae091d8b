"""Fire due timers: each in its own transaction, together with the decision it causes.

A worker that dies mid-way rolls the transaction back, so the timer is still
PENDING and fires on the next pass: nothing is lost, nothing fires twice.
On PostgreSQL, `SKIP LOCKED` lets many workers share the due rows.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction

from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import CaseStatus
from opsdesk.cases.services import decide_and_apply, lock_case
from opsdesk.common.actors import WORKER
from opsdesk.engine.types import Event
from opsdesk.runtime.models import Timer, TimerStatus

log = logging.getLogger(__name__)


def _claim(timer_id: int) -> Timer | None:
    qs = Timer.objects.filter(pk=timer_id, status=TimerStatus.PENDING)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    return qs.first()


def fire_timer(timer_id: int, now: dt.datetime) -> bool:
    """Fire one timer if it is still pending; True when this call fired it."""
    with transaction.atomic():
        timer = _claim(timer_id)
        if timer is None or timer.due_at > now:
            return False
        case = lock_case(timer.case_id)
        timer.status, timer.fired_at = TimerStatus.FIRED, now
        timer.save(update_fields=["status", "fired_at"])
        timeline_row(case, case.customer_id, "TIMER_FIRED", WORKER, now, name=timer.name).save()
        if case.status == CaseStatus.OPEN:
            decide_and_apply(case, Event(f"timer.{timer.name}"), WORKER, now)
    return True


def fire_due_timers(now: dt.datetime, limit: int = 50) -> int:
    due = list(
        Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    fired = 0
    for timer_id in due:
        try:
            fired += fire_timer(timer_id, now)
        except Exception:
            # One broken case must not stop every other timer; it stays pending
            # and is retried on the next pass, with the error in the log.
            log.exception("timer %s failed", timer_id)
    return fired
