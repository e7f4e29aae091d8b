"""Read-only reports over service orders: how each sales channel's orders fared.

`channel_report` follows a cohort: the orders a channel sent in [since, until)
(by `received_at`), and what their cases reached since then (milestones,
hand-backs, the root cause recorded in retention), whenever that happened.
It runs a fixed handful of aggregate queries whatever the number of orders.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)

from opsdesk.cases.models import Case, CaseMilestone
from opsdesk.orders.models import HandBack, OrderStatus, SalesChannel, ServiceOrder

# The policy action that lets a user see reports (managers and admins).
VIEW_ACTION = "report.view"

# Milestones of the service-order playbook the report counts, by column.
MILESTONES = {
    "confirmed": "confirmed",
    "rejected": "rejected",
    "not_responding": "not_responding",
    "completed": "completed",
}
CAUSE_FIELD = "rejection_cause"
TOP_CAUSES = 5

# (attribute, column title) in report order: the CSV header, the API and the page.
COLUMNS = (
    ("received", "Received"),
    ("eligible", "Eligible"),
    ("confirmed", "Confirmed"),
    ("rejected", "Rejected"),
    ("not_responding", "Not responding"),
    ("handed_back", "Handed back"),
    ("completed", "Completed"),
)


@dataclass
class ChannelRow:
    """One sales channel's figures for the period."""

    key: str
    name: str
    received: int = 0
    eligible: int = 0  # not INELIGIBLE
    confirmed: int = 0
    rejected: int = 0
    not_responding: int = 0
    handed_back: int = 0  # orders with a case that were handed back to the channel
    completed: int = 0
    median_to_confirm: dt.timedelta | None = None  # received_at -> the confirmed milestone
    causes: list[tuple[str, int]] = field(default_factory=list)  # top rejection causes

    def figure(self, name: str) -> int:
        value: int = getattr(self, name)
        return value


class _Median(Aggregate):
    """PostgreSQL's PERCENTILE_CONT(0.5): works on intervals, interpolates like
    statistics.median (the mean of the two middle values)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def channel_report(
    since: dt.datetime, until: dt.datetime, channel_key: str | None = None
) -> list[ChannelRow]:
    """Per sales channel (by name), the orders received in [since, until) and
    what became of them. Every channel is listed, with zeros when it sent none."""
    channels = SalesChannel.objects.order_by("name", "key")
    if channel_key is not None:
        channels = channels.filter(key=channel_key)
    rows = {c.pk: ChannelRow(c.key, c.name) for c in channels.only("pk", "key", "name")}
    if not rows:
        return []
    orders = ServiceOrder.objects.filter(
        received_at__gte=since, received_at__lt=until, channel_id__in=list(rows)
    )
    _order_counts(orders, rows)
    _milestone_counts(orders, rows)
    _hand_back_counts(orders, rows)
    _median_to_confirm(orders, rows)
    _top_causes(orders, rows)
    return list(rows.values())


def _order_counts(orders: QuerySet[ServiceOrder], rows: dict[str, ChannelRow]) -> None:
    counts = orders.values("channel_id").annotate(
        received=Count("pk"), eligible=Count("pk", filter=~Q(status=OrderStatus.INELIGIBLE))
    )
    for r in counts:
        row = rows[r["channel_id"]]
        row.received, row.eligible = r["received"], r["eligible"]


def _milestone_counts(orders: QuerySet[ServiceOrder], rows: dict[str, ChannelRow]) -> None:
    # A case reaches a milestone at most once (unique case + name), so rows count cases.
    counts = (
        CaseMilestone.objects.filter(
            case__service_order__in=orders.values("pk"), name__in=list(MILESTONES.values())
        )
        .values("case__service_order__channel_id", "name")
        .annotate(n=Count("pk"))
    )
    attr_of = {name: attr for attr, name in MILESTONES.items()}
    for r in counts:
        setattr(rows[r["case__service_order__channel_id"]], attr_of[r["name"]], r["n"])


def _hand_back_counts(orders: QuerySet[ServiceOrder], rows: dict[str, ChannelRow]) -> None:
    # Ineligible orders are handed back at intake; those have no case and are
    # already counted as received minus eligible.
    counts = (
        HandBack.objects.filter(order__in=orders.filter(case__isnull=False).values("pk"))
        .values("order__channel_id")
        .annotate(n=Count("order_id", distinct=True))
    )
    for r in counts:
        rows[r["order__channel_id"]].handed_back = r["n"]


def _median_to_confirm(orders: QuerySet[ServiceOrder], rows: dict[str, ChannelRow]) -> None:
    confirmed = CaseMilestone.objects.filter(
        case__service_order__in=orders.values("pk"), name=MILESTONES["confirmed"]
    )
    waited = ExpressionWrapper(
        F("at") - F("case__service_order__received_at"), output_field=DurationField()
    )
    if connection.vendor == "postgresql":
        medians = confirmed.values("case__service_order__channel_id").annotate(
            median=_Median(waited)
        )
        for r in medians:
            rows[r["case__service_order__channel_id"]].median_to_confirm = r["median"]
        return
    # Elsewhere (SQLite): one list of (channel, waited), the median in Python.
    durations: dict[str, list[dt.timedelta]] = defaultdict(list)
    for channel_id, duration in confirmed.values_list(
        "case__service_order__channel_id", waited
    ).iterator(chunk_size=5000):
        durations[channel_id].append(duration)
    for channel_id, values in durations.items():
        rows[channel_id].median_to_confirm = _median(values)


def _median(values: list[dt.timedelta]) -> dt.timedelta:
    seconds = statistics.median(v.total_seconds() for v in values)
    return dt.timedelta(seconds=seconds)


def _top_causes(orders: QuerySet[ServiceOrder], rows: dict[str, ChannelRow]) -> None:
    counts = (
        Case.objects.filter(service_order__in=orders.values("pk"))
        .filter(**{f"fields__{CAUSE_FIELD}__isnull": False})
        .values("service_order__channel_id", cause=F(f"fields__{CAUSE_FIELD}"))
        .annotate(n=Count("pk"))
    )
    by_channel: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in counts:
        if r["cause"] not in (None, ""):
            by_channel[r["service_order__channel_id"]].append((str(r["cause"]), r["n"]))
    for channel_id, causes in by_channel.items():
        causes.sort(key=lambda c: (-c[1], c[0]))
        rows[channel_id].causes = causes[:TOP_CAUSES]
