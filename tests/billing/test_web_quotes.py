"""The workspace's Quotes panel through Django's test client: create, refusals that
change nothing, send, payments and refunds; the quote and invoice PDFs by team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from opsdesk.billing.models import Invoice, Payment, PaymentLink, Quote, QuoteLine
from opsdesk.billing.services import Line, invoice_issue
from opsdesk.cases.models import Case
from opsdesk.customers.models import Customer
from tests.billing.conftest import AGENT
from tests.billing.pdftext import pdf_title

pytestmark = pytest.mark.django_db

D = Decimal


def client_for(agent: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent.user)
    return client


def csrf(client: Client, customer: Customer) -> str:
    client.get(f"/customers/{customer.pk}/")
    return client.cookies["csrftoken"].value


def post(client: Client, url: str, data: dict[str, str], customer: Customer) -> Any:
    return client.post(url, {"csrfmiddlewaretoken": csrf(client, customer), **data})


def counts() -> tuple[int, ...]:
    return (
        Quote.objects.count(),
        QuoteLine.objects.count(),
        Payment.objects.count(),
        PaymentLink.objects.count(),
    )


LINES = {
    "description_1": "Residence permit filing",
    "quantity_1": "1",
    "unit_price_1": "400.00",
    "tax_rate_1": "0.20",
    "description_2": "Translation, per page",
    "quantity_2": "3",
    "unit_price_2": "25.50",
    "tax_rate_2": "0",
    # row 3 left empty: ignored
}


def create(client: Client, customer: Customer, case: Case, **changes: str) -> Any:
    data = {"case_id": case.pk, "currency": "EUR", "deposit_percent": "50", **LINES, **changes}
    return post(client, f"/customers/{customer.pk}/quotes/", data, customer)


def test_the_panel_creates_sends_and_takes_payments(
    customer: Customer, case: Case, staff: Any
) -> None:
    client = client_for(staff.ayse)
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="sec-quotes"' in html
    assert 'name="description_3"' in html  # three line rows
    assert 'name="currency" maxlength="3" size="4" value="EUR"' in html  # the playbook's

    response = create(client, customer, case)
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/#sec-quotes"
    quote = Quote.objects.get()
    assert (quote.case_id, quote.currency, quote.deposit_percent) == (case.pk, "EUR", 50)
    assert (quote.subtotal, quote.tax, quote.total) == (D("476.50"), D("80.00"), D("556.50"))
    assert quote.lines.count() == 2

    response = post(client, f"/customers/{customer.pk}/quotes/{quote.pk}/send/", {}, customer)
    assert response.status_code == 302
    quote.refresh_from_db()
    link = PaymentLink.objects.get()
    assert (quote.status, link.amount) == ("SENT", D("278.25"))  # 50% of 556.50, half up

    response = post(
        client,
        f"/customers/{customer.pk}/quotes/{quote.pk}/payments/",
        {"kind": "PAYMENT", "amount": "300.00", "method": "bank_transfer", "reference": "TR-77"},
        customer,
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.provider_ref, payment.kind) == (
        D("300.00"),
        "bank_transfer",
        "TR-77",
        "PAYMENT",
    )

    response = post(client, f"/customers/{customer.pk}/quotes/{quote.pk}/links/", {}, customer)
    assert response.status_code == 302
    assert PaymentLink.objects.order_by("-created_at", "-id").first().amount == D("256.50")

    html = client.get(f"/customers/{customer.pk}/").content.decode()
    assert quote.number in html
    assert "<dt>Balance</dt><dd>256.50</dd>" in html
    assert "<dt>Due now</dt><dd><strong>256.50 EUR</strong></dd>" in html
    assert link.url in html
    assert "Record refund" in html


def test_a_bad_line_is_shown_and_no_quote_is_made(
    customer: Customer, case: Case, staff: Any
) -> None:
    client = client_for(staff.ayse)
    before = counts()
    response = create(client, customer, case, quantity_2="-1", deposit_percent="half")
    assert response.status_code == 422
    html = response.content.decode()
    assert "line 2: quantity must be positive, at most 3 decimals" in html
    assert counts() == before
    response = create(client, customer, case, deposit_percent="120")
    assert response.status_code == 422
    assert "a whole number from 0 to 100 (100: full payment up front)" in response.content.decode()
    assert 'value="Translation, per page"' in response.content.decode()  # refilled
    assert counts() == before


def test_a_refund_above_what_was_paid_is_refused(
    customer: Customer, case: Case, staff: Any
) -> None:
    client = client_for(staff.ayse)
    create(client, customer, case)
    quote = Quote.objects.get()
    post(client, f"/customers/{customer.pk}/quotes/{quote.pk}/send/", {}, customer)
    url = f"/customers/{customer.pk}/quotes/{quote.pk}/payments/"
    post(client, url, {"kind": "PAYMENT", "amount": "100.00", "reference": "B-1"}, customer)
    before = counts()
    response = post(
        client, url, {"kind": "REFUND", "amount": "100.01", "reference": "R-1"}, customer
    )
    assert response.status_code == 422
    assert "a refund cannot exceed what was paid (100.00)" in response.content.decode()
    assert counts() == before
    response = post(
        client, url, {"kind": "REFUND", "amount": "40.00", "reference": "R-1"}, customer
    )
    assert response.status_code == 302
    assert Payment.objects.filter(kind="REFUND").get().amount == D("40.00")


def test_posts_need_the_csrf_token(customer: Customer, case: Case, staff: Any) -> None:
    client = client_for(staff.ayse)
    response = client.post(f"/customers/{customer.pk}/quotes/", {"case_id": case.pk, **LINES})
    assert response.status_code == 403
    assert Quote.objects.count() == 0


def test_another_teams_agent_gets_404_and_changes_nothing(
    customer: Customer, case: Case, staff: Any
) -> None:
    create(client_for(staff.ayse), customer, case)
    quote = Quote.objects.get()
    client = client_for(staff.outsider)
    client.get("/")  # a CSRF cookie
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    before = counts()
    response = client.post(
        f"/customers/{customer.pk}/quotes/{quote.pk}/send/", {"csrfmiddlewaretoken": token}
    )
    assert response.status_code in (403, 404)  # no CSRF cookie for them, or no customer
    assert Client().get(f"/quotes/{quote.pk}/pdf").status_code == 302  # signed out: sign in
    outsider = Client()
    outsider.force_login(staff.outsider.user)
    response = outsider.post(f"/customers/{customer.pk}/quotes/{quote.pk}/send/")
    assert response.status_code == 404
    assert outsider.get(f"/quotes/{quote.pk}/pdf").status_code == 404
    assert counts() == before
    quote.refresh_from_db()
    assert quote.status == "DRAFT"


def test_quote_and_invoice_pdfs_for_the_owner_team_only(
    customer: Customer, case: Case, staff: Any
) -> None:
    create(client_for(staff.ayse), customer, case)
    quote = Quote.objects.get()
    invoice = invoice_issue(
        customer,
        [Line("Concierge, May", 1, D("90.00"), tax_rate=D("0.20"))],
        currency="EUR",
        actor=AGENT,
        now=dt.datetime(2026, 10, 28, 10, tzinfo=dt.UTC),
    )
    owner, teammate = Client(), Client()
    owner.force_login(staff.ayse.user)
    teammate.force_login(staff.john.user)
    response = owner.get(f"/quotes/{quote.pk}/pdf")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response.content.startswith(b"%PDF")
    assert pdf_title(response.content) == f"Quote {quote.number}"
    response = teammate.get(f"/invoices/{invoice.pk}/pdf")
    assert response.status_code == 200
    assert pdf_title(response.content) == f"Invoice {invoice.number}"
    outsider = Client()
    outsider.force_login(staff.outsider.user)
    assert outsider.get(f"/quotes/{quote.pk}/pdf").status_code == 404
    assert outsider.get(f"/invoices/{invoice.pk}/pdf").status_code == 404
    assert Invoice.objects.count() == 1
