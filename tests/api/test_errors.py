"""`errors.refuse_nul`: text with a NUL character is a 422 that names the field, on both
databases, and nothing is written (PostgreSQL text cannot hold NUL: these were 500s found
by tests/api/test_schemathesis.py)."""

from __future__ import annotations

from django.test import Client

from opsdesk.billing.models import Payment
from tests.security.world import World

NUL = {"detail": "invalid input"}


def test_a_payment_reference_with_nul_is_a_422_and_records_nothing(
    client: Client, admin_auth: dict[str, str], api_world: World
) -> None:
    payments = Payment.objects.count()
    response = client.post(
        f"/api/v1/quotes/{api_world.ids['quote_id']}/payments",
        {"kind": "PAYMENT", "amount": "10.00", "reference": "bank\x00-1"},
        content_type="application/json",
        headers=admin_auth,
    )
    assert response.status_code == 422
    assert response.json() == {
        **NUL,
        "errors": {"reference": ["must not contain the NUL character"]},
    }
    assert Payment.objects.count() == payments


def test_a_priority_clients_tier_with_nul_is_a_422(
    client: Client, admin_auth: dict[str, str], api_world: World
) -> None:
    response = client.get("/api/v1/priority-clients", {"tier": "\x00"}, headers=admin_auth)
    assert response.status_code == 422
    assert response.json() == {**NUL, "errors": {"tier": ["must not contain the NUL character"]}}


def test_a_ticket_search_with_nul_is_a_422(
    client: Client, admin_auth: dict[str, str], api_world: World
) -> None:
    response = client.get("/api/v1/contacts/tickets", {"q": "Meh\x00met"}, headers=admin_auth)
    assert response.status_code == 422
    assert response.json() == {**NUL, "errors": {"q": ["must not contain the NUL character"]}}
