"""The visa desk for application tests: the shipped playbook, a partner
platform with its fake status endpoint, and API helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.actors import Actor
from opsdesk.partners.services import partner_create
from tests.applications.helpers import visa_desk
from tests.fakes.partner_webhook import FakePartnerWebhook

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "visa-appointment.yaml"


@pytest.fixture
def partner_site() -> Iterator[FakePartnerWebhook]:
    with FakePartnerWebhook() as site:
        yield site


@pytest.fixture
def desk(staff: Any, frozen_clock: Any, partner_site: FakePartnerWebhook) -> dict[str, Any]:
    playbook_install(PLAYBOOK.read_text(encoding="utf-8"))
    visa_desk(staff)
    partner, token = partner_create(
        "tourport", "TourPort", webhook_url=partner_site.url, actor=Actor("user:admin")
    )
    partner_site.secret = partner.webhook_secret
    return {"partner": partner, "partner_token": token, "staff": staff}
