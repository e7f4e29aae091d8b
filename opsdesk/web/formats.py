"""Dates for the agent UI, in the active (the agent's) time zone.

Django's `date` filter resolves format settings and translations on every call,
which made date formatting a third of the workspace's render time; these fixed
English formats cost a few microseconds each.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def when(value: dt.datetime | None, style: str = "long") -> str:
    """long "Mon 2 Nov 2026, 18:00", short "Mon 2 Nov, 18:00", compact "2 Nov 2026, 18:00"."""
    if value is None:
        return ""
    t = local(value)
    clock = f"{t.hour:02d}:{t.minute:02d}"
    day = f"{t.day} {_MONTHS[t.month - 1]}"
    if style == "short":
        return f"{_DAYS[t.weekday()]} {day}, {clock}"
    if style == "compact":
        return f"{day} {t.year}, {clock}"
    return f"{_DAYS[t.weekday()]} {day} {t.year}, {clock}"


def iso(value: dt.datetime | None) -> str:
    """For <time datetime="...">."""
    return local(value).isoformat(timespec="minutes") if value is not None else ""
