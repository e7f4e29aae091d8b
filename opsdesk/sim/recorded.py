"""Recorded arrivals: a CSV of real arrival times (and fields) for a scenario.

The CSV has an `opened_at` column (ISO 8601 with its offset, as
`opsdesk simulate --export-arrivals` writes it) and, optionally, one column
per playbook field; a non-empty cell gives that arrival's value instead of a
draw from the scenario's `fields`. Rows are played in time order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from opsdesk.sim.scenario import ScenarioError

TIME_COLUMN = "opened_at"


def read_arrivals(path: Path) -> list[tuple[dt.datetime, dict[str, str]]]:
    """Every row as (moment in UTC, its other non-empty cells), earliest first;
    ScenarioError naming each bad line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ScenarioError([f"arrivals.csv: {path}: {exc.strerror}"]) from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or TIME_COLUMN not in reader.fieldnames:
        raise ScenarioError([f"arrivals.csv: {path}: no {TIME_COLUMN!r} column"])
    rows: list[tuple[dt.datetime, dict[str, str]]] = []
    problems: list[str] = []
    for line, row in enumerate(reader, start=2):
        raw = (row.get(TIME_COLUMN) or "").strip()
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            problems.append(f"arrivals.csv line {line}: {raw!r} is not an ISO 8601 time")
            continue
        if moment.tzinfo is None:
            problems.append(f"arrivals.csv line {line}: {raw!r} has no UTC offset")
            continue
        cells = {k: v.strip() for k, v in row.items() if k and k != TIME_COLUMN and v and v.strip()}
        rows.append((moment.astimezone(dt.UTC), cells))
    if problems:
        raise ScenarioError(problems)
    rows.sort(key=lambda r: r[0])
    return rows


def write_arrivals(rows: Iterable[tuple[dt.datetime, dict[str, Any]]], columns: list[str]) -> str:
    """The CSV `read_arrivals` reads: `opened_at`, then `columns`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([TIME_COLUMN, *columns])
    for moment, fields in rows:
        values = ["" if fields.get(c) is None else str(fields[c]) for c in columns]
        writer.writerow([moment.isoformat(), *values])
    return out.getvalue()
