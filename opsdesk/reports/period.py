"""The period a report covers: whole local days, `until` included.

The UI's period picker and the API both take dates (YYYY-MM-DD) read in the
caller's time zone; the default is the last 30 days, today included.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from opsdesk.common.errors import ValidationFailed

DEFAULT_DAYS = 30
MAX_DAYS = 366 * 3


@dataclass(frozen=True)
class Period:
    first_day: dt.date
    last_day: dt.date  # included
    tz: zoneinfo.ZoneInfo

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(), self.tz)

    @property
    def until(self) -> dt.datetime:
        """Exclusive: midnight after the last day."""
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time(), self.tz)


def _date(raw: str | None, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["a date (YYYY-MM-DD)"]
        return None


def period_of(
    since: str | None, until: str | None, tz: zoneinfo.ZoneInfo, now: dt.datetime
) -> Period:
    """The days asked for; a missing end defaults to today, a missing start to
    DEFAULT_DAYS before the end. Raises ValidationFailed for bad dates."""
    errors: dict[str, list[str]] = {}
    first, last = _date(since, "since", errors), _date(until, "until", errors)
    if errors:
        raise ValidationFailed(errors)
    last = last or now.astimezone(tz).date()
    first = first or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed({"until": ["on or after the start date"]})
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed({"since": [f"at most {MAX_DAYS} days"]})
    return Period(first, last, tz)
