"""HTTP helpers shared by the adapters that speak to providers over HTTP."""

from __future__ import annotations

import datetime as dt
import email.utils
import math
from collections.abc import Collection

import httpx

from opsdesk.common import clock
from opsdesk.comms.adapters.base import AdapterError, PermanentError, RetryableError


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


def error_for(
    response: httpx.Response, *, code: str, text: str, rate_limit_codes: Collection[str]
) -> AdapterError:
    """A provider's non-2xx answer as an error: rate limits and server errors are
    worth retrying (after Retry-After, if given); any other refusal is permanent."""
    status = response.status_code
    if status == 429 or code in rate_limit_codes or status >= 500:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        return RetryableError(text, code=code, retry_after=retry_after)
    return PermanentError(text, code=code)
