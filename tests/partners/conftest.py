"""A partner platform, a case to push statuses of, and the partner's fake endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from opsdesk.cases.models import Case
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.customers.models import Customer
from opsdesk.partners.models import PartnerPlatform
from opsdesk.partners.services import partner_create
from tests.fakes.partner_webhook import FakePartnerWebhook

ADMIN = Actor("user:admin")


@pytest.fixture
def case(onboarding: Any, frozen_clock: Any) -> Case:
    now = clock.now()
    customer = Customer.objects.create(
        given_name="Elif",
        family_name="Kaya",
        phone="+905321234567",
        whatsapp=True,
        language="tr",
        created_at=now,
        updated_at=now,
    )
    return Case.objects.create(
        number="VISA-2026-000042",
        customer=customer,
        playbook=onboarding,
        state="documents",
        opened_at=now,
        updated_at=now,
    )


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
