"""Read-only reports over customer contacts (calls, WhatsApp, email handled by a script).

Every figure counts the contacts *closed* in a period of whole local days
(`since` to `until`, both included, in the viewer's time zone; see
`opsdesk.reports.period`). Open contacts are never counted. Each function runs
one aggregate query (the ageing figure two: its buckets and its oldest rows),
whatever the number of contacts, and returns plain dataclasses.

docs/contact-reports.md says what each figure means.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate

from opsdesk.common import clock
from opsdesk.contacts.models import Contact
from opsdesk.reports.period import Period

SEP = ">>"
COMPLAINT = f"{SEP} Complaint {SEP}"  # in the tag: "Inbound >> Complaint >> ..."
RESOLVED, UNRESOLVED = "resolved", "unresolved"
CLOSED = "CLOSED"
REOPEN = "reopen"
OLDEST = 20

DAY = dt.timedelta(days=1)
# (key, title, lower bound of the age included, upper bound excluded)
AGE_BUCKETS: tuple[tuple[str, str, dt.timedelta, dt.timedelta | None], ...] = (
    ("0-1d", "0–1 day", dt.timedelta(0), DAY),
    ("1-3d", "1–3 days", DAY, 3 * DAY),
    ("3-7d", "3–7 days", 3 * DAY, 7 * DAY),
    ("7d+", "Over 7 days", 7 * DAY, None),
)


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


def closed_in(since: dt.date, until: dt.date, tz: zoneinfo.ZoneInfo) -> QuerySet[Contact]:
    """The contacts closed from `since` 00:00 to the end of `until`, local time."""
    period = Period(since, until, tz)
    return Contact.objects.filter(
        status=CLOSED, closed_at__gte=period.since, closed_at__lt=period.until
    )


def tag_levels(tag: str, levels: int = 2) -> str:
    """The first `levels` steps of a disposition path: "Inbound >> Complaint"."""
    parts = [p.strip() for p in tag.split(SEP)]
    return f" {SEP} ".join(parts[:levels])


# --- contacts by disposition path ---------------------------------------------------


@dataclass
class TagRow:
    tag: str
    contacts: int = 0
    resolved: int = 0
    unresolved: int = 0


@dataclass(frozen=True)
class Dispositions:
    paths: list[TagRow]  # per full tag
    groups: list[TagRow]  # per first two levels ("Inbound >> Complaint")

    @property
    def contacts(self) -> int:
        return sum(r.contacts for r in self.paths)


def _by_count(rows: list[TagRow]) -> list[TagRow]:
    return sorted(rows, key=lambda r: (-r.contacts, r.tag))


def dispositions(since: dt.date, until: dt.date, tz: zoneinfo.ZoneInfo) -> Dispositions:
    """Contacts closed in the period per disposition path (tag) and per its first
    two levels, each with how many were resolved and unresolved; most first."""
    counts = (
        closed_in(since, until, tz)
        .values("tag")
        .annotate(
            n=Count("pk"),
            resolved=Count("pk", filter=Q(resolution=RESOLVED)),
            unresolved=Count("pk", filter=Q(resolution=UNRESOLVED)),
        )
    )
    paths = [TagRow(r["tag"], r["n"], r["resolved"], r["unresolved"]) for r in counts]
    groups: dict[str, TagRow] = {}
    for p in paths:
        key = tag_levels(p.tag)
        g = groups.setdefault(key, TagRow(key))
        g.contacts += p.contacts
        g.resolved += p.resolved
        g.unresolved += p.unresolved
    return Dispositions(_by_count(paths), _by_count(list(groups.values())))


# --- unresolved complaints ageing ---------------------------------------------------


@dataclass(frozen=True)
class AgeBucket:
    key: str
    title: str
    count: int


@dataclass(frozen=True)
class OpenComplaint:
    contact_id: str
    ticket: str  # the ticket's case number
    customer: str
    tag: str
    closed_at: dt.datetime
    age: dt.timedelta


@dataclass(frozen=True)
class ComplaintAgeing:
    now: dt.datetime
    buckets: list[AgeBucket]
    oldest: list[OpenComplaint]  # at most OLDEST, oldest first

    @property
    def total(self) -> int:
        return sum(b.count for b in self.buckets)


def unresolved_complaints(
    since: dt.date, until: dt.date, tz: zoneinfo.ZoneInfo, now: dt.datetime | None = None
) -> QuerySet[Contact]:
    """Complaint contacts closed unresolved in the period whose ticket has not
    been resolved since: the ticket's latest contact closed by `now` is not
    `resolved` (a contact without a ticket stays unresolved)."""
    now = now or clock.now()
    latest = (
        Contact.objects.filter(ticket_id=OuterRef("ticket_id"), status=CLOSED, closed_at__lte=now)
        .order_by("-closed_at", "-pk")
        .values("resolution")[:1]
    )
    return (
        closed_in(since, until, tz)
        # icontains: SQLite's LIKE ignores case anyway; the same answer on both databases.
        .filter(resolution=UNRESOLVED, tag__icontains=COMPLAINT, closed_at__lte=now)
        .annotate(latest_resolution=Subquery(latest))
        .filter(Q(latest_resolution__isnull=True) | ~Q(latest_resolution=RESOLVED))
    )


def complaint_ageing(
    since: dt.date, until: dt.date, tz: zoneinfo.ZoneInfo, now: dt.datetime | None = None
) -> ComplaintAgeing:
    """Unresolved complaints by age (now - closed_at) in AGE_BUCKETS, and the
    OLDEST oldest of them with their ticket, customer and tag."""
    now = now or clock.now()
    rows = unresolved_complaints(since, until, tz, now)
    conditions = {}
    for key, _, low, high in AGE_BUCKETS:
        q = Q(closed_at__lte=now - low)
        if high is not None:
            q &= Q(closed_at__gt=now - high)
        conditions[key] = Count("pk", filter=q)
    counts = rows.aggregate(**conditions)
    buckets = [AgeBucket(key, title, counts[key] or 0) for key, title, _, _ in AGE_BUCKETS]
    oldest = [
        OpenComplaint(
            c.pk,
            c.ticket.number if c.ticket_id else "",
            c.customer.full_name,
            c.tag,
            c.closed_at,
            now - c.closed_at,
        )
        for c in rows.select_related("ticket", "customer").order_by("closed_at", "pk")[:OLDEST]
        if c.closed_at is not None
    ]
    return ComplaintAgeing(now, buckets, oldest)


# --- SPD breaches -------------------------------------------------------------------


@dataclass(frozen=True)
class SpdDay:
    day: dt.date
    breached: int
    with_promise: int  # contacts whose ticket had a promise date (spd_breached not null)

    @property
    def share(self) -> float | None:
        return ratio(self.breached, self.with_promise)


@dataclass(frozen=True)
class SpdBreaches:
    days: list[SpdDay]  # local days with at least one contact with a promise date

    @property
    def breached(self) -> int:
        return sum(d.breached for d in self.days)

    @property
    def with_promise(self) -> int:
        return sum(d.with_promise for d in self.days)

    @property
    def share(self) -> float | None:
        return ratio(self.breached, self.with_promise)


def spd_breaches(since: dt.date, until: dt.date, tz: zoneinfo.ZoneInfo) -> SpdBreaches:
    """Per local day of closing: the contacts whose service promise date was
    breached, out of those whose ticket had one."""
    counts = (
        closed_in(since, until, tz)
        .filter(spd_breached__isnull=False)
        .annotate(day=TruncDate("closed_at", tzinfo=tz))
        .values("day")
        .annotate(
            breached=Count("pk", filter=Q(spd_breached=True)),
            with_promise=Count("pk"),
        )
        .order_by("day")
    )
    return SpdBreaches([SpdDay(r["day"], r["breached"], r["with_promise"]) for r in counts])


# --- reopen rate within warranty ----------------------------------------------------


@dataclass(frozen=True)
class ReopenRow:
    reason: str
    within_warranty: int
    reopened: int

    @property
    def rate(self) -> float | None:
        return ratio(self.reopened, self.within_warranty)


@dataclass(frozen=True)
class WarrantyReopens:
    reasons: list[ReopenRow] = field(default_factory=list)  # most contacts first

    @property
    def within_warranty(self) -> int:
        return sum(r.within_warranty for r in self.reasons)

    @property
    def reopened(self) -> int:
        return sum(r.reopened for r in self.reasons)

    @property
    def rate(self) -> float | None:
        return ratio(self.reopened, self.within_warranty)


def warranty_reopens(since: dt.date, until: dt.date, tz: zoneinfo.ZoneInfo) -> WarrantyReopens:
    """Among contacts within warranty, how many were closed with the action
    "reopen" (the job is done again), in all and per reason."""
    counts = (
        closed_in(since, until, tz)
        .filter(within_warranty=True)
        .values("reason")
        .annotate(n=Count("pk"), reopened=Count("pk", filter=Q(action=REOPEN)))
    )
    rows = [ReopenRow(r["reason"], r["n"], r["reopened"]) for r in counts]
    rows.sort(key=lambda r: (-r.within_warranty, r.reason))
    return WarrantyReopens(rows)


# --- all of it ----------------------------------------------------------------------


@dataclass(frozen=True)
class ContactReport:
    dispositions: Dispositions
    ageing: ComplaintAgeing
    spd: SpdBreaches
    warranty: WarrantyReopens


def contact_report(
    since: dt.date, until: dt.date, tz: zoneinfo.ZoneInfo, now: dt.datetime | None = None
) -> ContactReport:
    """Every figure of the contact report for the period (what the page and the API show)."""
    return ContactReport(
        dispositions(since, until, tz),
        complaint_ageing(since, until, tz, now),
        spd_breaches(since, until, tz),
        warranty_reopens(since, until, tz),
    )
