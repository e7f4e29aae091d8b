"""Fire due timers, each in the same transaction as the decision it causes.

A worker that dies mid-way rolls the transaction back, so the timer is still
PENDING and fires on the next pass: nothing is lost, nothing fires twice.

A worker claims the earliest due timers inside the transaction that fires
them. On PostgreSQL `SKIP LOCKED` passes over timers other workers are firing,
so many workers share the due rows without waiting on each other or trying
the same ones; on SQLite the transaction holds the database's write lock. The
claim reads the `(status, due_at)` index from its start, however many timers
are pending later.
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


def _fire(timer: Timer, now: dt.datetime) -> None:
    """Fire a claimed, locked, due timer (inside the caller's transaction)."""
    case = lock_case(timer.case_id)
    timer.status, timer.fired_at = TimerStatus.FIRED, now
    timer.save(update_fields=["status", "fired_at"])
    fired = timeline_row(case, case.customer_id, "TIMER_FIRED", WORKER, now, name=timer.name)
    if case.status == CaseStatus.OPEN:
        # TIMER_FIRED goes first, in the same INSERT as the decision's rows.
        decide_and_apply(case, Event(f"timer.{timer.name}"), WORKER, now, first_timeline=(fired,))
    else:
        fired.save()


def fire_timer(timer_id: int, now: dt.datetime) -> bool:
    """Fire one timer if it is still pending; True when this call fired it."""
    with transaction.atomic():
        qs = Timer.objects.filter(pk=timer_id, status=TimerStatus.PENDING)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        timer = qs.first()
        if timer is None or timer.due_at > now:
            return False
        _fire(timer, now)
    return True


def _claim(now: dt.datetime, limit: int, skip: set[int]) -> list[Timer]:
    """Up to `limit` due timers, earliest first, that no other transaction holds,
    locked until the end of the caller's transaction; `skip`: timers that
    raised in this pass, left for the next one."""
    qs = Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=now)
    if skip:
        qs = qs.exclude(pk__in=skip)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    return list(qs.order_by("due_at")[:limit])


def _fire_alone(timer_id: int, now: dt.datetime, failed: set[int]) -> int:
    try:
        return int(fire_timer(timer_id, now))
    except Exception:
        # One broken case must not stop every other timer; it stays pending
        # and is retried on the next pass, with the error in the log.
        failed.add(timer_id)
        log.exception("timer %s failed", timer_id)
        return 0


def fire_due_timers(now: dt.datetime, limit: int = 50, per_commit: int = 10) -> int:
    """Fire up to `limit` timers due at `now`, earliest first; how many fired.

    Timers are claimed and fired `per_commit` at a time in one transaction, so
    a busy worker pays one commit for several firings (each firing is still
    all or nothing with its decision: a crash rolls the group back and every
    timer in it stays pending). When a firing raises, the group is rolled back
    and its timers are fired one transaction each, so only the broken one stays
    pending.
    """
    fired = 0
    failed: set[int] = set()
    while fired + len(failed) < limit:
        group: list[int] = []
        try:
            with transaction.atomic():
                timers = _claim(now, min(per_commit, limit - fired - len(failed)), failed)
                group = [t.pk for t in timers]
                # Cases are locked in one order, so two workers' groups never deadlock.
                for timer in sorted(timers, key=lambda t: (t.case_id, t.due_at)):
                    _fire(timer, now)
        except Exception:
            if not group:
                raise  # the claim itself failed: the database, not one case
            for timer_id in group:
                fired += _fire_alone(timer_id, now, failed)
            continue
        if not group:
            break
        fired += len(group)
    return fired


def next_due(after: dt.datetime) -> dt.datetime | None:
    """When the earliest timer still pending falls due after `after` (None: none)."""
    return (
        Timer.objects.filter(status=TimerStatus.PENDING, due_at__gt=after)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
