"""Prometheus metrics: HTTP requests, counted per process, and the database's
view of the work (outbox, timers, SLAs, open cases), read at scrape time.

Counters live in the process that served the request. Under gunicorn with
several workers each scrape reaches one of them, so set PROMETHEUS_MULTIPROC_DIR
(an empty directory, before the processes start; `opsdesk serve` creates and
empties it) to have prometheus_client's multiprocess mode add up every worker's
files. The database figures are the same whichever process answers.

`GET /metrics` answers a request from loopback (and not through a proxy that
says whom it forwards for) or one with `Authorization: Bearer
<OPSDESK_METRICS_TOKEN>`; anything else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from opsdesk.common import clock

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "opsdesk_http_requests",
    "HTTP requests answered, by method, route (URL pattern) and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "opsdesk_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# Anything else is counted under OTHER: a client cannot grow the label set.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(method: str, route: str, status: int, started: float) -> None:
    method = method if method in METHODS else "OTHER"
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(time.perf_counter() - started)


class DatabaseCollector(Collector):
    """Figures from the database, a handful of aggregate queries per scrape."""

    def collect(self) -> Iterator[Metric]:
        try:
            figures = list(self.figures())
        except DatabaseError:
            # The request metrics still get out; the gauge says why the rest did not.
            log.warning("metrics: reading the database failed", exc_info=True)
            figures = []
        yield _gauge(
            "opsdesk_metrics_database_up",
            "1 when this scrape could read the figures below from the database.",
            1 if figures else 0,
        )
        yield from figures

    def figures(self) -> Iterator[Metric]:
        # Imported here: the models need the app registry, the module does not.
        from opsdesk.cases.models import Case, CaseStatus, EventType, TimelineEvent
        from opsdesk.runtime.models import OutboxItem, OutboxStatus, Timer, TimerStatus

        now = clock.now()
        # By status, on the (status, next_attempt_at) index: DONE rows, most of the
        # table, are never read.
        outbox = dict(
            OutboxItem.objects.filter(
                status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.DEAD]
            )
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        yield _gauge(
            "opsdesk_outbox_queue_depth",
            "Outbox items not carried out yet (PENDING or SENDING), retries included.",
            outbox.get(OutboxStatus.PENDING, 0) + outbox.get(OutboxStatus.SENDING, 0),
        )
        yield _gauge(
            "opsdesk_outbox_dead_items",
            "Outbox items given up (DEAD): failed messages and effects, for an operator.",
            outbox.get(OutboxStatus.DEAD, 0),
        )
        pending = Timer.objects.filter(status=TimerStatus.PENDING)
        timers = pending.aggregate(
            count=Count("pk"), oldest_due=Min("due_at", filter=Q(due_at__lte=now))
        )
        yield _gauge("opsdesk_timers_pending", "Timers not fired yet.", timers["count"])
        oldest = timers["oldest_due"]
        yield _gauge(
            "opsdesk_timer_lag_seconds",
            "Seconds since the oldest pending timer fell due (0: none is overdue).",
            (now - oldest).total_seconds() if oldest is not None else 0.0,
        )
        breaches = CounterMetricFamily(
            "opsdesk_sla_breaches", "SLA breaches recorded on case timelines (SLA_BREACHED)."
        )
        breaches.add_metric([], TimelineEvent.objects.filter(type=EventType.SLA_BREACHED).count())
        yield breaches
        open_cases = GaugeMetricFamily(
            "opsdesk_cases_open", "Open cases by playbook (all its versions).", labels=["playbook"]
        )
        rows = (
            Case.objects.filter(status=CaseStatus.OPEN)
            .values_list("playbook__key")
            .annotate(n=Count("pk"))
            .order_by("playbook__key")
        )
        for key, n in rows:
            open_cases.add_metric([key], n)
        yield open_cases


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class _ProcessMetrics(Collector):
    """This process's own registry (requests, plus prometheus_client's process
    and Python metrics), for a scrape registry that also holds the database's."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: the request metrics of this process (or of every
    gunicorn worker, in multiprocess mode) and the database's figures."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    registry.register(DatabaseCollector())
    return registry


def scrape_allowed(request: HttpRequest) -> bool:
    """From this machine, or with `Authorization: Bearer <OPSDESK_METRICS_TOKEN>`."""
    token = settings.OPSDESK_METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    return _from_loopback(request)


def _from_loopback(request: HttpRequest) -> bool:
    # A reverse proxy on the same host makes every request look local; one that
    # says whom it forwards for is not a local scrape.
    if any(h in request.META for h in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not scrape_allowed(request):
        return HttpResponseForbidden(
            "metrics: from loopback, or with Authorization: Bearer <OPSDESK_METRICS_TOKEN>\n",
            content_type="text/plain",
        )
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
