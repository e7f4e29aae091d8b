"""Agents' shifts on the simulator's clock: who is at work, when the next shift
starts, and how long a group was at work (for utilisation)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from opsdesk.sim.scenario import Shift


def on_shift(shift: Shift | None, moment: dt.datetime, zone: ZoneInfo) -> bool:
    if shift is None:
        return True
    local = moment.astimezone(zone)
    return local.weekday() in shift.days and shift.start <= local.time() < shift.end


def next_start(shift: Shift, moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The first shift start strictly after `moment` (UTC)."""
    day = moment.astimezone(zone).date()
    for offset in range(8):
        candidate = day + dt.timedelta(days=offset)
        if candidate.weekday() not in shift.days:
            continue
        start = dt.datetime.combine(candidate, shift.start, tzinfo=zone).astimezone(dt.UTC)
        if start > moment:
            return start
    raise AssertionError("a shift has at least one weekday")  # Shift validates it


def seconds_on_shift(
    shift: Shift | None, start: dt.datetime, end: dt.datetime, zone: ZoneInfo
) -> float:
    """How long the shift covers of [start, end)."""
    if shift is None:
        return (end - start).total_seconds()
    total = 0.0
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date()
    while day <= last:
        if day.weekday() in shift.days:
            begin = dt.datetime.combine(day, shift.start, tzinfo=zone).astimezone(dt.UTC)
            finish = dt.datetime.combine(day, shift.end, tzinfo=zone).astimezone(dt.UTC)
            overlap = (min(finish, end) - max(begin, start)).total_seconds()
            total += max(overlap, 0.0)
        day += dt.timedelta(days=1)
    return total
