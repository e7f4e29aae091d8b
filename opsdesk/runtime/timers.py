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
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Q

from opsdesk.cases.apply import (
    Rows,
    apply_decision,
    build_rows,
    needs_more_than_rows,
    settle_case,
    timeline_row,
)
from opsdesk.cases.models import Case, CaseStatus, TimelineEvent
from opsdesk.cases.playbooks import playbook_of
from opsdesk.cases.services import decide_and_apply, lock_case, lock_cases
from opsdesk.cases.snapshot import build_snapshots
from opsdesk.common.actors import WORKER
from opsdesk.common.logcontext import case_context
from opsdesk.engine.decide import decide
from opsdesk.engine.types import CaseSnapshot, Decision, Event
from opsdesk.playbook.model import Playbook
from opsdesk.runtime.models import Timer, TimerStatus

log = logging.getLogger(__name__)


def _fire(timer: Timer, now: dt.datetime) -> bool:
    """Fire a claimed, due timer (inside the caller's transaction); False when it
    is no longer pending (an earlier firing in the transaction replaced it)."""
    with case_context(timer.case_id):
        return _fire_locked(timer, now)


def _fire_locked(timer: Timer, now: dt.datetime) -> bool:
    case = lock_case(timer.case_id)
    # Compare-and-set: a timer fires once, and a cancelled one not at all.
    if not Timer.objects.filter(pk=timer.pk, status=TimerStatus.PENDING).update(
        status=TimerStatus.FIRED, fired_at=now
    ):
        return False
    fired = timeline_row(case, case.customer_id, "TIMER_FIRED", WORKER, now, name=timer.name)
    if case.status == CaseStatus.OPEN:
        # TIMER_FIRED goes first, in the same INSERT as the decision's rows.
        decide_and_apply(case, Event(f"timer.{timer.name}"), WORKER, now, first_timeline=(fired,))
    else:
        fired.save()
    return True


def fire_timer(timer_id: int, now: dt.datetime) -> bool:
    """Fire one timer if it is still pending; True when this call fired it."""
    with transaction.atomic():
        qs = Timer.objects.filter(pk=timer_id, status=TimerStatus.PENDING)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        timer = qs.first()
        if timer is None or timer.due_at > now:
            return False
        return _fire(timer, now)


def _claim(now: dt.datetime, limit: int, skip: set[int]) -> list[Timer]:
    """Up to `limit` due timers, earliest first, that no other transaction holds,
    locked until the end of the caller's transaction; `skip`: timers that
    raised in this pass, left for the next one."""
    qs = Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=now)
    if skip:
        qs = qs.exclude(pk__in=skip)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    return list(qs.order_by("due_at", "pk")[:limit])


def _fire_alone(timer_id: int, now: dt.datetime, failed: set[int]) -> int:
    try:
        return int(fire_timer(timer_id, now))
    except Exception:
        # One broken case must not stop every other timer; it stays pending
        # and is retried on the next pass, with the error in the log.
        failed.add(timer_id)
        log.exception("timer %s failed", timer_id)
        return 0


@dataclass
class _Firing:
    case: Case
    timer: Timer
    pb: Playbook
    snapshot: CaseSnapshot | None = None  # None: the case is closed
    decision: Decision | None = None


