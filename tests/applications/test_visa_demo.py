"""The visa desk's demo data: three applications at three stages."""

from __future__ import annotations

from typing import Any

import pytest

from opsdesk.applications.demo import seed_visa
from opsdesk.applications.models import Application
from opsdesk.cases.playbooks import playbook_install
from opsdesk.common import clock
from opsdesk.partners.models import StatusPush
from tests.applications.conftest import PLAYBOOK

pytestmark = pytest.mark.django_db


def test_the_demo_applications_stand_at_three_stages(frozen_clock: Any) -> None:
    playbook_install(PLAYBOOK.read_text(encoding="utf-8"))
    token = seed_visa("demo-password-1", clock.now())
    assert token.startswith("ods_")
    rows = Application.objects.select_related("case", "case__agent__team").order_by("partner_ref")
    assert [(a.partner_ref, a.case.state) for a in rows] == [
        ("TP-88001", "booking"),
        ("TP-88002", "introduction"),
        ("TP-88003", "reviewing"),
    ]
    # Assigned within the visa desk by workload (ties go by agent id, which is random).
    assert {a.case.agent.team.name for a in rows} == {"Visa desk"}
    assert {a.case.agent.name for a in rows} == {"Leyla Demir", "Tom Becker"}
    assert [(t.status, t.appointment_place != "") for t in rows[0].travellers.all()] == [
        ("APPOINTMENT_BOOKED", True),
        ("NEW", False),
    ]
    assert [i.key for i in rows[1].missing_items.all()] == ["bank_statement"]
    # The demo partner has no webhook: the push is kept, visibly not sent.
    assert list(StatusPush.objects.values_list("status", "state")) == [
        ("appointment_booked", "NO_WEBHOOK")
    ]
