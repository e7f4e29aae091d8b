"""Request middleware for operations: a request id for the logs, HTTP metrics.

`RequestIdMiddleware` goes first in MIDDLEWARE, so every log line of a request,
including Django's own "Not Found" or error lines written after the other
middleware returned, carries the id; `RequestMetricsMiddleware` right after it,
so it times everything the application does.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from opsdesk.common import logcontext
from opsdesk.runtime import metrics

# An incoming X-Request-ID (from a load balancer or a client) is kept when it is a
# short token; anything else is replaced, so logs and headers never carry junk.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

Handler = Callable[[HttpRequest], HttpResponseBase]


def request_id_for(request: HttpRequest) -> str:
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    if SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        rid = request_id_for(request)
        request.request_id = rid  # type: ignore[attr-defined]
        logcontext.set_request_id(rid)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        # Reset when the server closes the response, not here: Django logs a 4xx/5xx
        # after the middleware chain has returned.
        response._resource_closers.append(logcontext.clear_request_id)
        return response


class RequestMetricsMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.observe_request(
            request.method or "", route_of(request), response.status_code, started
        )
        return response


def route_of(request: HttpRequest) -> str:
    """The URL pattern that matched (`customers/<str:customer_id>/`), never the path,
    which carries ids. The pattern, not the URL's name: the API names a path after
    its first operation, so a PATCH would be counted under `get_customer`."""
    match = request.resolver_match
    if match is None:
        return "<unmatched>"  # a 404 before any view, or a middleware's answer
    return match.route or "<unnamed>"
