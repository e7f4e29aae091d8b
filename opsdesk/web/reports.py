"""The channel report page (managers): a period picker, SVG bar charts, a CSV download."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opsdesk.access.policy import restrict
from opsdesk.common import clock
from opsdesk.common.errors import ValidationFailed
from opsdesk.reports import export
from opsdesk.reports.period import Period, period_of
from opsdesk.reports.selectors import COLUMNS, VIEW_ACTION, ChannelRow, channel_report
from opsdesk.web.charts import BarValue, Chart, grouped_bars
from opsdesk.web.feedback import Feedback
from opsdesk.web.shortcuts import page, staff_view


def duration_text(value: dt.timedelta | None) -> str:
    """ "3 h 05 min", "2 d 4 h", "—" """
    if value is None:
        return "—"
    minutes = round(value.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": f"{mins:02d}"}


def _charts(rows: list[ChannelRow]) -> list[Chart]:
    funnel = grouped_bars(
        "chart-orders",
        _("Orders by channel"),
        [
            (
                r.name,
                [
                    BarValue(
                        r.figure(attr),
                        f"bar-{attr}",
                        str(r.figure(attr)),
                        f"{title}: {r.figure(attr)}",
                    )
                    for attr, title in COLUMNS
                ],
            )
            for r in rows
        ],
    )
    median = grouped_bars(
        "chart-median",
        _("Median time to confirm"),
        [
            (
                r.name,
                [
                    BarValue(
                        r.median_to_confirm.total_seconds() / 3600,
                        "bar-median",
                        duration_text(r.median_to_confirm),
                    )
                ]
                if r.median_to_confirm is not None
                else [],
            )
            for r in rows
        ],
    )
    causes = grouped_bars(
        "chart-causes",
        _("Top rejection causes"),
        [
            (r.name, [BarValue(n, "bar-cause", f"{n} · {cause}") for cause, n in r.causes])
            for r in rows
        ],
    )
    return [funnel, median, causes]


@require_GET
@staff_view
def channels(request: HttpRequest) -> HttpResponse:
    restrict(request.user, VIEW_ACTION)
    tz = request.tz  # type: ignore[attr-defined]
    fb = None
    since, until = request.GET.get("since"), request.GET.get("until")
    try:
        period = period_of(since, until, tz, clock.now())
    except ValidationFailed as exc:
        fb = Feedback("period", 422, errors=exc.errors, values=request.GET)
        period = period_of(None, None, tz, clock.now())
    rows = channel_report(period.since, period.until)
    ctx: dict[str, Any] = {
        "nav": "channels",
        "period": period,
        "rows": rows,
        "columns": COLUMNS,
        "table": [
            (r, [r.figure(attr) for attr, _ in COLUMNS], duration_text(r.median_to_confirm))
            for r in rows
        ],
        "charts": _charts(rows),
        "series": [(f"bar-{attr}", title) for attr, title in COLUMNS],
        "fb": fb,
    }
    return page(request, "web/channels.html", ctx, status=fb.status if fb else 200)


@require_GET
@staff_view
def channels_csv(request: HttpRequest) -> HttpResponse:
    restrict(request.user, VIEW_ACTION)
    tz = request.tz  # type: ignore[attr-defined]
    try:
        period: Period = period_of(
            request.GET.get("since"), request.GET.get("until"), tz, clock.now()
        )
    except ValidationFailed as exc:
        text = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")
    body = export.csv_text(channel_report(period.since, period.until), period)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"channels-{period.first_day.isoformat()}-{period.last_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
