"""Audit log retention: views and exports older than the retention are deleted
(by `opsdesk privacy prune` or the worker, once a day); data exports and
erasures are kept whatever their age."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test.utils import override_settings

from opsdesk.privacy import audit
from opsdesk.privacy.models import AuditAction, AuditEntry
from opsdesk.privacy.services import audit_prune
from opsdesk.runtime.worker import Worker

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def entry(clock: Any, days_ago: float, action: str = AuditAction.VIEW) -> int:
    """An entry recorded `days_ago` days before NOW; the clock is put back after."""
    was = clock.now()
    clock.set_now(NOW - dt.timedelta(days=days_ago))
    try:
        return audit.record(audit.cli_access("test"), action, "cus_a").pk
    finally:
        clock.set_now(was)


def remaining() -> list[int]:
    return list(AuditEntry.objects.order_by("id").values_list("id", flat=True))


@pytest.fixture
def log(frozen_clock: Any) -> dict[str, int]:
    """Entries of each kind on both sides of a 30-day retention; the clock at NOW."""
    frozen_clock.set_now(NOW)
    made = {
        "old_view": entry(frozen_clock, 45),
        "old_export": entry(frozen_clock, 31, AuditAction.EXPORT),
        "old_data_export": entry(frozen_clock, 400, AuditAction.DATA_EXPORT),
        "old_erase": entry(frozen_clock, 400, AuditAction.ERASE),
        "edge_view": entry(frozen_clock, 30),  # exactly 30 days: not older, kept
        "new_view": entry(frozen_clock, 1),
        "new_export": entry(frozen_clock, 0, AuditAction.EXPORT),
    }
    return made


def kept(log: dict[str, int]) -> list[int]:
    names = ("old_data_export", "old_erase", "edge_view", "new_view", "new_export")
    return sorted(log[name] for name in names)


def test_prune_deletes_old_views_and_exports_only(log: dict[str, int], frozen_clock: Any) -> None:
    more = [entry(frozen_clock, 60) for _ in range(5)]
    assert audit_prune(NOW - dt.timedelta(days=30), batch=2) == 7  # in four batches
    assert remaining() == kept(log)
    assert not AuditEntry.objects.filter(id__in=more).exists()
    assert audit_prune(NOW - dt.timedelta(days=30)) == 0  # nothing left to prune


def test_the_command_prunes_and_says_how_many(log: dict[str, int]) -> None:
    out = StringIO()
    call_command("privacy", "prune", "--older-than-days", "30", "--dry-run", stdout=out)
    assert out.getvalue() == "2 audit entries before 2026-10-24 09:00 would be deleted\n"
    assert len(remaining()) == 7  # a dry run deletes nothing
    out = StringIO()
    call_command("privacy", "prune", "--older-than-days", "30", stdout=out)
    assert out.getvalue() == "2 audit entries before 2026-10-24 09:00 deleted\n"
    assert remaining() == kept(log)


@pytest.mark.parametrize("days", ["0", "-5"])
def test_the_command_refuses_a_retention_under_a_day(log: dict[str, int], days: str) -> None:
    with pytest.raises(CommandError, match="--older-than-days must be 1 or more"):
        call_command("privacy", "prune", "--older-than-days", days)
    assert len(remaining()) == 7


def test_the_worker_keeps_everything_without_a_retention(log: dict[str, int]) -> None:
    Worker().prune_audit()  # OPSDESK_AUDIT_RETENTION_DAYS defaults to 0
    assert len(remaining()) == 7


@override_settings(OPSDESK_AUDIT_RETENTION_DAYS=30)
def test_the_worker_prunes_once_a_day(log: dict[str, int], frozen_clock: Any) -> None:
    worker = Worker()
    worker.prune_audit()
    assert remaining() == kept(log)
    later = entry(frozen_clock, 90)  # e.g. restored from a backup after today's prune
    worker.prune_audit()  # the same day: not again
    assert remaining() == [*kept(log), later]
    frozen_clock.set_now(NOW + dt.timedelta(days=1))
    worker.prune_audit()  # the next day: the 90-day-old entry, and the one now 31 days old
    assert remaining() == [
        log[k] for k in ("old_data_export", "old_erase", "new_view", "new_export")
    ]


@override_settings(OPSDESK_AUDIT_RETENTION_DAYS=30)
def test_a_failed_prune_is_logged_and_waits_for_the_next_day(
    log: dict[str, int],
    frozen_clock: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import opsdesk.privacy.services as services

    calls: list[dt.datetime] = []

    def broken(before: dt.datetime) -> int:
        calls.append(before)
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "audit_prune", broken)
    worker = Worker()
    worker.prune_audit()
    worker.prune_audit()
    assert calls == [NOW - dt.timedelta(days=30)]  # once, not on every pass
    [record] = [r for r in caplog.records if r.name == "opsdesk.runtime.worker"]
    assert record.getMessage() == "pruning the audit log failed; next try tomorrow"
    assert len(remaining()) == 7
    monkeypatch.undo()
    frozen_clock.set_now(NOW + dt.timedelta(hours=24))
    worker.prune_audit()
    assert len(remaining()) == 4  # the next day it runs
