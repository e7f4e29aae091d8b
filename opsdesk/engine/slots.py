"""Appointment slots a playbook's `scheduling` section offers, before bookings count.

Pure: the shell subtracts the slots already full (cases.snapshot / scheduling).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from opsdesk.engine.calendar import BusinessCalendar
from opsdesk.engine.decide import due_after
from opsdesk.engine.types import Appointment
from opsdesk.playbook.model import SchedulingSpec


def candidate_slots(
    spec: SchedulingSpec, calendar: BusinessCalendar, now: dt.datetime, after: dt.datetime
) -> list[Appointment]:
    """Every slot on the calendar's business days that starts at or after both
    `after` and now + lead, within `horizon_days` of now, earliest first."""
    earliest = max(after, due_after(spec.lead, now, calendar) if spec.lead else now)
    length = due_after(spec.duration, now, calendar) - now
    starts = tuple(sorted(dt.time.fromisoformat(s) for s in spec.starts))
    key = (calendar, calendar.local_date(now), starts, spec.horizon_days, length)
    try:
        slots = _cached_slots(*key)
    except TypeError:  # a calendar built by hand with lists is not hashable: no cache
        slots = _slots(*key)
    return [slot for slot in slots if slot.start >= earliest]


def _slots(
    calendar: BusinessCalendar,
    first_day: dt.date,
    starts: tuple[dt.time, ...],
    horizon_days: int,
    length: dt.timedelta,
) -> tuple[Appointment, ...]:
    """All the slots of the horizon from `first_day`, earliest first."""
    out: list[Appointment] = []
    for offset in range(horizon_days + 1):
        day = first_day + dt.timedelta(days=offset)
        if not calendar.is_business_day(day):
            continue
        for start_time in starts:
            start = calendar.at(day, start_time)
            out.append(Appointment(start, start + length))
    return tuple(out)


# Cached: bookings on the same day ask for the same slots, and walking the
# calendar (holidays, time zones) was nearly a tenth of a simulation; filtering
# the cached list by `earliest` keeps the same slots in the same order.
_cached_slots = lru_cache(maxsize=64)(_slots)
