"""A customer with an onboarding case, quotes for them, and the test provider's webhooks."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from opsdesk.billing.models import PaymentLink, Quote
from opsdesk.billing.providers import sign_test_webhook
from opsdesk.billing.services import QuoteLineInput, quote_create, quote_send
from opsdesk.cases.models import Case
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.customers.models import Customer
from opsdesk.customers.services import CustomerInput, customer_create

SECRET = "billing-test-secret"
AGENT = Actor("user:ayse")


@pytest.fixture(autouse=True)
def _secret(settings: Any, tmp_path: Any) -> None:
    settings.OPSDESK_TEST_PAYMENT_SECRET = SECRET
    settings.OPSDESK_PAYMENT_PROVIDER = "test"
    settings.MEDIA_ROOT = str(tmp_path / "media")  # retainer invoices store their PDFs


@pytest.fixture
def customer(onboarding: Any, staff: Any, frozen_clock: Any) -> Customer:
    return customer_create(
        CustomerInput(
            given_name="Mehmet",
            family_name="Kaya",
            phone="+90 532 123 45 67",
            whatsapp=True,
            email="mehmet@example.com",
            nationality="TR",
            language="en",
            source="APP_WEB",
            fields={"service_type": "immigration"},
        ),
        Actor.of_user(staff.integration.user, "api"),
    )


@pytest.fixture
def case(customer: Customer) -> Case:
    return Case.objects.get(customer=customer)


def tour_quote(customer: Customer, case: Case | None, deposit_percent: int = 50) -> Quote:
    """2 × 500.00 at 20% tax: 1200.00 EUR; sent."""
    quote = quote_create(
        customer,
        [QuoteLineInput("Guided tour, 2 days", Decimal("2"), Decimal("500.00"), Decimal("0.20"))],
        currency="EUR",
        deposit_percent=deposit_percent,
        actor=AGENT,
        case=case,
    )
    return quote_send(quote.pk, AGENT)


def webhook_body(link: PaymentLink, ref: str, **changes: Any) -> bytes:
    event = {
        "ref": ref,
        "link": link.provider_ref,
        "kind": "PAYMENT",
        "amount": f"{link.amount:.2f}",
        "currency": link.currency,
        "status": "SUCCEEDED",
    }
    event.update(changes)
    return json.dumps(event).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Test-Signature": sign_test_webhook(secret, int(clock.now().timestamp()), body)}


def post_webhook(body: bytes, headers: dict[str, str], provider: str = "test") -> Any:
    extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return Client().post(
        f"/api/v1/payments/webhooks/{provider}", body, content_type="application/json", **extra
    )
