"""What the case hears from billing (quote.sent with the payment link, payment.received,
payment.refunded), the timeline rows, and the playbook's quote defaults."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from opsdesk.billing.models import PaymentLink, Quote
from opsdesk.billing.selectors import quote_defaults
from opsdesk.billing.services import (
    QuoteLineInput,
    payment_record,
    payment_webhook,
    quote_create,
    quote_send,
)
from opsdesk.cases import services as case_services
from opsdesk.cases.context import load_case_contexts
from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer
from opsdesk.customers.services import CustomerInput, customer_create
from tests.billing.conftest import AGENT, signed, webhook_body

pytestmark = pytest.mark.django_db

D = Decimal
PLAYBOOK = Path(__file__).resolve().parent / "data" / "quoting-playbook.yaml"


def quoting_customer(service_type: str) -> Customer:
    return customer_create(
        CustomerInput(
            given_name="Zeynep",
            family_name="Demir",
            phone="+90 532 765 43 21",
            email="zeynep@example.com",
            nationality="TR",
            language="en",
            source="APP_WEB",
            fields={"service_type": service_type},
        ),
        Actor("api:sales"),
    )


@pytest.fixture
def complex_case(staff: Any, frozen_clock: Any) -> Case:
    playbook_install(PLAYBOOK.read_text())
    return Case.objects.get(customer=quoting_customer("complex"))


def two_days(case: Case) -> Quote:
    """2 × 500.00 with the playbook's defaults (TRY, 20% tax, 50% for complex): 1200.00."""
    return quote_create(
        case.customer,
        [QuoteLineInput("Relocation support, 2 days", D("2"), D("500.00"))],
        actor=AGENT,
        case=case,
    )


def timeline(case: Case, *types: str) -> list[tuple[str, dict[str, Any]]]:
    rows = case.timeline.filter(type__in=types).order_by("at", "id")
    return [(r.type, r.payload) for r in rows]


def test_the_playbook_gives_the_quote_defaults(staff: Any, frozen_clock: Any) -> None:
    playbook_install(PLAYBOOK.read_text())
    one_time = Case.objects.get(customer=quoting_customer("one_time"))
    complex_ = Case.objects.exclude(pk=one_time.pk).get(customer=quoting_customer("complex"))
    assert quote_defaults(one_time) == {
        "deposit_percent": 100,
        "currency": "TRY",
        "tax_rate": D("0.20"),
    }
    assert quote_defaults(complex_)["deposit_percent"] == 50
    full, deposit = two_days(one_time), two_days(complex_)
    assert (full.currency, full.deposit_percent, full.tax, full.total) == (
        "TRY",
        100,
        D("200.00"),
        D("1200.00"),
    )
    assert (deposit.deposit_percent, deposit.total) == (50, D("1200.00"))
    # What the agent gives wins over the playbook.
    given = quote_create(
        one_time.customer,
        [QuoteLineInput("Filing", D("1"), D("100.00"), D("0"))],
        currency="EUR",
        deposit_percent=30,
        actor=AGENT,
        case=one_time,
    )
    assert (given.currency, given.deposit_percent, given.total) == ("EUR", 30, D("100.00"))


def test_without_a_case_the_currency_is_required(complex_case: Case) -> None:
    with pytest.raises(ValidationFailed) as exc:
        quote_create(
            complex_case.customer, [QuoteLineInput("Filing", D("1"), D("1.00"))], actor=AGENT
        )
    assert exc.value.errors == {"currency": ["required for a quote without a case"]}
    assert Quote.objects.count() == 0


