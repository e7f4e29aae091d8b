"""Case fields: check and convert input against the playbook's field types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from opsdesk.playbook.model import FieldSpec, Playbook


def _coerce(spec: FieldSpec, value: Any) -> Any:
    if spec.type == "text":
        if not isinstance(value, str):
            raise ValueError("must be text")
        return value.strip()
    if spec.type == "choice":
        if value not in spec.choices:
            raise ValueError(f"must be one of {', '.join(spec.choices)}")
        return value
    if spec.type == "date":
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValueError("must be a date (YYYY-MM-DD)") from None
    if spec.type == "number":
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValueError("must be a number") from None
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("must be true or false")


def coerce_fields(
    pb: Playbook, raw: Mapping[str, Any], *, partial: bool = False
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Typed values and errors per field. Empty strings count as absent."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in raw:
        if name not in pb.fields:
            errors[name] = [f"unknown field; this playbook has {', '.join(pb.fields) or 'none'}"]
    for name, spec in pb.fields.items():
        value = raw.get(name)
        if value is None or value == "":
            if spec.required and not partial:
                errors[name] = ["this field is required"]
            elif not partial:
                values[name] = None
            continue
        try:
            values[name] = _coerce(spec, value)
        except ValueError as exc:
            errors[name] = [str(exc)]
    return values, errors


def to_json(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, dt.date):
            out[name] = value.isoformat()
        elif isinstance(value, Decimal):
            out[name] = str(value)
        else:
            out[name] = value
    return out


def from_json(pb: Playbook, stored: Mapping[str, Any]) -> dict[str, Any]:
    """Stored JSON back to typed values; every declared field present (None if unset)."""
    out: dict[str, Any] = {}
    for name, spec in pb.fields.items():
        value = stored.get(name)
        if value is None:
            out[name] = None
        elif spec.type == "date":
            out[name] = dt.date.fromisoformat(value)
        elif spec.type == "number":
            out[name] = Decimal(value)
        else:
            out[name] = value
    return out
