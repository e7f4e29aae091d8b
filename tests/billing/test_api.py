"""The billing API: staff create and send quotes, take payments; the provider's webhook
is verified by its signature; refusals change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from opsdesk.access.tokens import token_create
from opsdesk.billing.models import Payment, PaymentLink, Quote
from opsdesk.cases.models import Case
from opsdesk.customers.models import Customer
from tests.billing.conftest import post_webhook, signed

pytestmark = pytest.mark.django_db

QUOTE = {
    "currency": "EUR",
    "deposit_percent": 50,
    "lines": [
        {
            "description": "Hotel, 3 nights",
            "quantity": "3",
            "unit_price": "120.00",
            "tax_rate": "0.10",
        },
        {
            "description": "Concierge fee",
            "quantity": "1",
            "unit_price": "50.00",
            "tax_rate": "0.20",
        },
    ],
}


def auth(agent: Any) -> dict[str, str]:
    _, secret = token_create(agent.user, "desk")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(url: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> Any:
    return Client().post(url, body or {}, content_type="application/json", **headers)


def counts() -> tuple[int, ...]:
    return (Quote.objects.count(), Payment.objects.count(), PaymentLink.objects.count())


def test_quote_to_deposit_by_webhook(customer: Customer, case: Case, staff: Any) -> None:
    ayse = auth(staff.ayse)
    r = post("/api/v1/quotes", ayse, {**QUOTE, "customer_id": customer.pk, "case_id": case.pk})
    assert r.status_code == 201, r.content
    quote = r.json()
    assert (quote["subtotal"], quote["tax"], quote["total"], quote["status"]) == (
        "410.00",
        "46.00",
        "456.00",
        "DRAFT",
    )
    assert [ln["amount"] for ln in quote["lines"]] == ["396.00", "60.00"]
    qid = quote["id"]
    assert post(f"/api/v1/quotes/{qid}/send", ayse).json()["status"] == "SENT"

    r = post(f"/api/v1/quotes/{qid}/payment-links", ayse)
    assert r.status_code == 201, r.content
    link = r.json()
    assert (link["amount"], link["url"]) == ("228.00", f"/pay/test/{link['provider_ref']}/")

    event = {"ref": "tpay_9", "link": link["provider_ref"], "kind": "PAYMENT"}
    event.update(amount="228.00", currency="EUR", status="SUCCEEDED")
    body = json.dumps(event).encode()
    before = counts()
    bad = post_webhook(body, signed(body, secret="forged"))
    assert bad.status_code == 400
    assert bad.json()["detail"] == "bad signature"
    assert counts() == before

    r = post_webhook(body, signed(body))
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["amount"]) == ("SUCCEEDED", "228.00")
    assert post_webhook(body, signed(body)).status_code == 200  # a replay
    assert Payment.objects.count() == 1

    r = Client().get(f"/api/v1/quotes/{qid}", **ayse)
    assert r.status_code == 200
    assert r.json()["status"] == "ACCEPTED"
    assert r.json()["balance"] == {
        "total": "456.00",
        "paid": "228.00",
        "refunded": "0.00",
        "net_paid": "228.00",
        "due_now": "228.00",
        "balance": "228.00",
        "deposit_due": "228.00",
        "fully_paid": False,
        "deposit_paid": True,
    }


def test_manual_payment_and_refund(customer: Customer, staff: Any) -> None:
    ayse = auth(staff.ayse)
    qid = post("/api/v1/quotes", ayse, {**QUOTE, "customer_id": customer.pk}).json()["id"]
    post(f"/api/v1/quotes/{qid}/send", ayse)
    r = post(
        f"/api/v1/quotes/{qid}/payments",
        ayse,
        {"kind": "PAYMENT", "amount": "100.00", "reference": "BANK-1"},
    )
    assert r.status_code == 201, r.content
    assert (r.json()["provider"], r.json()["recorded_by"]) == ("manual", "api:ayse")
    before = counts()
    r = post(
        f"/api/v1/quotes/{qid}/payments",
        ayse,
        {"kind": "REFUND", "amount": "150.00", "reference": "BANK-2"},
    )
    assert r.status_code == 422
    assert r.json()["errors"] == {"amount": ["a refund cannot exceed what was paid (100.00)"]}
    assert counts() == before


def test_integrations_and_anonymous_may_not_quote(customer: Customer, staff: Any) -> None:
    before = counts()
    body = {**QUOTE, "customer_id": customer.pk}
    integration = {"HTTP_AUTHORIZATION": f"Bearer {staff.token}"}
    assert post("/api/v1/quotes", integration, body).status_code == 403
    assert post("/api/v1/quotes", {}, body).status_code == 401
    assert counts() == before


def test_another_teams_agent_is_told_the_quote_does_not_exist(
    customer: Customer, case: Case, staff: Any
) -> None:
    ayse = auth(staff.ayse)
    r = post("/api/v1/quotes", ayse, {**QUOTE, "customer_id": customer.pk, "case_id": case.pk})
    qid = r.json()["id"]
    before = counts()
    olga = auth(staff.outsider)  # another team's agent: the customer is not hers to see
    # 404, as for a quote that does not exist: a 403 would tell her it does.
    assert Client().get(f"/api/v1/quotes/{qid}", **olga).status_code == 404
    assert post(f"/api/v1/quotes/{qid}/send", olga).status_code == 404
    assert post(f"/api/v1/quotes/{qid}/payment-links", olga).status_code == 404
    body = {"amount": "10.00", "kind": "PAYMENT", "reference": "TILL-1", "method": "cash"}
    assert post(f"/api/v1/quotes/{qid}/payments", olga, body).status_code == 404
    assert counts() == before
    assert Quote.objects.get(pk=qid).status == "DRAFT"
