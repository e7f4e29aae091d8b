"""Helpers of the rate-limit, lockout and header tests."""

from __future__ import annotations

from typing import Any

from django.apps import apps


def row_counts(*leave_out: str) -> dict[str, int]:
    """Row counts of every model (rate counters and sessions included), but `leave_out`."""
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.managed and not m._meta.proxy and m._meta.label not in leave_out
    }


def tight(settings: Any, **limits: int) -> None:
    """Every scope generous but the ones given."""
    settings.OPSDESK_RATE_LIMITS = {
        scope: limits.get(scope, 100_000) for scope in settings.OPSDESK_RATE_LIMITS
    }
    settings.OPSDESK_RATE_LIMIT_WINDOW = 60
