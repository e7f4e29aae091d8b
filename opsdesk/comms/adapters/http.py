"""HTTP helpers shared by the adapters that speak to providers over HTTP."""

from __future__ import annotations

import datetime as dt
import email.utils
import math

from opsdesk.common import clock


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - clock.now()).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)