def _fire_group(timers: list[Timer], now: dt.datetime) -> tuple[int, list[int]]:
    """Fire claimed timers together, inside the caller's transaction: how many
    fired, and the timers whose decision raised or was refused (not fired, left
    to the per-timer path).

    Exactly what firing them one by one does, in a few statements for the group:
    the cases are locked in one query (in id order, so two workers cannot
    deadlock), their snapshots read in one query per kind of row, each decided
    on its own, and every simple decision written at once (one UPDATE for the
    fired timers, one for the timers it replaces, one INSERT per table). A
    decision that does more than insert rows (assignment, booking, hand-back,
    closing) is applied case by case. A case with several due timers has its
    earliest fired here and the others after, one by one, each seeing the
    decisions before it.
    """
    first: dict[str, Timer] = {}
    later: list[Timer] = []
    for timer in sorted(timers, key=lambda t: (t.case_id, t.due_at, t.pk)):
        if timer.case_id in first:
            later.append(timer)
        else:
            first[timer.case_id] = timer
    firings = [
        _Firing(case, first[case.pk], playbook_of(case.playbook)) for case in lock_cases(first)
    ]
    open_ = [f for f in firings if f.case.status == CaseStatus.OPEN]
    snapshots = build_snapshots([f.case for f in open_], {f.case.pk: f.pb for f in open_})
    broken: list[int] = []
    for f in open_:
        snapshot = snapshots[f.case.pk]
        # As fired one by one: the timer is FIRED, so no longer among the pending
        # (at most one pending timer of a name per case).
        snapshot.timers = snapshot.timers - {f.timer.name}
        try:
            with case_context(f.case.pk):
                decision = decide(f.pb, snapshot, Event(f"timer.{f.timer.name}"), now)
        except DatabaseError:
            raise  # the transaction is lost: the whole group falls back
        except Exception:
            broken.append(f.timer.pk)
            continue
        if decision.refused:
            broken.append(f.timer.pk)
            continue
        f.snapshot, f.decision = snapshot, decision
    firings = [f for f in firings if f.timer.pk not in broken]
    if not firings:
        return _fire_later(later, now), broken

    ids = [f.timer.pk for f in firings]
    done = Timer.objects.filter(pk__in=ids, status=TimerStatus.PENDING).update(
        status=TimerStatus.FIRED, fired_at=now
    )
    if done != len(ids):
        # Claimed timers are locked (or the database is, on SQLite): cannot happen.
        raise RuntimeError(f"{len(ids) - done} claimed timers were no longer pending")

    simple: list[_Firing] = []
    complex_: list[_Firing] = []
    for f in firings:
        more = f.decision is not None and needs_more_than_rows(f.case, f.pb, f.decision)
        (complex_ if more else simple).append(f)
    # Setting a timer again replaces the pending one of that name.
    replaced: dict[str, list[str]] = defaultdict(list)
    for f in simple:
        if f.decision is not None and f.snapshot is not None:
            for name in {t.name for t in f.decision.timers_to_set} & f.snapshot.timers:
                replaced[name].append(f.case.pk)
    if replaced:
        match = Q()
        for name, case_ids in replaced.items():
            match |= Q(name=name, case_id__in=case_ids)
        Timer.objects.filter(match, status=TimerStatus.PENDING).update(status=TimerStatus.CANCELLED)
    rows = Rows()
    updates: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    own: list[tuple[str, dict[str, Any]]] = []
    for f in simple:
        fired = _fired_row(f, now)
        if f.decision is None:
            rows.timeline.append(fired)
            continue
        rows.extend(build_rows(f.case, f.decision, WORKER, now, (fired,)))
        update = settle_case(f.case, f.pb, f.decision, now)
        if "fields" in update:
            own.append((f.case.pk, update))
        else:
            updates[tuple(sorted(update.items()))].append(f.case.pk)
    for items, case_ids in updates.items():
        Case.objects.filter(pk__in=case_ids).update(**dict(items))
    for case_id, update in own:
        Case.objects.filter(pk=case_id).update(**update)
    rows.insert()
    for f in complex_:
        assert f.decision is not None and f.snapshot is not None
        with case_context(f.case.pk):
            apply_decision(
                f.case, f.pb, f.decision, WORKER, now, f.snapshot.timers, (_fired_row(f, now),)
            )
    return len(firings) + _fire_later(later, now), broken


def _fired_row(f: _Firing, now: dt.datetime) -> TimelineEvent:
    return timeline_row(f.case, f.case.customer_id, "TIMER_FIRED", WORKER, now, name=f.timer.name)


def _fire_later(timers: list[Timer], now: dt.datetime) -> int:
    return sum(_fire(timer, now) for timer in timers)


def fire_due_timers(now: dt.datetime, limit: int = 50, per_commit: int = 100) -> int:
    """Fire up to `limit` timers due at `now`, earliest first; how many fired.

    Timers are claimed and fired up to `per_commit` at a time in one
    transaction (`_fire_group`): a crash rolls the group back and every timer
    in it stays pending. A timer whose decision raises or is refused is left
    out of its group and tried alone; when writing the group raises, it is
    rolled back and its timers are fired one transaction each, so only a
    broken one stays pending.
    """
    fired = 0
    tried = 0
    failed: set[int] = set()
    while tried < limit:
        group: list[int] = []
        try:
            with transaction.atomic():
                timers = _claim(now, min(per_commit, limit - tried), failed)
                group = [t.pk for t in timers]
                n, broken = _fire_group(timers, now)
        except Exception:
            if not group:
                raise  # the claim itself failed: the database, not one case
            log.warning("timer group of %s failed; firing each alone", len(group), exc_info=True)
            tried += len(group)
            for timer_id in group:
                fired += _fire_alone(timer_id, now, failed)
            continue
        if not group:
            break
        tried += len(group)
        fired += n
        for timer_id in broken:
            fired += _fire_alone(timer_id, now, failed)
    return fired


def next_due(after: dt.datetime) -> dt.datetime | None:
    """When the earliest timer still pending falls due after `after` (None: none)."""
    return (
        Timer.objects.filter(status=TimerStatus.PENDING, due_at__gt=after)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
