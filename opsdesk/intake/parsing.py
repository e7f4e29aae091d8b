"""Reading an email body into a playbook's intake sheet. Pure: no Django.

A line `Label: value` or `name: value` (case-insensitive; the field's label, its
name, or its name with spaces for underscores) fills that field of `intake.form`.
Choices match case-insensitively, also with spaces for underscores; dates are
YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY; booleans yes/no/true/false. Anything else
(unknown labels, unreadable values, quoted lines) is skipped: the whole body is
kept as the request's text anyway.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from opsdesk.playbook.model import FieldSpec, Playbook

_LINE = re.compile(r"^\s*(?:[-*•]\s*)?([^:>][^:]{0,80}?)\s*:\s*(.+?)\s*$")
_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
_YES = {"yes", "true", "y"}
_NO = {"no", "false", "n"}


def _key(text: str) -> str:
    return " ".join(text.replace("_", " ").casefold().split())


def _date(value: str) -> str | None:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    m = _DMY.match(value)
    if m is None:
        return None
    try:
        return dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
    except ValueError:  # 31.02.2027
        return None


def _value(spec: FieldSpec, value: str) -> str | None:
    """The value as coerce_fields takes it, or None when it cannot be read."""
    if spec.type == "text":
        return value
    if spec.type == "choice":
        wanted = _key(value)
        return next((c for c in spec.choices if _key(c) == wanted), None)
    if spec.type == "date":
        return _date(value)
    if spec.type == "number":
        try:
            number = Decimal(value.replace(" ", "").replace(",", "."))
        except InvalidOperation:
            return None
        return str(number) if number.is_finite() else None
    word = value.casefold()
    return "true" if word in _YES else "false" if word in _NO else None


def parse_sheet(pb: Playbook, body: str) -> dict[str, str]:
    """The intake form's fields found in `body`; the first readable line per field wins."""
    if pb.intake is None:
        return {}
    labels: dict[str, str] = {}
    for name in pb.intake.form:
        spec = pb.fields[name]
        for label in (spec.label, name):
            if label:
                labels.setdefault(_key(label), name)
    out: dict[str, str] = {}
    for line in body.splitlines():
        m = _LINE.match(line)
        if m is None:
            continue
        name = labels.get(_key(m[1]))
        if name is None or name in out:
            continue
        value = _value(pb.fields[name], m[2])
        if value is not None:
            out[name] = value
    return out
