"""A partner platform, a case to push statuses of, and the partner's fake endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.partners.models import PartnerPlatform
from opsdesk.partners.services import partner_create
from tests.case_rows import case_row
from tests.fakes.partner_webhook import FakePartnerWebhook

ADMIN = Actor("user:admin")


@pytest.fixture
def case(onboarding: Any, frozen_clock: Any) -> Case:
    return case_row(onboarding, "VISA-2026-000042")


@pytest.fixture
def partner(db: Any, frozen_clock: Any) -> PartnerPlatform:
    partner, _ = partner_create("travelco", "TravelCo", actor=ADMIN)
    return partner


@pytest.fixture
def endpoint(partner: PartnerPlatform) -> Iterator[FakePartnerWebhook]:
    with FakePartnerWebhook(partner.webhook_secret) as server:
        partner.webhook_url = server.url
        partner.save(update_fields=["webhook_url"])
        yield server
