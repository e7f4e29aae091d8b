"""The answer to a request that lost its database: 503 with Retry-After, not 500.

Django answers an exception no view handled with the `handler500` view, called
while the exception is being handled. A lost or refused database connection (a
restart, a failover, a cut network, SQLite's "database is locked") is not a bug
in the request: the same request a few seconds later goes through. So the client
is told to come back (RFC 9110 503 with Retry-After), in JSON on the API and as a
short page in the browser, and load balancers and API clients retry instead of
reporting a failure. Any other exception keeps Django's own 500.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponseBase
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

from opsdesk.common.responses import retry_later
from opsdesk.runtime.outbox import DATABASE_GONE

# The PostgreSQL connect timeout (settings: 5 s): by then a restart is usually over.
RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponseBase:
    """`handler500`: 503 when the request failed for want of the database."""
    if not isinstance(sys.exc_info()[1], DATABASE_GONE):
        return defaults.server_error(request)
    return retry_later(
        request,
        status=503,
        retry_after=RETRY_AFTER_SECONDS,
        detail=_("The database is not reachable right now; try again shortly."),
        # No request context: its processors would ask the database for the user.
        page=render_to_string("503.html"),
    )
