"""The customer link of a request case shows what is due and lets the customer pay
it: the deposit from the quote's link, the balance from a link made on demand."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsdesk.billing.models import PaymentLink, Quote
from opsdesk.billing.sandbox import sandbox_pay
from opsdesk.portal.links import case_link
from tests.concierge.conftest import Desk, quoted


@pytest.fixture(autouse=True)
def _test_provider(settings: Any) -> None:
    settings.OPSDESK_TEST_PAYMENT_SECRET = "concierge-test-secret"
    settings.OPSDESK_PAYMENT_PROVIDER = "test"


def test_the_customer_pays_the_deposit_then_the_balance_through_the_link(desk: Desk) -> None:
    case = quoted(desk, "relocation", net="1000.00")  # 1,200.00: 600.00 deposit
    page = case_link(case.pk)
    deposit = PaymentLink.objects.get(quote__case=case)
    html = Client().get(page).content.decode()
    assert '<dd id="due-now">600.00 EUR</dd>' in html
    assert f'id="pay-now" href="{deposit.url}"' in html

    sandbox_pay(deposit, succeed=True)
    html = Client().get(page).content.decode()
    assert '<dd id="due-now">600.00 EUR</dd>' in html  # now the balance
    assert 'id="pay-now"' not in html and 'id="payment-link"' in html

    response = Client().post(page + "pay/")
    assert response.status_code == 302 and response["Location"].endswith(page.split("/c/")[1])
    balance = PaymentLink.objects.filter(quote__case=case).exclude(pk=deposit.pk).get()
    assert str(balance.amount) == "600.00"
    assert f'id="pay-now" href="{balance.url}"' in Client().get(page).content.decode()

    sandbox_pay(balance, succeed=True)
    html = Client().get(page).content.decode()
    assert 'id="paid-in-full"' in html and 'id="due-now"' not in html
    # Nothing is due: asking for a link is refused and makes none.
    assert Client().post(page + "pay/").status_code == 409
    assert PaymentLink.objects.filter(quote__case=case).count() == 2
    assert Quote.objects.get(case=case).status == "ACCEPTED"


def test_a_forged_link_cannot_ask_for_a_payment_link(desk: Desk) -> None:
    case = quoted(desk, "airport_transfer", net="80.00")
    before = PaymentLink.objects.count()
    assert Client().post("/c/forged-token/pay/").status_code == 404
    assert PaymentLink.objects.count() == before
    assert case.pk


def test_a_requests_page_speaks_of_the_request_and_its_step(desk: Desk) -> None:
    case = quoted(desk, "relocation", net="1000.00")
    html = Client().get(case_link(case.pk)).content.decode()
    assert '<h1 id="status-title">Your request</h1>' in html
    assert (
        f'<p class="p-status-line" id="status-line">Your request {case.number} is at this '
        "step: waiting for payment.</p>"
    ) in html
    assert 'class="p-steps"' not in html  # the order steps do not apply
    html = Client().get(case_link(case.pk) + "?lang=tr").content.decode()
    assert '<h1 id="status-title">Talebiniz</h1>' in html
