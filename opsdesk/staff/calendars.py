"""Business calendars of staff (agents, teams) as the engine's BusinessCalendar.

Built once per distinct row value (an edited calendar is a new cache entry),
because the `holidays` tables behind a calendar cost milliseconds to build.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from opsdesk.engine.calendar import BusinessCalendar
from opsdesk.staff.models import BusinessCalendar as CalendarRow


@lru_cache(maxsize=256)
def _calendar(
    country: str,
    subdivision: str,
    timezone: str,
    working_days: tuple[int, ...],
    day_start: str,
    day_end: str,
    extra_holidays: tuple[str, ...],
) -> BusinessCalendar:
    # Keyed by the row's values, so an edited calendar is a new entry.
    return BusinessCalendar.from_dict(
        {
            "country": country,
            "subdivision": subdivision or None,
            "timezone": timezone,
            "working_days": list(working_days or (0, 1, 2, 3, 4)),
            "day_start": day_start,
            "day_end": day_end,
            "extra_holidays": list(extra_holidays),
        }
    )


def _hhmm(value: dt.time | str) -> str:
    return value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)[:5]


def calendar_of(row: CalendarRow | None) -> BusinessCalendar | None:
    if row is None:
        return None
    return _calendar(
        row.country,
        row.subdivision,
        row.timezone,
        tuple(row.working_days),
        _hhmm(row.day_start),
        _hhmm(row.day_end),
        tuple(row.extra_holidays),
    )


# The row's columns, in the order `calendar_from_values` takes them (for values_list).
CALENDAR_FIELDS = (
    "country",
    "subdivision",
    "timezone",
    "working_days",
    "day_start",
    "day_end",
    "extra_holidays",
)


def agent_calendar_row(agent: Any) -> CalendarRow | None:
    """An agent's own calendar, else their team's (None: the caller's default)."""
    return agent.calendar or (agent.team.calendar if agent.team_id and agent.team else None)


def agent_calendar(agent: Any) -> BusinessCalendar | None:
    return calendar_of(agent_calendar_row(agent))


def calendar_from_values(values: tuple[Any, ...]) -> BusinessCalendar | None:
    if values[0] is None:
        return None
    country, subdivision, tz, days, start, end, extra = values
    return _calendar(country, subdivision, tz, tuple(days), _hhmm(start), _hhmm(end), tuple(extra))
