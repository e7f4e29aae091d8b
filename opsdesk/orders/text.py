"""Orders as text: CSV files (`opsdesk import orders`) and the lines of an email.

Both name the fields of `opsdesk.orders.intake.OrderInput`:

- columns / keys `external_ref`, `given_name`, `family_name`, `service_type`
  (required), `customer_type`, `phone`, `whatsapp` (true/false, yes/no, 1/0),
  `email`, `language`, `address`, `city`, `postcode`, `latitude`, `longitude`,
  `notes`;
- `documents`: `type[:valid_until]` items separated by `;` or `|`, e.g.
  `id_card:2030-01-01;tax_certificate` (quote the cell, or use `|`, in a
  semicolon-separated file);
- `fields.<name>`: more of the playbook's case fields, e.g. `fields.rating`.

A CSV file is UTF-8 with or without a byte-order mark; its delimiter (comma or
semicolon) is read from the header line. An email carries one order as
`key: value` lines in its body and/or a CSV attachment with one order per row.
Everything goes through `orders_receive`, in batches of at most MAX_BATCH rows.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from opsdesk.common.actors import Actor
from opsdesk.orders.intake import MAX_BATCH, OrderInput, RowResult, orders_receive
from opsdesk.orders.models import SalesChannel

log = logging.getLogger(__name__)

COLUMNS = tuple(f.name for f in fields(OrderInput) if f.name != "fields")
REQUIRED = ("external_ref", "given_name", "family_name", "service_type")
FIELD_PREFIX = "fields."
_TRUE = frozenset({"true", "yes", "y", "1", "evet", "e"})
_FALSE = frozenset({"false", "no", "n", "0", "hayır", "hayir", "h"})
MAX_REF = 100


class BadFile(ValueError):
    """The file as a whole cannot be read: not UTF-8, no header, unknown or missing columns."""


@dataclass
class TextRow:
    """One order read from text, before intake: its OrderInput or why it cannot be one."""

    line: int  # where it starts in its file (the header is line 1); 0 for an email body
    external_ref: str
    data: OrderInput | None
    errors: dict[str, list[str]] = field(default_factory=dict)


def column_of(name: str) -> str:
    """`Given Name` and `given-name` are `given_name`; `fields.x` keeps its field name."""
    name = name.strip()
    if name.lower().startswith(FIELD_PREFIX):
        return FIELD_PREFIX + name[len(FIELD_PREFIX) :].strip()
    return re.sub(r"[\s-]+", "_", name.lower())


def known(column: str) -> bool:
    return column in COLUMNS or (column.startswith(FIELD_PREFIX) and len(column) > 7)


def order_from_values(values: dict[str, str], line: int = 0) -> TextRow:
    """An OrderInput from text values keyed by column; values that are not text of
    their type (a latitude that is no number) are this row's errors."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {"fields": {}}
    for column, raw in values.items():
        value = (raw or "").strip()
        if column.startswith(FIELD_PREFIX):
            data["fields"][column[len(FIELD_PREFIX) :]] = value
        elif column == "whatsapp":
            if value:
                if value.lower() not in _TRUE | _FALSE:
                    errors["whatsapp"] = ["true or false"]
                data["whatsapp"] = value.lower() in _TRUE
        elif column in ("latitude", "longitude"):
            try:
                data[column] = float(value.replace(",", ".")) if value else None
            except ValueError:
                errors[column] = ["a number, e.g. 40.98"]
        elif column == "documents":
            data["documents"] = parse_documents(value)
        elif column == "customer_type" and not value:
            continue  # the default, as when the column is absent
        else:
            data[column] = value
    for name in REQUIRED:
        data.setdefault(name, "")
    ref = data["external_ref"]
    if errors:
        return TextRow(line, ref, None, errors)
    return TextRow(line, ref, OrderInput(**data))


def parse_documents(text: str) -> list[dict[str, Any]]:
    """`id_card:2030-01-01;tax_certificate` -> [{type, valid_until}, {type, valid_until: None}]."""
    out: list[dict[str, Any]] = []
    for item in re.split(r"[;|]", text):
        if not item.strip():
            continue
        doc_type, _, until = item.partition(":")
        out.append({"type": doc_type.strip(), "valid_until": until.strip() or None})
    return out


def read_csv(raw: bytes, *, ref_required: bool = True) -> list[TextRow]:
    """Every data row of a CSV file; raises BadFile when the file as a whole is wrong."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(
            f"not UTF-8 text (byte {exc.start} cannot be read); save it as UTF-8"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    header_line = next((ln for ln in text.split("\n") if ln.strip()), "")
    if not header_line:
        raise BadFile("the file is empty: the first line must name the columns")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] = []
    for cells in reader:
        if any(c.strip() for c in cells):
            header = [column_of(c) for c in cells]
            break
    _check_header(header, ref_required)
    rows: list[TextRow] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                rows.append(
                    TextRow(
                        start,
                        cells[header.index("external_ref")].strip()
                        if "external_ref" in header
                        else "",
                        None,
                        {"row": [f"{len(cells)} values for {len(header)} columns"]},
                    )
                )
                continue
            rows.append(order_from_values(dict(zip(header, cells, strict=False)), start))
    except csv.Error as exc:
        raise BadFile(f"line {line}: {exc}") from None
    return rows


def _check_header(header: list[str], ref_required: bool) -> None:
    problems = []
    unknown = [c or "(empty)" for c in header if not known(c)]
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)} "
            "and fields.<name> for the playbook's fields"
        )
    missing = [c for c in REQUIRED if c not in header and (ref_required or c != "external_ref")]
    if missing:
        problems.append(f"missing required column(s) {', '.join(missing)}")
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if problems:
        raise BadFile("bad header: " + "; ".join(problems))


def receive_rows(
    channel: SalesChannel,
    rows: Sequence[TextRow],
    actor: Actor,
    progress: Callable[[int], Any] | None = None,
) -> list[RowResult]:
    """Each row's outcome (`index` = its position in `rows`). Rows that could not be read
    are rejected with their errors; the others go to `orders_receive`, MAX_BATCH at a time."""
    results: list[RowResult] = [
        RowResult(i, r.external_ref, "rejected", errors=r.errors)
        for i, r in enumerate(rows)
        if r.data is None
    ]
    if results and progress is not None:
        progress(len(results))
    readable = [(i, r.data) for i, r in enumerate(rows) if r.data is not None]
    for start in range(0, len(readable), MAX_BATCH):
        batch = readable[start : start + MAX_BATCH]
        received = orders_receive(channel, [d for _, d in batch], actor, progress=progress)
        for (i, _), result in zip(batch, received, strict=True):
            result.index = i
            results.append(result)
    return sorted(results, key=lambda r: r.index)