def test_quote_sent_moves_the_case_and_carries_the_payment_link(complex_case: Case) -> None:
    quote = quote_send(two_days(complex_case).pk, AGENT)
    link = PaymentLink.objects.get(quote=quote)
    assert (link.amount, link.currency, link.url) == (
        D("600.00"),
        "TRY",
        f"/pay/test/{link.provider_ref}/",
    )
    complex_case.refresh_from_db()
    assert complex_case.state == "awaiting_payment"
    message = Message.objects.get(case=complex_case, template="pay")
    assert message.body == f"Please pay 600.00 TRY at {link.url}"
    assert timeline(complex_case, "QUOTE_SENT") == [
        (
            "QUOTE_SENT",
            {
                "quote": quote.number,
                "total": "1200.00",
                "currency": "TRY",
                "due_now": "600.00",
                "payment_url": link.url,
            },
        )
    ]
    assert load_case_contexts([complex_case.pk])[complex_case.pk]["billing"]["payment_url"] == (
        link.url
    )


def test_payment_then_refund_reach_the_case(complex_case: Case, monkeypatch: Any) -> None:
    quote = quote_send(two_days(complex_case).pk, AGENT)
    link = PaymentLink.objects.get(quote=quote)
    told: list[tuple[str, dict[str, Any]]] = []
    original = case_services.dispatch

    def spy(case_id: str, event: Any, actor: Any) -> Any:
        told.append((event.type, event.data))
        return original(case_id, event, actor)

    monkeypatch.setattr(case_services, "dispatch", spy)
    body = webhook_body(link, "tpay_1")
    payment_webhook("test", signed(body), body)
    complex_case.refresh_from_db()
    assert complex_case.state == "scheduled"
    # The link was paid through: the case no longer offers it.
    billing = load_case_contexts([complex_case.pk])[complex_case.pk]["billing"]
    assert (billing["payment_url"], billing["due_now"]) == ("", "600.00")

    payment_record(quote.pk, amount=D("600.00"), kind="REFUND", actor=AGENT, reference="R-1")
    complex_case.refresh_from_db()
    assert complex_case.state == "refunded"
    assert told[1] == (
        "payment.refunded",
        {"quote": quote.number, "amount": "600.00", "currency": "TRY", "net_paid": "0.00"},
    )
    assert timeline(complex_case, "PAYMENT_RECEIVED", "PAYMENT_REFUNDED") == [
        ("PAYMENT_RECEIVED", {"quote": quote.number, "amount": "600.00", "currency": "TRY"}),
        ("PAYMENT_REFUNDED", {"quote": quote.number, "amount": "600.00", "currency": "TRY"}),
    ]


def test_an_event_the_case_does_not_take_leaves_the_send_and_its_row(
    complex_case: Case,
) -> None:
    quote_send(two_days(complex_case).pk, AGENT)  # awaiting_payment: no quote.sent there
    second = quote_send(two_days(complex_case).pk, AGENT)
    complex_case.refresh_from_db()
    assert (second.status, complex_case.state) == ("SENT", "awaiting_payment")
    assert len(timeline(complex_case, "QUOTE_SENT")) == 2


def test_nothing_due_sends_no_link(complex_case: Case) -> None:
    free = quote_create(
        complex_case.customer,
        [QuoteLineInput("Courtesy call", D("1"), D("0.00"))],
        actor=AGENT,
        case=complex_case,
    )
    quote_send(free.pk, AGENT)
    assert PaymentLink.objects.count() == 0
    assert timeline(complex_case, "QUOTE_SENT")[0][1]["payment_url"] == ""
    assert Message.objects.get(case=complex_case, template="pay").body == (
        "Please pay 0.00 TRY at "
    )


def test_a_quote_without_a_case_writes_the_customers_timeline(complex_case: Case) -> None:
    quote = quote_create(
        complex_case.customer,
        [QuoteLineInput("Filing", D("1"), D("80.00"))],
        currency="EUR",
        actor=AGENT,
    )
    quote_send(quote.pk, AGENT)
    row = complex_case.customer.timeline.get(type="QUOTE_SENT")
    assert (row.case_id, row.payload["due_now"]) == (None, "80.00")
    complex_case.refresh_from_db()
    assert complex_case.state == "quoting"
