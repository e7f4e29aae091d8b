"""The billing API's additions: quote defaults from the case's playbook, the quote PDF,
payment links on a quote, and retainers with their invoices."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from opsdesk.billing.models import Quote, Retainer
from opsdesk.billing.services import retainers_bill_due
from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.customers.models import Customer
from tests.billing.pdftext import pdf_title
from tests.billing.test_api import auth, post

pytestmark = pytest.mark.django_db

LINE = {"description": "Filing", "quantity": "1", "unit_price": "300.00"}


def test_a_case_quote_takes_the_playbooks_defaults(
    customer: Customer, case: Case, staff: Any
) -> None:
    ayse = auth(staff.ayse)
    r = post(
        "/api/v1/quotes", ayse, {"customer_id": customer.pk, "case_id": case.pk, "lines": [LINE]}
    )
    assert r.status_code == 201, r.content
    quote = r.json()
    # The onboarding playbook has no `billing:`: EUR, full payment, no tax.
    assert (quote["currency"], quote["deposit_percent"], quote["total"]) == ("EUR", 100, "300.00")
    assert quote["payment_links"] == []
    sent = post(f"/api/v1/quotes/{quote['id']}/send", ayse).json()
    assert [(k["amount"], k["currency"]) for k in sent["payment_links"]] == [("300.00", "EUR")]


def test_without_a_case_the_currency_is_required(customer: Customer, staff: Any) -> None:
    r = post("/api/v1/quotes", auth(staff.ayse), {"customer_id": customer.pk, "lines": [LINE]})
    assert r.status_code == 422
    assert r.json()["errors"] == {"currency": ["required for a quote without a case"]}
    assert Quote.objects.count() == 0


def test_the_quote_pdf(customer: Customer, staff: Any) -> None:
    body = {"customer_id": customer.pk, "currency": "EUR", "lines": [LINE]}
    qid = post("/api/v1/quotes", auth(staff.ayse), body).json()["id"]
    r = Client().get(f"/api/v1/quotes/{qid}/pdf", **auth(staff.john))
    assert (r.status_code, r["Content-Type"]) == (200, "application/pdf")
    assert pdf_title(r.content) == f"Quote {Quote.objects.get().number}"
    assert Client().get(f"/api/v1/quotes/{qid}/pdf", **auth(staff.outsider)).status_code == 404


RETAINER = {
    "description": "Monthly concierge",
    "amount": "200.00",
    "currency": "EUR",
    "tax_rate": "0.20",
    "period": "MONTHLY",
    "starts_on": "2027-01-31",
}


def test_retainers_create_list_and_show_their_invoices(customer: Customer, staff: Any) -> None:
    Customer.objects.filter(pk=customer.pk).update(priority_tier="corporate")
    ayse = auth(staff.ayse)
    r = post("/api/v1/retainers", ayse, {**RETAINER, "customer_id": customer.pk})
    assert r.status_code == 201, r.content
    retainer = r.json()
    assert (retainer["discount_percent"], retainer["next_bill_on"], retainer["created_by"]) == (
        15,
        "2027-01-31",
        "api:ayse",
    )
    retainers_bill_due(dt.date(2027, 2, 28), Actor("worker"))

    listed = Client().get("/api/v1/retainers", **ayse).json()
    assert [x["id"] for x in listed] == [retainer["id"]]
    assert Client().get("/api/v1/retainers", **auth(staff.outsider)).json() == []

    r = Client().get(f"/api/v1/retainers/{retainer['id']}", **ayse)
    assert r.status_code == 200
    shown = r.json()
    assert shown["next_bill_on"] == "2027-03-31"
    # 200.00 less 15% is 170.00; 20% tax 34.00.
    assert [(i["period_start"], i["tax"], i["total"]) for i in shown["invoices"]] == [
        ("2027-01-31", "34.00", "204.00"),
        ("2027-02-28", "34.00", "204.00"),
    ]
    assert shown["invoices"][0]["lines"][0]["unit_price"] == "170.00"
    r = Client().get(f"/api/v1/retainers/{retainer['id']}", **auth(staff.outsider))
    assert r.status_code == 404


def test_retainer_refusals_change_nothing(customer: Customer, staff: Any) -> None:
    r = post(
        "/api/v1/retainers",
        auth(staff.ayse),
        {**RETAINER, "customer_id": customer.pk, "amount": "0", "discount_percent": 120},
    )
    assert r.status_code == 422
    assert r.json()["errors"] == {
        "amount": ["a positive amount, at most 2 decimals"],
        "discount_percent": ["a whole number from 0 to 100"],
    }
    integration = {"HTTP_AUTHORIZATION": f"Bearer {staff.token}"}
    body = {**RETAINER, "customer_id": customer.pk}
    assert post("/api/v1/retainers", integration, body).status_code == 403
    assert post("/api/v1/retainers", auth(staff.outsider), body).status_code == 404
    assert Retainer.objects.count() == 0
