"""Appointment slots a playbook's `scheduling` section offers, before bookings count.

Pure: the shell subtracts the slots already full (cases.snapshot / scheduling).
"""

from __future__ import annotations

import datetime as dt

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
    starts = sorted(dt.time.fromisoformat(s) for s in spec.starts)
    first_day = calendar.local_date(now)
    out: list[Appointment] = []
    for offset in range(spec.horizon_days + 1):
        day = first_day + dt.timedelta(days=offset)
        if not calendar.is_business_day(day):
            continue
        for start_time in starts:
            start = calendar.at(day, start_time)
            if start >= earliest:
                out.append(Appointment(start, start + length))
    return out
