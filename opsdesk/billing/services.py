"""Invoices, quotes and payments: the only writer of billing rows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from opsdesk.billing.models import (
    Invoice,
    InvoiceLine,
    Payment,
    PaymentKind,
    PaymentLink,
    PaymentStatus,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from opsdesk.billing.providers import default_provider, get_provider
from opsdesk.billing.selectors import quote_balance
from opsdesk.cases.models import Case
from opsdesk.cases.services import dispatch, reserve_case_numbers
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, Refused, ValidationFailed
from opsdesk.customers.models import Customer
from opsdesk.engine.types import Event

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


# --- quotes and payments ------------------------------------------------------

CURRENCY = re.compile(r"^[A-Z]{3}$")
LINK_DAYS = 7  # a payment link expires after a week; a new one can be made any time
PAYABLE = (QuoteStatus.SENT, QuoteStatus.ACCEPTED)
MANUAL = "manual"  # the provider of payments recorded by staff


@dataclass(frozen=True)
class QuoteLineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = Decimal("0")  # 0.20 = 20%


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _line_errors(n: int, ln: QuoteLineInput) -> list[str]:
    errors = []
    if not ln.description.strip() or len(ln.description) > 200:
        errors.append(f"line {n}: description must be 1-200 characters")
    quantity, price, rate = _decimal(ln.quantity), _decimal(ln.unit_price), _decimal(ln.tax_rate)
    if quantity is None or quantity <= 0 or quantity != quantity.quantize(Decimal("0.001")):
        errors.append(f"line {n}: quantity must be positive, at most 3 decimals")
    if price is None or price < 0 or price != price.quantize(CENT):
        errors.append(f"line {n}: unit price must not be negative, at most 2 decimals")
    if rate is None or not 0 <= rate < 1 or rate != rate.quantize(Decimal("0.0001")):
        errors.append(f"line {n}: tax rate must be a fraction from 0 to 1, e.g. 0.20")
    return errors


def quote_create(
    customer: Customer,
    lines: Sequence[QuoteLineInput],
    *,
    currency: str,
    deposit_percent: int,
    actor: Actor,
    case: Case | None = None,
) -> Quote:
    """A numbered DRAFT quote. Each line's net and tax are rounded to the cent (half up);
    the quote's subtotal, tax and total are the sums of its lines'."""
    errors: dict[str, list[str]] = {}
    if not lines:
        errors["lines"] = ["a quote needs at least one line"]
    bad = [e for n, ln in enumerate(lines, 1) for e in _line_errors(n, ln)]
    if bad:
        errors["lines"] = bad
    if not CURRENCY.match(currency or ""):
        errors["currency"] = ["an ISO 4217 code such as EUR"]
    if not isinstance(deposit_percent, int) or not 0 <= deposit_percent <= 100:
        errors["deposit_percent"] = ["a whole number from 0 to 100 (100: full payment up front)"]
    if case is not None and case.customer_id != customer.pk:
        errors["case"] = ["the case belongs to another customer"]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    rows = []
    for n, ln in enumerate(lines, 1):
        net = _cents(Decimal(ln.quantity) * Decimal(ln.unit_price))
        tax = _cents(net * Decimal(ln.tax_rate))
        rows.append((n, ln, net, tax))
    subtotal = sum((r[2] for r in rows), Decimal("0.00"))
    tax_total = sum((r[3] for r in rows), Decimal("0.00"))
    with transaction.atomic():
        number = reserve_case_numbers("QUO", now.year, 1)[0]
        quote = Quote.objects.create(
            number=number,
            customer=customer,
            case=case,
            currency=currency,
            subtotal=subtotal,
            tax=tax_total,
            total=subtotal + tax_total,
            deposit_percent=deposit_percent,
            status=QuoteStatus.DRAFT,
            created_at=now,
            created_by=actor.label,
        )
        QuoteLine.objects.bulk_create(
            QuoteLine(
                quote=quote,
                position=n,
                description=ln.description.strip(),
                quantity=Decimal(ln.quantity),
                unit_price=Decimal(ln.unit_price),
                tax_rate=Decimal(ln.tax_rate),
                net=net,
                tax=tax,
                amount=net + tax,
            )
            for n, ln, net, tax in rows
        )
    return quote


def _locked_quote(quote_id: str) -> Quote:
    return Quote.objects.select_for_update().get(pk=quote_id)


def quote_send(quote_id: str, actor: Actor) -> Quote:
    """DRAFT → SENT: the quote is final and may be paid. Conflict when it is not a draft."""
    with transaction.atomic():
        quote = _locked_quote(quote_id)
        if quote.status != QuoteStatus.DRAFT:
            raise Conflict(f"quote {quote.number} is {quote.status}, not DRAFT")
        quote.status = QuoteStatus.SENT
        quote.sent_at = clock.now()
        quote.save(update_fields=["status", "sent_at"])
    return quote


def payment_link_create(
    quote_id: str, *, amount: Decimal | None = None, actor: Actor
) -> PaymentLink:
    """A link where the customer pays `amount`, by default what is due now (the rest of
    the deposit until it is paid, then the balance), with the configured provider."""
    with transaction.atomic():
        quote = _locked_quote(quote_id)
        if quote.status not in PAYABLE:
            raise Conflict(f"quote {quote.number} is {quote.status}: send it first")
        balance = quote_balance(quote)
        if amount is None:
            amount = balance["due_now"]
            if amount <= 0:
                raise Conflict(f"quote {quote.number} is fully paid")
        else:
            checked = _decimal(amount)
            if checked is None or checked <= 0 or checked != checked.quantize(CENT):
                raise ValidationFailed({"amount": ["a positive amount, at most 2 decimals"]})
            if checked > balance["balance"]:
                raise ValidationFailed(
                    {"amount": [f"more than the balance ({balance['balance']:.2f})"]}
                )
            amount = checked
        provider = default_provider()
        now = clock.now()
        ref, url = provider.create_link(quote, amount, quote.number)
        return PaymentLink.objects.create(
            quote=quote,
            amount=amount,
            currency=quote.currency,
            provider=provider.key,
            provider_ref=ref,
            url=url,
            created_by=actor.label,
            created_at=now,
            expires_at=now + dt.timedelta(days=LINK_DAYS),
        )


def _tell_case(quote: Quote, payment: Payment, actor: Actor) -> None:
    """`payment.received` to the quote's case, in the caller's transaction. A closed case
    or a playbook that refuses the event does not undo the payment (a savepoint)."""
    if quote.case_id is None:
        return
    balance = quote_balance(quote)
    data = {
        "quote": quote.number,
        "amount": f"{payment.amount:.2f}",
        "currency": quote.currency,
        "net_paid": f"{balance['net_paid']:.2f}",
        "total": f"{quote.total:.2f}",
        "deposit_paid": balance["deposit_paid"],
        "fully_paid": balance["fully_paid"],
    }
    try:
        with transaction.atomic():
            dispatch(quote.case_id, Event("payment.received", data), actor)
    except Refused:
        pass


def _succeeded(quote: Quote, payment: Payment, actor: Actor) -> None:
    """What follows a settled payment: paying a sent quote accepts it; the case hears."""
    if payment.kind != PaymentKind.PAYMENT:
        return
    if quote.status == QuoteStatus.SENT:
        quote.status = QuoteStatus.ACCEPTED
        quote.save(update_fields=["status"])
    _tell_case(quote, payment, actor)


def payment_webhook(provider_key: str, headers: Mapping[str, str], body: bytes) -> Payment:
    """Record what a provider's signed webhook reports, idempotently by its reference:
    a replay changes nothing; a PENDING payment may later settle or fail. Raises
    BadSignature (nothing recorded) or ValidationFailed for an unknown link."""
    provider = get_provider(provider_key)
    event = provider.verify_webhook(headers, body)
    actor = Actor(f"payment:{provider.key}")
    with transaction.atomic():
        link = PaymentLink.objects.filter(provider=provider.key, provider_ref=event["link"]).first()
        if link is None:
            raise ValidationFailed({"link": [f"no payment link {event['link']!r}"]})
        quote = _locked_quote(link.quote_id)
        if event["currency"] and event["currency"] != quote.currency:
            raise ValidationFailed({"currency": [f"the quote is in {quote.currency}"]})
        now = clock.now()
        payment = Payment.objects.filter(provider=provider.key, provider_ref=event["ref"]).first()
        if payment is not None:
            if payment.status != PaymentStatus.PENDING or event["status"] == PaymentStatus.PENDING:
                return payment  # a replay, or news about a payment already settled
            payment.status = event["status"]
            payment.settled_at = now
            payment.save(update_fields=["status", "settled_at"])
        else:
            payment = Payment.objects.create(
                quote=quote,
                kind=event["kind"],
                amount=event["amount"],
                currency=quote.currency,
                provider=provider.key,
                provider_ref=event["ref"],
                status=event["status"],
                recorded_by=actor.label,
                created_at=now,
                settled_at=None if event["status"] == PaymentStatus.PENDING else now,
            )
        if payment.status == PaymentStatus.SUCCEEDED:
            _succeeded(quote, payment, actor)
    return payment


def payment_record(
    quote_id: str, *, amount: Decimal, kind: str, actor: Actor, reference: str
) -> Payment:
    """A payment taken or a refund given outside a provider (bank transfer, cash), settled.
    `reference` (e.g. the bank's) identifies it: recording it twice is a Conflict.
    A payment may not exceed the balance, nor a refund what was paid."""
    errors: dict[str, list[str]] = {}
    checked = _decimal(amount)
    if checked is None or checked <= 0 or checked != checked.quantize(CENT):
        errors["amount"] = ["a positive amount, at most 2 decimals"]
    if kind not in PaymentKind.values:
        errors["kind"] = ["PAYMENT or REFUND"]
    if not reference.strip() or len(reference) > 128:
        errors["reference"] = ["1-128 characters"]
    if errors:
        raise ValidationFailed(errors)
    assert checked is not None
    with transaction.atomic():
        quote = _locked_quote(quote_id)
        balance = quote_balance(quote)
        if kind == PaymentKind.PAYMENT:
            if quote.status not in PAYABLE:
                raise Conflict(f"quote {quote.number} is {quote.status}: send it first")
            if checked > balance["balance"]:
                raise ValidationFailed(
                    {"amount": [f"more than the balance ({balance['balance']:.2f})"]}
                )
        elif checked > balance["net_paid"]:
            raise ValidationFailed(
                {"amount": [f"a refund cannot exceed what was paid ({balance['net_paid']:.2f})"]}
            )
        if Payment.objects.filter(provider=MANUAL, provider_ref=reference.strip()).exists():
            raise Conflict(f"a payment with reference {reference.strip()!r} is already recorded")
        now = clock.now()
        payment = Payment.objects.create(
            quote=quote,
            kind=kind,
            amount=checked,
            currency=quote.currency,
            provider=MANUAL,
            provider_ref=reference.strip(),
            status=PaymentStatus.SUCCEEDED,
            recorded_by=actor.label,
            created_at=now,
            settled_at=now,
        )
        _succeeded(quote, payment, actor)
    return payment
