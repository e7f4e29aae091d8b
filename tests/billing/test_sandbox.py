"""The test provider's checkout page: paying goes through the signed-webhook path."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsdesk.billing.models import Payment
from opsdesk.billing.selectors import quote_balance
from opsdesk.billing.services import payment_link_create
from opsdesk.cases.models import Case
from tests.billing.conftest import AGENT, tour_quote

pytestmark = pytest.mark.django_db


def test_paying_on_the_test_page_records_the_deposit(case: Case) -> None:
    quote = tour_quote(case.customer, case)
    link = payment_link_create(quote.pk, actor=AGENT)
    page = Client().get(link.url)
    assert page.status_code == 200
    assert f"{link.amount} {link.currency} for quote {quote.number}" in page.content.decode()
    paid = Client().post(link.url, {"outcome": "pay"})
    assert "Paid. Thank you!" in paid.content.decode()
    (payment,) = Payment.objects.filter(quote=quote)
    assert (payment.status, payment.amount, payment.kind) == ("SUCCEEDED", link.amount, "PAYMENT")
    quote.refresh_from_db()
    assert quote_balance(quote)["deposit_paid"] is True


def test_declining_records_a_failed_payment_and_nothing_is_paid(case: Case) -> None:
    quote = tour_quote(case.customer, case)
    link = payment_link_create(quote.pk, actor=AGENT)
    declined = Client().post(link.url, {"outcome": "decline"})
    assert "did not go through" in declined.content.decode()
    assert list(Payment.objects.filter(quote=quote).values_list("status", flat=True)) == ["FAILED"]
    assert quote_balance(quote)["deposit_paid"] is False


def test_without_a_secret_or_for_an_unknown_link_the_page_does_not_exist(
    case: Case, settings: Any
) -> None:
    quote = tour_quote(case.customer, case)
    link = payment_link_create(quote.pk, actor=AGENT)
    assert Client().get("/pay/test/tlink_nothing/").status_code == 404
    settings.OPSDESK_TEST_PAYMENT_SECRET = ""
    assert Client().post(link.url, {"outcome": "pay"}).status_code == 404
    assert not Payment.objects.filter(quote=quote).exists()
