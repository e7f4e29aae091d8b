"""Issuing invoices: the only writer of Invoice rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from opsdesk.billing.models import Invoice, InvoiceLine
from opsdesk.cases.models import Case
from opsdesk.cases.services import reserve_case_numbers
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.customers.models import Customer

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price: Decimal
    sku: str = ""

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


def invoice_issue(
    customer: Customer,
    lines: Sequence[Line],
    *,
    currency: str,
    actor: Actor,
    now: dt.datetime,
    case: Case | None = None,
    source: str = "",
) -> Invoice:
    """A numbered invoice with its lines; the caller's transaction keeps them together."""
    if not lines:
        raise ValidationFailed({"lines": ["an invoice needs at least one line"]})
    bad = [
        f"line {n}: quantity must be positive" for n, ln in enumerate(lines, 1) if ln.quantity < 1
    ]
    bad += [
        f"line {n}: price must not be negative"
        for n, ln in enumerate(lines, 1)
        if ln.unit_price < 0
    ]
    if bad:
        raise ValidationFailed({"lines": bad})
    with transaction.atomic():
        # The case-number counter is a general per-(prefix, year) sequence.
        number = reserve_case_numbers("INV", now.year, 1)[0]
        invoice = Invoice.objects.create(
            number=number,
            customer=customer,
            case=case,
            source=source,
            currency=currency,
            total=sum((ln.amount for ln in lines), Decimal("0.00")),
            issued_at=now,
            issued_by=actor.label,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                position=n,
                description=ln.description,
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                amount=ln.amount,
            )
            for n, ln in enumerate(lines, 1)
        )
    return invoice


def invoice_context(invoice: Invoice) -> dict[str, object]:
    """What a message template may say about an invoice."""
    lines = list(invoice.lines.all())
    return {
        "number": invoice.number,
        "total": f"{invoice.total:.2f}",
        "currency": invoice.currency,
        "lines": [
            {
                "description": ln.description,
                "quantity": ln.quantity,
                "unit_price": f"{ln.unit_price:.2f}",
                "amount": f"{ln.amount:.2f}",
            }
            for ln in lines
        ],
    }
