"""`opsdesk backup` and `opsdesk restore`: what was saved comes back, on both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.cases.services import case_transition
from opsdesk.common.actors import Actor
from opsdesk.customers.models import Customer
from opsdesk.customers.services import customer_create
from tests.cases.test_onboarding_services import clean_customer

pytestmark = pytest.mark.django_db(transaction=True)


def counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def timeline() -> list[tuple[str, str, dict[str, Any]]]:
    return list(TimelineEvent.objects.order_by("id").values_list("case_id", "type", "payload"))


def test_a_backup_restored_gives_back_exactly_what_was_saved(
    onboarding: Any, staff: Any, tmp_path: Path
) -> None:
    customer = customer_create(clean_customer(), Actor("test"))
    case = Case.objects.get(customer=customer)
    saved, saved_timeline = counts(), timeline()
    out = tmp_path / "opsdesk.backup"
    call_command("backup", str(out))
    assert out.stat().st_size > 0
    # After the backup: the case is withdrawn, another customer arrives.
    case_transition(case.pk, "withdrawn", Actor("test"))
    customer_create(clean_customer(given_name="Zeynep", family_name="Arslan"), Actor("test"))
    assert counts() != saved
    call_command("restore", str(out), "--yes")
    assert counts() == saved
    assert timeline() == saved_timeline
    restored = Case.objects.get(pk=case.pk)
    assert (restored.number, restored.state) == (case.number, case.state)
    assert not Customer.objects.filter(given_name="Zeynep").exists()


def test_refusals_change_nothing(onboarding: Any, staff: Any, tmp_path: Path) -> None:
    customer_create(clean_customer(), Actor("test"))
    saved = counts()
    existing = tmp_path / "old.backup"
    existing.write_bytes(b"an earlier backup")
    with pytest.raises(CommandError, match="exists; give --force"):
        call_command("backup", str(existing))
    assert existing.read_bytes() == b"an earlier backup"
    with pytest.raises(CommandError, match="add --yes"):
        call_command("restore", str(existing))
    with pytest.raises(CommandError, match="no such backup file"):
        call_command("restore", str(tmp_path / "missing.backup"), "--yes")
    with pytest.raises(CommandError):  # not a backup at all
        call_command("restore", str(existing), "--yes")
    assert counts() == saved
