"""Quotes and invoices as PDF documents (fpdf2), for the customer and the books.

Names are often Turkish (ı, ş, ğ, İ), which the PDF core fonts cannot show, so the
text is set in DejaVu Sans when the system has it (Debian's fonts-dejavu-core). Without
it the core font is used and the text is transliterated to Latin-1 (ş → s, ı → i):
readable, never an exception.
"""

from __future__ import annotations

import logging
import unicodedata
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from fpdf import FPDF

from opsdesk.billing.models import Invoice, Quote
from opsdesk.billing.selectors import deposit_amount

# fontTools logs every table it subsets at INFO: noise in the server's log.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = "DejaVu"
# The Turkish letters NFKD does not take apart into a Latin-1 base letter.
TRANSLITERATE = str.maketrans({"ı": "i", "İ": "I", "–": "-", "—": "-", "×": "x", "€": "EUR"})


class _Doc(FPDF):
    def __init__(self, *, compress: bool) -> None:
        super().__init__(format="A4")
        self.set_compression(compress)
        self.unicode = (FONT_DIR / "DejaVuSans.ttf").is_file() and (
            FONT_DIR / "DejaVuSans-Bold.ttf"
        ).is_file()
        if self.unicode:
            self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.add_page()
        self.set_auto_page_break(auto=True, margin=15)

    def font(self, size: float, bold: bool = False) -> None:
        self.set_font(FONT if self.unicode else "Helvetica", "B" if bold else "", size)

    def text_of(self, value: object) -> str:
        text = str(value)
        if self.unicode:
            return text
        return "".join(_latin1(ch) for ch in text.translate(TRANSLITERATE))

    def line(self, text: object, size: float = 10, bold: bool = False, h: float = 6) -> None:
        self.font(size, bold)
        self.multi_cell(0, h, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def row(self, cells: list[tuple[object, float, str]], bold: bool = False) -> None:
        """One table row: (text, width in mm, align L/R) per cell."""
        self.font(9, bold)
        for text, width, align in cells:
            self.cell(width, 6, self.text_of(text), border="B", align=align)
        self.ln()


def _latin1(ch: str) -> str:
    """The character if Latin-1 has it (ü, ç, ö), else its base letter (ş → s), else "?"."""
    if ord(ch) < 256:
        return ch
    base = unicodedata.normalize("NFKD", ch)[0]
    return base if ord(base) < 256 else "?"


def _money(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def _header(doc: _Doc, title: str, number: str, customer: object, when: str) -> None:
    doc.set_title(f"{title} {number}")
    doc.set_author(company_name())
    doc.line(company_name(), size=16, bold=True, h=8)
    doc.line(f"{title} {number}", size=13, bold=True, h=8)
    doc.line(f"Date: {when}")
    doc.line(f"Customer: {customer}")
    doc.ln(4)


def company_name() -> str:
    return str(getattr(settings, "OPSDESK_COMPANY_NAME", "") or "opsdesk")


def quote_pdf(quote: Quote, *, compress: bool = True) -> bytes:
    """The quote: lines with quantity, unit price, tax rate and amount; totals; terms."""
    doc = _Doc(compress=compress)
    _header(doc, "Quote", quote.number, quote.customer, f"{quote.created_at:%d.%m.%Y}")
    widths = (78, 20, 28, 18, 36)
    doc.row(
        [
            ("Description", widths[0], "L"),
            ("Quantity", widths[1], "R"),
            ("Unit price", widths[2], "R"),
            ("Tax", widths[3], "R"),
            ("Amount", widths[4], "R"),
        ],
        bold=True,
    )
    for ln in quote.lines.order_by("position"):
        doc.row(
            [
                (ln.description, widths[0], "L"),
                (f"{ln.quantity.normalize():f}", widths[1], "R"),
                (f"{ln.unit_price:,.2f}", widths[2], "R"),
                (f"{ln.tax_rate * 100:.0f}%", widths[3], "R"),
                (f"{ln.amount:,.2f}", widths[4], "R"),
            ]
        )
    doc.ln(3)
    for label, value, bold in (
        ("Subtotal", quote.subtotal, False),
        ("Tax", quote.tax, False),
        ("Total", quote.total, True),
    ):
        doc.row(
            [(label, sum(widths[:4]), "R"), (_money(value, quote.currency), widths[4], "R")], bold
        )
    doc.ln(4)
    deposit = deposit_amount(quote.total, quote.deposit_percent)
    if quote.deposit_percent >= 100:
        terms = f"Payment terms: full payment of {_money(quote.total, quote.currency)} up front."
    elif quote.deposit_percent == 0:
        terms = "Payment terms: payment on completion."
    else:
        terms = (
            f"Payment terms: a {quote.deposit_percent}% deposit of "
            f"{_money(deposit, quote.currency)} up front, the balance of "
            f"{_money(quote.total - deposit, quote.currency)} on completion."
        )
    doc.line(terms)
    return bytes(doc.output())


def invoice_pdf(invoice: Invoice, *, compress: bool = True) -> bytes:
    """The invoice: lines, net, tax and total; a retainer's period."""
    doc = _Doc(compress=compress)
    _header(doc, "Invoice", invoice.number, invoice.customer, f"{invoice.issued_at:%d.%m.%Y}")
    widths = (86, 18, 30, 18, 28)
    doc.row(
        [
            ("Description", widths[0], "L"),
            ("Quantity", widths[1], "R"),
            ("Unit price", widths[2], "R"),
            ("Tax", widths[3], "R"),
            ("Net", widths[4], "R"),
        ],
        bold=True,
    )
    for ln in invoice.lines.order_by("position"):
        doc.row(
            [
                (ln.description, widths[0], "L"),
                (ln.quantity, widths[1], "R"),
                (f"{ln.unit_price:,.2f}", widths[2], "R"),
                (f"{ln.tax_rate * 100:.0f}%", widths[3], "R"),
                (f"{ln.amount:,.2f}", widths[4], "R"),
            ]
        )
    doc.ln(3)
    for label, value, bold in (
        ("Net", invoice.total - invoice.tax, False),
        ("Tax", invoice.tax, False),
        ("Total", invoice.total, True),
    ):
        doc.row(
            [(label, sum(widths[:4]), "R"), (_money(value, invoice.currency), widths[4], "R")], bold
        )
    return bytes(doc.output())
