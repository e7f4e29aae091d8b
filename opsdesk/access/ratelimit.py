"""Rate limits on the public endpoints: fixed windows counted in the database.

Why the database and not Django's cache: the counters must hold across gunicorn
processes and hosts, and the database is the one store every process already
shares. Django's cache would need a shared backend configured as well, and its
DatabaseCache increments with a read then a write (two requests can both read 9
and both write 10). Here one statement does it:

    INSERT ... ON CONFLICT (scope, client, window_start) DO UPDATE SET count = count + 1
    WHERE count < limit RETURNING count

No row back means the client is over the limit; the statement then changed
nothing, so a refused request writes nothing at all. Both SQLite (3.35+) and
PostgreSQL run it as one atomic statement. Rows of windows that have ended are
deleted on the fly, when a client opens a new window.

Which requests count (settings.OPSDESK_RATE_LIMITS, requests per
OPSDESK_RATE_LIMIT_WINDOW seconds; 0 turns a scope off):

| scope | requests | counted per |
| --- | --- | --- |
| customer_link | every request to /c/<token>/... | client IP |
| payment_page | every request to /pay/test/<ref>/ | client IP |
| form | POSTs to the public request forms /request/<key>/ | client IP |
| signin | POSTs to the sign-in page | client IP |
| webhook | every request to /api/v1/webhooks/<provider>... and | provider and client IP |
|         | /api/v1/payments/webhooks/<provider>                 |                        |

Over the limit: 429 with Retry-After, JSON under /api/, a short HTML page
elsewhere; the view does not run.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.html import escape

from opsdesk.access.clientip import client_ip
from opsdesk.access.models import RateCounter
from opsdesk.common import clock
from opsdesk.common.responses import retry_later

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WEBHOOK_PREFIXES = ("/api/v1/webhooks/", "/api/v1/payments/webhooks/")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


def scope_of(request: HttpRequest) -> tuple[str, str] | None:
    """(scope, client key) of a request that a rate limit counts, or None."""
    path = request.path_info
    method = request.method or "GET"
    if path.startswith("/c/"):
        return "customer_link", client_ip(request)
    if path.startswith("/pay/test/"):
        return "payment_page", client_ip(request)
    if path.startswith("/request/"):
        return ("form", client_ip(request)) if method not in SAFE_METHODS else None
    if path == resolve_url(settings.LOGIN_URL):
        return ("signin", client_ip(request)) if method not in SAFE_METHODS else None
    for prefix in WEBHOOK_PREFIXES:
        if path.startswith(prefix):
            provider = path[len(prefix) :].split("/", 1)[0][:40] or "-"
            return "webhook", f"{provider}|{client_ip(request)}"
    return None


def limit_of(scope: str) -> int:
    return int(settings.OPSDESK_RATE_LIMITS.get(scope, 0))


def window_seconds() -> int:
    return max(1, int(settings.OPSDESK_RATE_LIMIT_WINDOW))


def hit(scope: str, client: str, limit: int, now: dt.datetime | None = None) -> Verdict:
    """Count one request of `client` in `scope`, unless it is over `limit`."""
    now = now or clock.now()
    seconds = window_seconds()
    stamp = now.timestamp()
    window = int(stamp // seconds) * seconds
    retry_after = max(1, math.ceil(window + seconds - stamp))
    q = connection.ops.quote_name
    table, scope_, client_, start, count = (
        q(n) for n in (RateCounter._meta.db_table, "scope", "client", "window_start", "count")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({scope_}, {client_}, {start}, {count}) "
            "VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT ({scope_}, {client_}, {start}) DO UPDATE "
            f"SET {count} = {table}.{count} + 1 WHERE {table}.{count} < %s "
            f"RETURNING {count}",
            [scope, client[:200], window, limit],
        )
        row = cursor.fetchone()
    if row is None:
        return Verdict(allowed=False, retry_after=retry_after)
    if row[0] == 1:
        # A new window for this client: forget the windows that have ended.
        RateCounter.objects.filter(window_start__lt=window - seconds).delete()
    return Verdict(allowed=True, retry_after=retry_after)


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    message = f"Too many requests. Try again in {retry_after} seconds."
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Too many requests</title></head><body><main>"
        f"<h1>Too many requests</h1><p>{escape(message)}</p></main></body></html>"
    )
    return retry_later(request, status=429, retry_after=retry_after, detail=message, page=page)


class RateLimitMiddleware:
    """Refuses a counted request over its scope's limit before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counted = scope_of(request)
        if counted is not None:
            scope, client = counted
            limit = limit_of(scope)
            if limit > 0:
                verdict = hit(scope, client, limit)
                if not verdict.allowed:
                    return too_many(request, verdict.retry_after)
        return self.get_response(request)
