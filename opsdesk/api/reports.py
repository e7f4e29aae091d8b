"""/api/v1/reports: figures for managers (the same as the UI's report pages).

The output schemas live here rather than in schemas.py: they describe report
rows, not domain objects, and nothing else uses them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from opsdesk.access.policy import restrict
from opsdesk.api.auth import AUTH
from opsdesk.api.schemas import ERRORS
from opsdesk.common import clock
from opsdesk.reports import contact_export, export
from opsdesk.reports.contacts import contact_report
from opsdesk.reports.period import period_of
from opsdesk.reports.selectors import VIEW_ACTION, channel_report
from opsdesk.staff.selectors import user_timezone

router = Router(tags=["reports"], auth=AUTH)


class CauseOut(Schema):
    cause: str
    count: int


class ChannelReportRowOut(Schema):
    channel: str
    name: str
    received: int
    eligible: int
    confirmed: int
    rejected: int
    not_responding: int
    handed_back: int
    completed: int
    median_to_confirm_seconds: int | None
    rejection_causes: list[CauseOut]


class ChannelReportOut(Schema):
    since: str  # first day, YYYY-MM-DD
    until: str  # last day, included
    timezone: str
    channels: list[ChannelReportRowOut]


@router.get("/reports/channels", response={200: ChannelReportOut, **ERRORS})
def channels(
    request: HttpRequest,
    since: str | None = None,
    until: str | None = None,
    channel: str | None = None,
) -> Any:
    """Per sales channel, the orders received from `since` to `until` (dates,
    both included, in the caller's time zone; default the last 30 days) and
    what their cases reached since: confirmed, rejected, not responding, handed
    back, completed, the median time to confirm and the top 5 rejection causes.
    Managers and admins only."""
    restrict(request.user, VIEW_ACTION)
    tz = user_timezone(request.user)
    period = period_of(since, until, tz, clock.now())
    rows = channel_report(period.since, period.until, channel_key=channel or None)
    return {
        "since": period.first_day.isoformat(),
        "until": period.last_day.isoformat(),
        "timezone": str(tz),
        "channels": [export.as_dict(r) for r in rows],
    }


class TagCountOut(Schema):
    tag: str
    contacts: int
    resolved: int
    unresolved: int


class AgeBucketOut(Schema):
    bucket: str  # 0-1d, 1-3d, 3-7d, 7d+
    count: int


class OpenComplaintOut(Schema):
    contact: str
    ticket: str  # the ticket's case number
    customer: str
    tag: str
    closed_at: str
    age_seconds: int


class ComplaintAgeingOut(Schema):
    as_of: str
    total: int
    buckets: list[AgeBucketOut]
    oldest: list[OpenComplaintOut]


class SpdDayOut(Schema):
    day: str
    breached: int
    with_promise_date: int


class SpdBreachesOut(Schema):
    breached: int
    with_promise_date: int
    share: float | None
    days: list[SpdDayOut]


class ReopenReasonOut(Schema):
    reason: str
    within_warranty: int
    reopened: int
    rate: float | None


class WarrantyReopensOut(Schema):
    within_warranty: int
    reopened: int
    rate: float | None
    reasons: list[ReopenReasonOut]


class ContactReportOut(Schema):
    since: str  # first day, YYYY-MM-DD
    until: str  # last day, included
    timezone: str
    contacts: int
    paths: list[TagCountOut]
    groups: list[TagCountOut]
    unresolved_complaints: ComplaintAgeingOut
    spd_breaches: SpdBreachesOut
    warranty_reopens: WarrantyReopensOut


@router.get("/reports/contacts", response={200: ContactReportOut, **ERRORS})
def contacts(request: HttpRequest, since: str | None = None, until: str | None = None) -> Any:
    """The contacts closed from `since` to `until` (dates, both included, in the
    caller's time zone; default the last 30 days): counts per disposition path and
    per its first two levels, unresolved complaints by age, SPD breaches per day,
    and the reopen rate within warranty (docs/contact-reports.md). Managers and
    admins only."""
    restrict(request.user, VIEW_ACTION)
    tz = user_timezone(request.user)
    now = clock.now()
    period = period_of(since, until, tz, now)
    report = contact_report(period.first_day, period.last_day, tz, now)
    return {
        "since": period.first_day.isoformat(),
        "until": period.last_day.isoformat(),
        "timezone": str(tz),
        **contact_export.as_dict(report),
    }
