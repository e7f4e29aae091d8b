"""Dates for the agent UI, in the active (the agent's) time zone.

Django's `date` filter resolves format settings and translations on every call,
which made date formatting a third of the workspace's render time; these fixed
formats cost a few microseconds each. Day and month names are translated once
per language (the active one: opsdesk.web.language).
"""

from __future__ import annotations

import datetime as dt
import functools

from django.utils import timezone, translation
from django.utils.translation import pgettext_lazy

_DAYS = (
    pgettext_lazy("abbreviated weekday", "Mon"),
    pgettext_lazy("abbreviated weekday", "Tue"),
    pgettext_lazy("abbreviated weekday", "Wed"),
    pgettext_lazy("abbreviated weekday", "Thu"),
    pgettext_lazy("abbreviated weekday", "Fri"),
    pgettext_lazy("abbreviated weekday", "Sat"),
    pgettext_lazy("abbreviated weekday", "Sun"),
)
_MONTHS = (
    pgettext_lazy("abbreviated month", "Jan"),
    pgettext_lazy("abbreviated month", "Feb"),
    pgettext_lazy("abbreviated month", "Mar"),
    pgettext_lazy("abbreviated month", "Apr"),
    pgettext_lazy("abbreviated month", "May"),
    pgettext_lazy("abbreviated month", "Jun"),
    pgettext_lazy("abbreviated month", "Jul"),
    pgettext_lazy("abbreviated month", "Aug"),
    pgettext_lazy("abbreviated month", "Sep"),
    pgettext_lazy("abbreviated month", "Oct"),
    pgettext_lazy("abbreviated month", "Nov"),
    pgettext_lazy("abbreviated month", "Dec"),
)


@functools.cache
def _names(language: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Day and month abbreviations in `language` (the active one when called)."""
    return tuple(str(d) for d in _DAYS), tuple(str(m) for m in _MONTHS)


def local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def when(value: dt.datetime | None, style: str = "long") -> str:
    """long "Mon 2 Nov 2026, 18:00", short "Mon 2 Nov, 18:00", compact "2 Nov 2026, 18:00"."""
    if value is None:
        return ""
    t = local(value)
    days, months = _names(translation.get_language())
    clock = f"{t.hour:02d}:{t.minute:02d}"
    day = f"{t.day} {months[t.month - 1]}"
    if style == "short":
        return f"{days[t.weekday()]} {day}, {clock}"
    if style == "compact":
        return f"{day} {t.year}, {clock}"
    return f"{days[t.weekday()]} {day} {t.year}, {clock}"


def iso(value: dt.datetime | None) -> str:
    """For <time datetime="...">."""
    return local(value).isoformat(timespec="minutes") if value is not None else ""
