"""Quotes, deposits, payment links, webhooks, manual payments and refunds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from opsdesk.billing.models import Payment, PaymentLink, Quote, QuoteLine
from opsdesk.billing.providers import BadSignature
from opsdesk.billing.selectors import quote_balance
from opsdesk.billing.services import (
    QuoteLineInput,
    payment_link_create,
    payment_record,
    payment_webhook,
    quote_create,
    quote_send,
)
from opsdesk.cases import services as case_services
from opsdesk.cases.context import load_case_contexts
from opsdesk.cases.models import Case
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.customers.models import Customer
from tests.billing.conftest import AGENT, signed, tour_quote, webhook_body

pytestmark = pytest.mark.django_db

D = Decimal


def counts() -> tuple[int, ...]:
    return (
        Quote.objects.count(),
        QuoteLine.objects.count(),
        Payment.objects.count(),
        PaymentLink.objects.count(),
    )


def test_totals_round_each_line_half_up_to_the_cent(customer: Customer) -> None:
    quote = quote_create(
        customer,
        [
            QuoteLineInput("Airport transfer", D("1.5"), D("10.01"), D("0.20")),  # 15.015, 3.003
            QuoteLineInput("Museum pass", D("2"), D("0.25"), D("0.18")),  # 0.50, 0.09
            QuoteLineInput("Map", D("1"), D("0.05"), D("0.10")),  # 0.05, 0.005
        ],
        currency="EUR",
        deposit_percent=50,
        actor=AGENT,
    )
    assert quote.number == "QUO-2026-000001"
    assert quote.status == "DRAFT"
    assert (quote.subtotal, quote.tax, quote.total) == (D("15.57"), D("3.10"), D("18.67"))
    assert [(ln.net, ln.tax, ln.amount) for ln in quote.lines.order_by("position")] == [
        (D("15.02"), D("3.00"), D("18.02")),
        (D("0.50"), D("0.09"), D("0.59")),
        (D("0.05"), D("0.01"), D("0.06")),
    ]
    assert quote_balance(quote)["deposit_due"] == D("9.34")  # 9.335 half up


def test_bad_quote_is_refused_with_every_field_and_nothing_is_stored(
    customer: Customer, staff: Any
) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        quote_create(
            customer,
            [
                QuoteLineInput("", D("0"), D("-1"), D("1.5")),
                QuoteLineInput("Ok", D("1"), D("9.999"), D("0")),
            ],
            currency="eur",
            deposit_percent=120,
            actor=AGENT,
        )
    assert exc.value.errors == {
        "lines": [
            "line 1: description must be 1-200 characters",
            "line 1: quantity must be positive, at most 3 decimals",
            "line 1: unit price must not be negative, at most 2 decimals",
            "line 1: tax rate must be a fraction from 0 to 1, e.g. 0.20",
            "line 2: unit price must not be negative, at most 2 decimals",
        ],
        "currency": ["an ISO 4217 code such as EUR"],
        "deposit_percent": ["a whole number from 0 to 100 (100: full payment up front)"],
    }
    assert counts() == before


def test_deposit_then_balance_through_links_and_webhooks(customer: Customer, case: Case) -> None:
    quote = tour_quote(customer, case, deposit_percent=50)
    assert quote.status == "SENT"

    deposit_link = payment_link_create(quote.pk, actor=AGENT)
    assert (deposit_link.amount, deposit_link.currency, deposit_link.provider) == (
        D("600.00"),
        "EUR",
        "test",
    )
    assert deposit_link.url == f"/pay/test/{deposit_link.provider_ref}/"

    body = webhook_body(deposit_link, "tpay_1")
    payment = payment_webhook("test", signed(body), body)
    assert (payment.kind, payment.amount, payment.status) == ("PAYMENT", D("600.00"), "SUCCEEDED")
    quote.refresh_from_db()
    assert quote.status == "ACCEPTED"
    assert quote_balance(quote) == {
        "total": D("1200.00"),
        "paid": D("600.00"),
        "refunded": D("0.00"),
        "net_paid": D("600.00"),
        "due_now": D("600.00"),
        "balance": D("600.00"),
        "deposit_due": D("600.00"),
        "fully_paid": False,
        "deposit_paid": True,
    }

    balance_link = payment_link_create(quote.pk, actor=AGENT)
    assert balance_link.amount == D("600.00")
    body = webhook_body(balance_link, "tpay_2")
    payment_webhook("test", signed(body), body)
    balance = quote_balance(quote)
    assert (balance["net_paid"], balance["balance"], balance["fully_paid"]) == (
        D("1200.00"),
        D("0.00"),
        True,
    )
    with pytest.raises(Conflict):
        payment_link_create(quote.pk, actor=AGENT)
    assert PaymentLink.objects.count() == 3  # with the one quote_send made


def test_full_payment_up_front_asks_for_the_total(customer: Customer) -> None:
    quote = tour_quote(customer, None, deposit_percent=100)
    assert payment_link_create(quote.pk, actor=AGENT).amount == D("1200.00")


def test_a_draft_cannot_be_paid_and_is_sent_once(customer: Customer) -> None:
    quote = quote_create(
        customer,
        [QuoteLineInput("Tour", D("1"), D("100.00"))],
        currency="EUR",
        deposit_percent=100,
        actor=AGENT,
    )
    with pytest.raises(Conflict):
        payment_link_create(quote.pk, actor=AGENT)
    quote_send(quote.pk, AGENT)
    with pytest.raises(Conflict):
        quote_send(quote.pk, AGENT)
    assert PaymentLink.objects.count() == 1  # made once, by the first send


def test_a_replayed_webhook_changes_nothing(
    customer: Customer, case: Case, monkeypatch: Any
) -> None:
    quote = tour_quote(customer, case)
    link = payment_link_create(quote.pk, actor=AGENT)
    body = webhook_body(link, "tpay_1")
    first = payment_webhook("test", signed(body), body)
    timeline = case.timeline.count()
    calls: list[Any] = []
    monkeypatch.setattr(case_services, "dispatch", lambda *a: calls.append(a))
    again = payment_webhook("test", signed(body), body)
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    assert quote_balance(quote)["net_paid"] == D("600.00")
    assert calls == []  # the case is not told twice
    assert case.timeline.count() == timeline


def test_pending_then_succeeded_settles_the_same_payment(customer: Customer) -> None:
    quote = tour_quote(customer, None)
    link = payment_link_create(quote.pk, actor=AGENT)
    body = webhook_body(link, "tpay_1", status="PENDING")
    pending = payment_webhook("test", signed(body), body)
    assert (pending.status, pending.settled_at) == ("PENDING", None)
    assert quote_balance(quote)["net_paid"] == D("0.00")
    body = webhook_body(link, "tpay_1")
    settled = payment_webhook("test", signed(body), body)
    assert settled.pk == pending.pk
    assert settled.status == "SUCCEEDED"
    assert quote_balance(quote)["net_paid"] == D("600.00")


def test_bad_signature_is_refused_and_nothing_is_recorded(customer: Customer) -> None:
    quote = tour_quote(customer, None)
    link = payment_link_create(quote.pk, actor=AGENT)
    body = webhook_body(link, "tpay_1")
    before = counts()
    for headers in (
        signed(body, secret="wrong"),
        {},
        {"X-Test-Signature": "t=abc,v1=00"},
        signed(webhook_body(link, "tpay_1", amount="1200.00")),  # signed another body
    ):
        with pytest.raises(BadSignature):
            payment_webhook("test", headers, body)
    assert counts() == before


def test_partial_payments_then_a_refund(customer: Customer, case: Case) -> None:
    quote = tour_quote(customer, case)
    payment_record(quote.pk, amount=D("250.00"), kind="PAYMENT", actor=AGENT, reference="BANK-1")
    balance = quote_balance(quote)
    assert (balance["net_paid"], balance["due_now"], balance["deposit_paid"]) == (
        D("250.00"),
        D("350.00"),  # the rest of the deposit
        False,
    )
    assert payment_link_create(quote.pk, actor=AGENT).amount == D("350.00")
    payment_record(quote.pk, amount=D("400.00"), kind="PAYMENT", actor=AGENT, reference="BANK-2")
    payment_record(quote.pk, amount=D("50.00"), kind="REFUND", actor=AGENT, reference="BANK-3")
    assert quote_balance(quote) == {
        "total": D("1200.00"),
        "paid": D("650.00"),
        "refunded": D("50.00"),
        "net_paid": D("600.00"),
        "due_now": D("600.00"),
        "balance": D("600.00"),
        "deposit_due": D("600.00"),
        "fully_paid": False,
        "deposit_paid": True,
    }


def test_refund_over_what_was_paid_is_refused_and_nothing_changes(customer: Customer) -> None:
    quote = tour_quote(customer, None)
    payment_record(quote.pk, amount=D("100.00"), kind="PAYMENT", actor=AGENT, reference="B-1")
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        payment_record(quote.pk, amount=D("100.01"), kind="REFUND", actor=AGENT, reference="R-1")
    assert exc.value.errors == {"amount": ["a refund cannot exceed what was paid (100.00)"]}
    with pytest.raises(ValidationFailed) as exc:
        payment_record(quote.pk, amount=D("1100.01"), kind="PAYMENT", actor=AGENT, reference="B2")
    assert exc.value.errors == {"amount": ["more than the balance (1100.00)"]}
    with pytest.raises(Conflict):
        payment_record(quote.pk, amount=D("1.00"), kind="PAYMENT", actor=AGENT, reference="B-1")
    assert counts() == before
    assert quote_balance(quote)["net_paid"] == D("100.00")


def test_billing_context_is_the_latest_open_quote(customer: Customer, case: Case) -> None:
    assert "billing" not in load_case_contexts([case.pk])[case.pk]
    quote = tour_quote(customer, case)
    payment_record(quote.pk, amount=D("600.00"), kind="PAYMENT", actor=AGENT, reference="B-1")
    assert load_case_contexts([case.pk])[case.pk]["billing"] == {
        "quote": quote.number,
        "quote_id": quote.pk,
        "status": "ACCEPTED",
        "currency": "EUR",
        "deposit_percent": 50,
        "total": "1200.00",
        "paid": "600.00",
        "refunded": "0.00",
        "net_paid": "600.00",
        "due_now": "600.00",
        "balance": "600.00",
        "deposit_due": "600.00",
        "fully_paid": False,
        "deposit_paid": True,
        "payment_url": PaymentLink.objects.get(quote=quote).url,  # quote_send's, not paid through
    }
    Quote.objects.filter(pk=quote.pk).update(status="CANCELLED")
    assert "billing" not in load_case_contexts([case.pk])[case.pk]


def test_payment_received_reaches_the_case(
    customer: Customer, case: Case, monkeypatch: Any
) -> None:
    told: list[tuple[str, str, dict[str, Any]]] = []
    original = case_services.dispatch

    def spy(case_id: str, event: Any, actor: Any) -> Any:
        result = original(case_id, event, actor)  # the engine decides; nothing refused
        told.append((case_id, event.type, event.data))
        return result

    quote = tour_quote(customer, case)  # quote.sent: tested in test_events.py
    monkeypatch.setattr(case_services, "dispatch", spy)
    link = payment_link_create(quote.pk, actor=AGENT)
    body = webhook_body(link, "tpay_1")
    payment_webhook("test", signed(body), body)
    assert told == [
        (
            case.pk,
            "payment.received",
            {
                "quote": quote.number,
                "amount": "600.00",
                "currency": "EUR",
                "net_paid": "600.00",
                "total": "1200.00",
                "deposit_paid": True,
                "fully_paid": False,
            },
        )
    ]
    payment_record(quote.pk, amount=D("10.00"), kind="REFUND", actor=AGENT, reference="R-1")
    # A refund is not a payment received: the case hears payment.refunded instead.
    assert [t[1] for t in told] == ["payment.received", "payment.refunded"]
