"""Every row of every model, for "nothing changed" and "nothing left" assertions."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.db import models

# The sign-in itself and per-request rate counters, not data a request changes.
VOLATILE = {"sessions.Session", "access.RateCounter", "access.SignInFailure"}


def _models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if m._meta.managed and not m._meta.proxy and m._meta.label not in VOLATILE
    ]


def everything() -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: list(m._default_manager.order_by("pk").values()) for m in _models()}


def text_columns() -> list[tuple[type[models.Model], list[str]]]:
    """Per model, its text and JSON columns (where a personal value could be copied)."""
    kinds = (models.CharField, models.TextField, models.JSONField, models.FileField)
    out = []
    for m in _models():
        names = [f.attname for f in m._meta.concrete_fields if isinstance(f, kinds)]
        if names:
            out.append((m, names))
    return out


def find(values: list[str]) -> list[str]:
    """Where any of `values` (case-insensitively) is still in the database: a generic
    scan of every model's text and JSON columns, whoever wrote them."""
    needles = [v.lower() for v in values if v]
    hits = []
    for model, names in text_columns():
        for row in model._default_manager.values("pk", *names).iterator():
            for name in names:
                value = row[name]
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                text = text.lower()
                for n in needles:
                    if n in text:
                        hits.append(f"{model._meta.label}[{row['pk']}].{name} holds {n!r}")
    return hits
