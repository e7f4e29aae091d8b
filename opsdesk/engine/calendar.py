"""Business calendars: working days, working hours and public holidays.

Pure: the engine passes every moment in, nothing here reads the wall clock.
Inputs must be timezone-aware; outputs are UTC. Durations are measured in real
elapsed time, so a working day that contains a DST change is an hour shorter or
longer than its wall-clock span.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

UTC = dt.UTC
COMPANY_CLOSURE = "Company closure"

# A calendar whose holidays swallow every working day would loop forever; ten
# years without a business day is a configuration error, not a real calendar.
_MAX_SCAN_DAYS = 3660


@functools.lru_cache(maxsize=64)
def _holiday_language(country: str, subdivision: str | None) -> str:
    """Validate the region and choose a fixed holiday-name language.

    Without an explicit language `holidays` picks one from the process locale
    (LANG etc.), so names would differ between a shell and a server.
    """
    try:
        probe = holidays.country_holidays(country, years=())
    except NotImplementedError:
        raise ValueError(
            f"Unknown country {country!r}: no public holiday data "
            "(use an upper-case ISO 3166 alpha-2 code like 'TR')"
        ) from None
    if subdivision is not None:
        try:
            probe = holidays.country_holidays(country, subdiv=subdivision, years=())
        except NotImplementedError:
            known = ", ".join(type(probe).subdivisions) or "none"
            raise ValueError(
                f"Unknown subdivision {subdivision!r} for country {country!r}; known: {known}"
            ) from None
    supported = type(probe).supported_languages
    return "en_US" if "en_US" in supported else str(type(probe).default_language)


@functools.lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str | None, year: int) -> Mapping[dt.date, str]:
    # Building a year of holidays costs about a millisecond; the engine asks per day.
    language = _holiday_language(country, subdivision)
    table = holidays.country_holidays(country, subdiv=subdivision, years=year, language=language)
    return MappingProxyType(dict(table))


def _load_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"Unknown timezone {name!r}; use an IANA name like 'Europe/Istanbul'"
        ) from None


def _require_aware(moment: dt.datetime) -> None:
    if moment.utcoffset() is None:  # naive, or a tzinfo that gives no offset
        raise ValueError(f"Expected a timezone-aware datetime, got naive {moment.isoformat()}")


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "Europe/Istanbul"
    country: str = "TR"
    subdivision: str | None = None
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday=0
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(18, 0)
    extra_holidays: tuple[dt.date, ...] = ()  # company closure days
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _closures: frozenset[dt.date] = field(init=False, repr=False, compare=False)
    # Day -> is it a business day: asked for the same few days on every deadline.
    _business: dict[dt.date, bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Validate eagerly so a bad config fails at load time, not inside a deadline computation.
        object.__setattr__(self, "_zone", _load_zone(self.timezone))
        if not isinstance(self.country, str) or len(self.country) != 2:
            raise ValueError(
                f"country must be an ISO 3166 alpha-2 code like 'TR', got {self.country!r}"
            )
        _holiday_language(self.country, self.subdivision)
        if not self.working_days or any(
            not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6
            for d in self.working_days
        ):
            raise ValueError(
                f"working_days must be a non-empty list of weekdays 0-6, got {self.working_days!r}"
            )
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise ValueError("day_start and day_end are local wall-clock times; drop the tzinfo")
        if not self.day_start < self.day_end:
            raise ValueError(
                f"day_start {self.day_start} must be before day_end {self.day_end} "
                "(overnight shifts are not supported)"
            )
        object.__setattr__(self, "_closures", frozenset(self.extra_holidays))
        object.__setattr__(self, "_business", {})

    # --- days -------------------------------------------------------------------------------

    def holiday_name(self, day: dt.date) -> str | None:
        name = _public_holidays(self.country, self.subdivision, day.year).get(day)
        if name is not None:
            return name
        return COMPANY_CLOSURE if day in self._closures else None

    def is_business_day(self, day: dt.date) -> bool:
        known = self._business.get(day)
        if known is None:
            known = self._business[day] = (
                day.weekday() in self.working_days
                and day not in self._closures
                and day not in _public_holidays(self.country, self.subdivision, day.year)
            )
        return known

    def local_date(self, moment: dt.datetime) -> dt.date:
        _require_aware(moment)
        return moment.astimezone(self._zone).date()

    def to_local(self, moment: dt.datetime) -> dt.datetime:
        _require_aware(moment)
        return moment.astimezone(self._zone)

    def at(self, day: dt.date, at: dt.time) -> dt.datetime:
        """The UTC moment of local wall-clock `at` on `day`."""
        return self._at(day, at)

    def _next_business_day(self, day: dt.date, *, inclusive: bool) -> dt.date:
        candidate = day if inclusive else day + dt.timedelta(days=1)
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_business_day(candidate):
                return candidate
            candidate += dt.timedelta(days=1)
        raise ValueError(f"No business day within {_MAX_SCAN_DAYS} days of {day}")

    def _at(self, day: dt.date, at: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, at, tzinfo=self._zone).astimezone(UTC)

    def end_of_day(self, day: dt.date) -> dt.datetime:
        return self._at(day, self.day_end)

    def add_business_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """End of the `days`-th business day after start's local date (0: that day or the next)."""
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        day = self._next_business_day(self.local_date(start), inclusive=days == 0)
        for _ in range(days - 1):
            day = self._next_business_day(day, inclusive=False)
        return self.end_of_day(day)

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """Business days in (start, end]; 0 when end is not after start."""
        count = 0
        day = start + dt.timedelta(days=1)
        while day <= end:
            count += self.is_business_day(day)
            day += dt.timedelta(days=1)
        return count

    # --- hours ------------------------------------------------------------------------------

    def is_working_time(self, moment: dt.datetime) -> bool:
        _require_aware(moment)
        local = moment.astimezone(self._zone)
        return self.is_business_day(local.date()) and self.day_start <= local.time() < self.day_end

    def next_working_moment(self, moment: dt.datetime) -> dt.datetime:
        """`moment` itself if it is working time, else the start of the next working period."""
        _require_aware(moment)
        local = moment.astimezone(self._zone)
        day, clock = local.date(), local.time()
        if self.is_business_day(day) and clock < self.day_end:
            if clock < self.day_start:
                return self._at(day, self.day_start)
            return moment.astimezone(UTC)
        return self._at(self._next_business_day(day, inclusive=False), self.day_start)

    def add_business_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        if hours < 0:
            raise ValueError(f"hours must be >= 0, got {hours}")
        remaining = dt.timedelta(hours=hours)
        moment = self.next_working_moment(start)
        while True:
            # Subtract in UTC: aware datetimes sharing a tzinfo subtract as wall clock.
            day_end = self.end_of_day(self.local_date(moment))
            available = day_end - moment
            if remaining <= available:
                return moment + remaining
            remaining -= available
            moment = self.next_working_moment(day_end)

    # --- config -----------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build from JSON-ish data: times "09:00", ISO dates, lists for tuples."""
        known = {f.name for f in fields(cls) if f.init}
        for key in data:
            if key not in known:
                raise ValueError(
                    f"Unknown business calendar key {key!r}; expected one of {sorted(known)}"
                )
        kwargs: dict[str, Any] = {}
        for key in ("timezone", "country"):
            if key in data:
                if not isinstance(data[key], str):
                    raise ValueError(f"{key} must be a string, got {data[key]!r}")
                kwargs[key] = data[key]
        if "subdivision" in data:
            subdivision = data["subdivision"]
            if subdivision is not None and not isinstance(subdivision, str):
                raise ValueError(f"subdivision must be a string or null, got {subdivision!r}")
            kwargs["subdivision"] = subdivision or None
        if "working_days" in data:
            kwargs["working_days"] = tuple(sorted(set(_as_list(data, "working_days"))))
        for key in ("day_start", "day_end"):
            if key in data:
                kwargs[key] = _parse_time(key, data[key])
        if "extra_holidays" in data:
            kwargs["extra_holidays"] = tuple(
                sorted({_parse_date(item) for item in _as_list(data, "extra_holidays")})
            )
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "country": self.country,
            "subdivision": self.subdivision,
            "working_days": list(self.working_days),
            "day_start": _format_time(self.day_start),
            "day_end": _format_time(self.day_end),
            "extra_holidays": [day.isoformat() for day in self.extra_holidays],
        }


def _as_list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data[key]
    if not isinstance(value, list | tuple):
        raise ValueError(f"{key} must be a list, got {value!r}")
    return list(value)


def _parse_time(key: str, value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a time like '09:00', got {value!r}") from None


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"extra_holidays entries must be ISO dates, got {value!r}") from None


def _format_time(value: dt.time) -> str:
    whole_minute = value.second == 0 and value.microsecond == 0
    return value.isoformat(timespec="minutes") if whole_minute else value.isoformat()
