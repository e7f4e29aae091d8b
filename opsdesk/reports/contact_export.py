"""The contact report as CSV (one row per disposition path) and as plain data for the API."""

from __future__ import annotations

import csv
import io
from typing import Any

from opsdesk.common.spreadsheets import no_formula
from opsdesk.reports.contacts import (
    ContactReport,
    Dispositions,
    TagRow,
    tag_levels,
)
from opsdesk.reports.period import Period

CSV_HEADER = ("tag", "group", "since", "until", "contacts", "resolved", "unresolved")


def csv_text(report: Dispositions, period: Period) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    for r in report.paths:
        w.writerow(
            [
                no_formula(r.tag),
                no_formula(tag_levels(r.tag)),
                period.first_day.isoformat(),
                period.last_day.isoformat(),
                r.contacts,
                r.resolved,
                r.unresolved,
            ]
        )
    return out.getvalue()


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _tag(row: TagRow) -> dict[str, Any]:
    return {
        "tag": row.tag,
        "contacts": row.contacts,
        "resolved": row.resolved,
        "unresolved": row.unresolved,
    }


def as_dict(report: ContactReport) -> dict[str, Any]:
    dispositions, ageing = report.dispositions, report.ageing
    spd, warranty = report.spd, report.warranty
    return {
        "contacts": dispositions.contacts,
        "paths": [_tag(r) for r in dispositions.paths],
        "groups": [_tag(r) for r in dispositions.groups],
        "unresolved_complaints": {
            "as_of": ageing.now.isoformat(),
            "total": ageing.total,
            "buckets": [{"bucket": b.key, "count": b.count} for b in ageing.buckets],
            "oldest": [
                {
                    "contact": c.contact_id,
                    "ticket": c.ticket,
                    "customer": c.customer,
                    "tag": c.tag,
                    "closed_at": c.closed_at.isoformat(),
                    "age_seconds": round(c.age.total_seconds()),
                }
                for c in ageing.oldest
            ],
        },
        "spd_breaches": {
            "breached": spd.breached,
            "with_promise_date": spd.with_promise,
            "share": _share(spd.share),
            "days": [
                {
                    "day": d.day.isoformat(),
                    "breached": d.breached,
                    "with_promise_date": d.with_promise,
                }
                for d in spd.days
            ],
        },
        "warranty_reopens": {
            "within_warranty": warranty.within_warranty,
            "reopened": warranty.reopened,
            "rate": _share(warranty.rate),
            "reasons": [
                {
                    "reason": r.reason,
                    "within_warranty": r.within_warranty,
                    "reopened": r.reopened,
                    "rate": _share(r.rate),
                }
                for r in warranty.reasons
            ],
        },
    }
