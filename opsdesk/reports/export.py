"""The channel report as CSV (one row per channel) and as plain data for the API."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from opsdesk.common.spreadsheets import no_formula
from opsdesk.reports.period import Period
from opsdesk.reports.selectors import COLUMNS, TOP_CAUSES, ChannelRow


def median_seconds(row: ChannelRow) -> int | None:
    m = row.median_to_confirm
    return None if m is None else round(m.total_seconds())


def causes_text(row: ChannelRow) -> str:
    """ "price:3; timing:1" """
    return "; ".join(f"{cause}:{n}" for cause, n in row.causes)


def csv_text(rows: Sequence[ChannelRow], period: Period) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(
        [
            "channel",
            "channel_name",
            "since",
            "until",
            *(attr for attr, _ in COLUMNS),
            "median_to_confirm_seconds",
            f"top_{TOP_CAUSES}_rejection_causes",
        ]
    )
    for r in rows:
        ms = median_seconds(r)
        w.writerow(
            [
                r.key,
                no_formula(r.name),
                period.first_day.isoformat(),
                period.last_day.isoformat(),
                *(r.figure(attr) for attr, _ in COLUMNS),
                "" if ms is None else ms,
                causes_text(r),
            ]
        )
    return out.getvalue()


def as_dict(row: ChannelRow) -> dict[str, Any]:
    return {
        "channel": row.key,
        "name": row.name,
        **{attr: row.figure(attr) for attr, _ in COLUMNS},
        "median_to_confirm_seconds": median_seconds(row),
        "rejection_causes": [{"cause": c, "count": n} for c, n in row.causes],
    }
