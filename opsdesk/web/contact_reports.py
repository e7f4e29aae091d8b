"""The contact report page (managers): disposition paths, unresolved complaints by age,
SPD breaches and warranty reopens for a period, with SVG bar charts and a CSV download."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from opsdesk.access.policy import restrict
from opsdesk.common import clock
from opsdesk.common.errors import ValidationFailed
from opsdesk.reports import contact_export
from opsdesk.reports.contacts import ContactReport, contact_report, dispositions
from opsdesk.reports.period import Period, period_of
from opsdesk.reports.selectors import VIEW_ACTION
from opsdesk.web.charts import BarValue, Chart, grouped_bars
from opsdesk.web.feedback import Feedback
from opsdesk.web.reports import duration_text
from opsdesk.web.shortcuts import page, staff_view

# (css, title) of the series, for the legend
SERIES = (
    ("bar-received", gettext_lazy("Contacts")),
    ("bar-confirmed", gettext_lazy("Resolved")),
    ("bar-rejected", gettext_lazy("Unresolved / breached")),
    ("bar-not_responding", gettext_lazy("Unresolved complaints")),
    ("bar-eligible", gettext_lazy("With a promise date")),
)


def percent(value: float | None) -> str:
    """ "33.3 %", "—" """
    return "—" if value is None else f"{value * 100:.1f} %"


def _charts(report: ContactReport) -> list[Chart]:
    tags = grouped_bars(
        "chart-tags",
        _("Contacts by disposition (first two levels)"),
        [
            (
                g.tag,
                [
                    BarValue(
                        g.contacts,
                        "bar-received",
                        str(g.contacts),
                        _("Contacts: %(n)s") % {"n": g.contacts},
                    ),
                    BarValue(
                        g.resolved,
                        "bar-confirmed",
                        str(g.resolved),
                        _("Resolved: %(n)s") % {"n": g.resolved},
                    ),
                    BarValue(
                        g.unresolved,
                        "bar-rejected",
                        str(g.unresolved),
                        _("Unresolved: %(n)s") % {"n": g.unresolved},
                    ),
                ],
            )
            for g in report.dispositions.groups
        ],
    )
    ageing = grouped_bars(
        "chart-ageing",
        _("Unresolved complaints by age"),
        [
            (
                b.title,
                [BarValue(b.count, "bar-not_responding", str(b.count), f"{b.title}: {b.count}")],
            )
            for b in report.ageing.buckets
        ],
    )
    spd = grouped_bars(
        "chart-spd",
        _("SPD breaches per day"),
        [
            (
                date_format(d.day, "D j M"),
                [
                    BarValue(
                        d.breached,
                        "bar-rejected",
                        f"{d.breached} · {percent(d.share)}",
                        _("Breached: %(n)s") % {"n": d.breached},
                    ),
                    BarValue(
                        d.with_promise,
                        "bar-eligible",
                        str(d.with_promise),
                        _("With a promise date: %(n)s") % {"n": d.with_promise},
                    ),
                ],
            )
            for d in report.spd.days
        ],
    )
    return [tags, ageing, spd]


def _period(request: HttpRequest, now: dt.datetime) -> Period:
    tz = request.tz  # type: ignore[attr-defined]
    return period_of(request.GET.get("since"), request.GET.get("until"), tz, now)


@require_GET
@staff_view
def contacts(request: HttpRequest) -> HttpResponse:
    restrict(request.user, VIEW_ACTION)
    tz = request.tz  # type: ignore[attr-defined]
    now = clock.now()
    fb = None
    try:
        period = _period(request, now)
    except ValidationFailed as exc:
        fb = Feedback("period", 422, errors=exc.errors, values=request.GET)
        period = period_of(None, None, tz, now)
    report = contact_report(period.first_day, period.last_day, tz, now)
    ctx: dict[str, Any] = {
        "nav": "contact_report",
        "period": period,
        "report": report,
        "oldest": [(c, duration_text(c.age)) for c in report.ageing.oldest],
        "spd_days": [(d, percent(d.share)) for d in report.spd.days],
        "spd_share": percent(report.spd.share),
        "reasons": [(r, percent(r.rate)) for r in report.warranty.reasons],
        "reopen_rate": percent(report.warranty.rate),
        "charts": _charts(report),
        "series": SERIES,
        "fb": fb,
    }
    return page(request, "web/contact_report.html", ctx, status=fb.status if fb else 200)


@require_GET
@staff_view
def contacts_csv(request: HttpRequest) -> HttpResponse:
    restrict(request.user, VIEW_ACTION)
    try:
        period = _period(request, clock.now())
    except ValidationFailed as exc:
        text = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")
    rows = dispositions(period.first_day, period.last_day, period.tz)
    response = HttpResponse(
        contact_export.csv_text(rows, period), content_type="text/csv; charset=utf-8"
    )
    name = f"contacts-{period.first_day.isoformat()}-{period.last_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
