"""Quote and invoice PDFs: the text on the page, in DejaVu (Turkish letters kept) and,
without it, in the core font with the letters transliterated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from opsdesk.billing import pdf
from opsdesk.billing.models import Quote
from opsdesk.billing.services import Line, QuoteLineInput, invoice_issue, quote_create
from opsdesk.customers.models import Customer
from tests.billing.conftest import AGENT
from tests.billing.pdftext import pdf_lines, pdf_title

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def quote(customer: Customer) -> Quote:
    Customer.objects.filter(pk=customer.pk).update(given_name="Şükrü", family_name="Işık")
    customer.refresh_from_db()
    return quote_create(
        customer,
        [
            QuoteLineInput("Çeviri (yeminli)", D("1.5"), D("10.01"), D("0.20")),
            QuoteLineInput("Guided tour", D("2"), D("500.00"), D("0.20")),
        ],
        currency="EUR",
        deposit_percent=50,
        actor=AGENT,
    )


QUOTE_LINES = [
    "opsdesk",
    "Quote QUO-2026-000001",
    "Date: 28.10.2026",
    "Customer: {name}",
    "Description",
    "Quantity",
    "Unit price",
    "Tax",
    "Amount",
    "{line}",
    "1.5",
    "10.01",
    "20%",
    "18.02",
    "Guided tour",
    "2",
    "500.00",
    "20%",
    "1,200.00",
    "Subtotal",
    "1,015.02 EUR",
    "Tax",
    "203.00 EUR",
    "Total",
    "1,218.02 EUR",
    "Payment terms: a 50% deposit of 609.01 EUR up front, the balance of 609.01 EUR on completion.",
]


@pytest.mark.skipif(not (pdf.FONT_DIR / "DejaVuSans.ttf").is_file(), reason="no DejaVu")
def test_a_quote_in_dejavu_keeps_the_turkish_letters(quote: Quote, frozen_clock: Any) -> None:
    raw = pdf.quote_pdf(quote, compress=False)
    assert raw.startswith(b"%PDF")
    assert pdf_title(raw) == "Quote QUO-2026-000001"
    expected = [x.format(name="Şükrü Işık", line="Çeviri (yeminli)") for x in QUOTE_LINES]
    assert pdf_lines(raw) == expected


def test_without_dejavu_the_letters_are_transliterated(
    quote: Quote, monkeypatch: Any, tmp_path: Path
) -> None:
    monkeypatch.setattr(pdf, "FONT_DIR", tmp_path)
    raw = pdf.quote_pdf(quote, compress=False)
    expected = [x.format(name="Sükrü Isik", line="Çeviri (yeminli)") for x in QUOTE_LINES]
    assert pdf_lines(raw) == expected


def test_full_payment_terms_and_company_name(quote: Quote, settings: Any) -> None:
    settings.OPSDESK_COMPANY_NAME = "Ikamet Danışmanlık"
    Quote.objects.filter(pk=quote.pk).update(deposit_percent=100)
    quote.refresh_from_db()
    lines = pdf_lines(pdf.quote_pdf(quote, compress=False))
    assert lines[0] == "Ikamet Danışmanlık"
    assert lines[-1] == "Payment terms: full payment of 1,218.02 EUR up front."


def test_an_invoice(customer: Customer) -> None:
    invoice = invoice_issue(
        customer,
        [Line("Concierge retainer, May", 1, D("111.11"), tax_rate=D("0.20"))],
        currency="EUR",
        actor=AGENT,
        now=dt.datetime(2027, 5, 1, 6, tzinfo=dt.UTC),
    )
    lines = pdf_lines(pdf.invoice_pdf(invoice, compress=False))
    assert lines[1:4] == ["Invoice INV-2027-000001", "Date: 01.05.2027", "Customer: Mehmet Kaya"]
    assert lines[-6:] == ["Net", "111.11 EUR", "Tax", "22.22 EUR", "Total", "133.33 EUR"]
