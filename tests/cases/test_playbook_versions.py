"""Installing playbooks: versions are immutable and a case keeps the one it started under."""

from __future__ import annotations

from typing import Any

import pytest

from opsdesk.cases.models import Case, PlaybookVersion
from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.playbook.loader import PlaybookError
from tests.conftest import PLAYBOOKS

pytestmark = pytest.mark.django_db
SOURCE = (PLAYBOOKS / "customer-onboarding.yaml").read_text()


def onboard() -> Case:
    customer = customer_create(
        CustomerInput(
            given_name="Mehmet",
            family_name="Kaya",
            phone="+905321234567",
            whatsapp=True,
            email="m@example.com",
            nationality="TR",
            language="tr",
            fields={"service_type": "immigration"},
        ),
        Actor("test"),
    )
    return Case.objects.get(customer=customer)


def test_installing_the_same_text_twice_changes_nothing(onboarding: Any) -> None:
    version, created = playbook_install(SOURCE)
    assert (version.pk, created) == (onboarding.pk, False)
    assert PlaybookVersion.objects.count() == 1


def test_a_changed_text_needs_a_new_version_number(onboarding: Any) -> None:
    changed = SOURCE.replace("title: New customer onboarding", "title: Onboarding (edited)")
    with pytest.raises(Conflict, match="raise `version` to install a change"):
        playbook_install(changed)
    assert PlaybookVersion.objects.get().title == "New customer onboarding"


def test_a_broken_playbook_is_not_installed(onboarding: Any) -> None:
    broken = SOURCE.replace("version: 1", "version: 2").replace("send: welcome", "send: welcom")
    with pytest.raises(PlaybookError, match="no template 'welcom'"):
        playbook_install(broken)
    assert PlaybookVersion.objects.count() == 1


def test_running_cases_keep_their_version(onboarding: Any, staff: Any) -> None:
    old_case = onboard()
    v2_source = SOURCE.replace("version: 1", "version: 2").replace(
        "business_days: 2}", "business_days: 5}"
    )
    v2, created = playbook_install(v2_source)
    assert created
    onboarding.refresh_from_db()
    assert (onboarding.active, v2.active) == (False, True)
    new_case = onboard()
    assert old_case.playbook_id == onboarding.pk
    assert new_case.playbook_id == v2.pk
    old_task = old_case.tasks.get(key="intake")
    new_task = new_case.tasks.get(key="intake")
    assert new_task.due_at > old_task.due_at
