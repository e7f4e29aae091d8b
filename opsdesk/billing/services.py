"""Invoices, quotes, payments and retainers: the only writer of billing rows."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

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
    Retainer,
    RetainerPeriod,
)
from opsdesk.billing.providers import default_provider, get_provider
from opsdesk.billing.selectors import quote_balance, quote_defaults
from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case
from opsdesk.cases.services import dispatch_news, reserve_case_numbers
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer
from opsdesk.engine.types import Event

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price: Decimal
    sku: str = ""
    tax_rate: Decimal = Decimal("0")  # 0.20 = 20%

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)

    @property
    def tax(self) -> Decimal:
        return (self.amount * self.tax_rate).quantize(CENT, rounding=ROUND_HALF_UP)


def invoice_issue(
    customer: Customer,
    lines: Sequence[Line],
    *,
    currency: str,
    actor: Actor,
    now: dt.datetime,
    case: Case | None = None,
    source: str = "",
    retainer: Retainer | None = None,
    period_start: dt.date | None = None,
) -> Invoice:
    """A numbered invoice with its lines; the caller's transaction keeps them together.
    A line's `amount` is its net; the invoice's `tax` is the sum of the lines' (each to
    the cent, half up) and its `total` net plus tax."""
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
        tax = sum((ln.tax for ln in lines), Decimal("0.00"))
        invoice = Invoice.objects.create(
            number=number,
            customer=customer,
            case=case,
            source=source,
            currency=currency,
            tax=tax,
            total=sum((ln.amount for ln in lines), Decimal("0.00")) + tax,
            issued_at=now,
            issued_by=actor.label,
            retainer=retainer,
            period_start=period_start,
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
                tax_rate=ln.tax_rate,
                tax=ln.tax,
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
    # 0.20 = 20%; None: the playbook's billing.tax_rate for a case's quote, else 0.
    tax_rate: Decimal | None = None


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
    currency: str | None = None,
    deposit_percent: int | None = None,
    actor: Actor,
    case: Case | None = None,
) -> Quote:
    """A numbered DRAFT quote. Each line's net and tax are rounded to the cent (half up);
    the quote's subtotal, tax and total are the sums of its lines'. For a case's quote,
    what is not given (currency, deposit, a line's tax rate) comes from the playbook
    (`quote_defaults`); without a case the currency is required and the deposit is 100."""
    errors: dict[str, list[str]] = {}
    rate = Decimal("0")
    if case is not None and case.customer_id != customer.pk:
        errors["case"] = ["the case belongs to another customer"]
    elif case is not None and (
        currency is None or deposit_percent is None or any(ln.tax_rate is None for ln in lines)
    ):
        defaults = quote_defaults(case)  # ValidationFailed when the playbook's rule fails
        currency = defaults["currency"] if currency is None else currency
        if deposit_percent is None:
            deposit_percent = defaults["deposit_percent"]
        rate = defaults["tax_rate"]
    if currency is None:
        errors["currency"] = ["required for a quote without a case"]
        currency = ""
    if deposit_percent is None:
        deposit_percent = 100
    lines = [ln if ln.tax_rate is not None else replace(ln, tax_rate=rate) for ln in lines]
    if not lines:
        errors["lines"] = ["a quote needs at least one line"]
    bad = [e for n, ln in enumerate(lines, 1) for e in _line_errors(n, ln)]
    if bad:
        errors["lines"] = bad
    if "currency" not in errors and not CURRENCY.match(currency or ""):
        errors["currency"] = ["an ISO 4217 code such as EUR"]
    if not isinstance(deposit_percent, int) or not 0 <= deposit_percent <= 100:
        errors["deposit_percent"] = ["a whole number from 0 to 100 (100: full payment up front)"]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    rows = []
    for n, ln in enumerate(lines, 1):
        net = _cents(Decimal(ln.quantity) * Decimal(ln.unit_price))
        tax = _cents(net * Decimal(ln.tax_rate or 0))
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
                tax_rate=Decimal(ln.tax_rate or 0),
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
    """DRAFT → SENT: the quote is final and may be paid. Conflict when it is not a draft.
    A payment link for what is due now is made with it (none when nothing is due), and
    the case hears `quote.sent` with the link's URL, so the playbook can send it."""
    with transaction.atomic():
        quote = _locked_quote(quote_id)
        if quote.status != QuoteStatus.DRAFT:
            raise Conflict(f"quote {quote.number} is {quote.status}, not DRAFT")
        now = clock.now()
        quote.status = QuoteStatus.SENT
        quote.sent_at = now
        quote.save(update_fields=["status", "sent_at"])
        due_now = quote_balance(quote)["due_now"]
        link = _new_link(quote, due_now, actor, now) if due_now > 0 else None
        data = {
            "quote": quote.number,
            "total": f"{quote.total:.2f}",
            "currency": quote.currency,
            "due_now": f"{due_now:.2f}",
            "payment_url": link.url if link else "",
        }
        _tell_case(quote, "QUOTE_SENT", Event("quote.sent", data), actor, now)
    return quote


def _new_link(quote: Quote, amount: Decimal, actor: Actor, now: dt.datetime) -> PaymentLink:
    provider = default_provider()
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
        return _new_link(quote, amount, actor, clock.now())


ROW_KEYS = {
    "QUOTE_SENT": ("quote", "total", "currency", "due_now", "payment_url"),
    "PAYMENT_RECEIVED": ("quote", "amount", "currency"),
    "PAYMENT_REFUNDED": ("quote", "amount", "currency"),
}


def _tell_case(quote: Quote, row: str, event: Event, actor: Actor, now: dt.datetime) -> None:
    """A timeline row (`row`) on the customer's timeline, then `event` to the quote's case,
    in the caller's transaction. A closed case or a playbook that refuses the event does
    not undo what was done (a savepoint), nor the row."""
    payload = {k: event.data[k] for k in ROW_KEYS[row]}
    timeline_row(quote.case, quote.customer_id, row, actor, now, **payload).save()
    if quote.case_id is not None:
        dispatch_news(quote.case_id, event, actor)


def _succeeded(quote: Quote, payment: Payment, actor: Actor) -> None:
    """What follows a settled payment: paying a sent quote accepts it; the case hears
    `payment.received`, or `payment.refunded` for a refund."""
    balance = quote_balance(quote)
    data: dict[str, Any] = {
        "quote": quote.number,
        "amount": f"{payment.amount:.2f}",
        "currency": quote.currency,
        "net_paid": f"{balance['net_paid']:.2f}",
    }
    now = payment.settled_at or clock.now()
    if payment.kind == PaymentKind.REFUND:
        _tell_case(quote, "PAYMENT_REFUNDED", Event("payment.refunded", data), actor, now)
        return
    if quote.status == QuoteStatus.SENT:
        quote.status = QuoteStatus.ACCEPTED
        quote.save(update_fields=["status"])
    data |= {
        "total": f"{quote.total:.2f}",
        "deposit_paid": balance["deposit_paid"],
        "fully_paid": balance["fully_paid"],
    }
    _tell_case(quote, "PAYMENT_RECEIVED", Event("payment.received", data), actor, now)


def payment_webhook(provider_key: str, headers: Mapping[str, str], body: bytes) -> Payment:
    """Record what a provider's signed webhook reports, idempotently by its reference:
    a replay changes nothing; a PENDING payment may later settle or fail. Raises
    BadSignature (nothing recorded) or ValidationFailed for an unknown link."""
    provider = get_provider(provider_key)
    event = provider.verify_webhook(headers, body)
    try:
        return _payment_event(provider.key, event)
    except IntegrityError:
        # The same reference recorded at the same moment through another quote's lock
        # (the quote lock serialises deliveries for one link): that delivery won.
        payment = Payment.objects.filter(provider=provider.key, provider_ref=event["ref"]).first()
        if payment is None:
            raise
        return payment


def _payment_event(provider_key: str, event: dict[str, Any]) -> Payment:
    actor = Actor(f"payment:{provider_key}")
    with transaction.atomic():
        link = PaymentLink.objects.filter(provider=provider_key, provider_ref=event["link"]).first()
        if link is None:
            raise ValidationFailed({"link": [f"no payment link {event['link']!r}"]})
        quote = _locked_quote(link.quote_id)
        if event["currency"] and event["currency"] != quote.currency:
            raise ValidationFailed({"currency": [f"the quote is in {quote.currency}"]})
        now = clock.now()
        payment = Payment.objects.filter(provider=provider_key, provider_ref=event["ref"]).first()
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
                provider=provider_key,
                provider_ref=event["ref"],
                link=link,
                status=event["status"],
                recorded_by=actor.label,
                created_at=now,
                settled_at=None if event["status"] == PaymentStatus.PENDING else now,
            )
        if payment.status == PaymentStatus.SUCCEEDED:
            _succeeded(quote, payment, actor)
    return payment


PAYMENT_METHODS = ("bank_transfer", "cash", "card", "other")


def payment_record(
    quote_id: str,
    *,
    amount: Decimal,
    kind: str,
    actor: Actor,
    reference: str,
    method: str = "",
) -> Payment:
    """A payment taken or a refund given outside a provider (bank transfer, cash), settled.
    `reference` (e.g. the bank's) identifies it: recording it twice is a Conflict.
    A payment may not exceed the balance, nor a refund what was paid."""
    errors: dict[str, list[str]] = {}
    if method and method not in PAYMENT_METHODS:
        errors["method"] = [f"one of {', '.join(PAYMENT_METHODS)}"]
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
            method=method,
            status=PaymentStatus.SUCCEEDED,
            recorded_by=actor.label,
            created_at=now,
            settled_at=now,
        )
        _succeeded(quote, payment, actor)
    return payment


# --- retainers ----------------------------------------------------------------------

MONTHS = {RetainerPeriod.MONTHLY: 1, RetainerPeriod.QUARTERLY: 3}


def add_months(anchor: dt.date, months: int) -> dt.date:
    """`anchor` moved by whole months, its day clamped to the month's end (31 Jan + 1 is
    28 Feb, + 2 is 31 Mar: always counted from the anchor, so the day comes back)."""
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(anchor.day, last))


def period_after(retainer: Retainer, period_start: dt.date) -> dt.date:
    """The start of the period after the one starting `period_start`."""
    start = retainer.starts_on
    elapsed = (period_start.year - start.year) * 12 + period_start.month - start.month
    return add_months(start, elapsed + MONTHS[RetainerPeriod(retainer.period)])


# A retainer may start in the past (signed last month: the worker bills the missed
# periods at once) but not so far back that one run would issue hundreds of invoices,
# nor so far ahead that its periods could run past the calendar's year 9999.
RETAINER_BACKDATE_DAYS = 366
RETAINER_AHEAD_YEARS = 10


def _retainer_start_window(starts_on: dt.date) -> bool:
    today = timezone.localdate(clock.now())
    return (
        today - dt.timedelta(days=RETAINER_BACKDATE_DAYS)
        <= starts_on
        <= today + dt.timedelta(days=366 * RETAINER_AHEAD_YEARS)
    )


def default_discount(customer: Customer) -> int:
    """The retainer discount of the customer's priority tier (OPSDESK_RETAINER_DISCOUNTS)."""
    return int(settings.OPSDESK_RETAINER_DISCOUNTS.get(customer.priority_tier or "", 0))


def retainer_create(
    customer: Customer,
    *,
    description: str,
    amount: Decimal,
    currency: str,
    period: str,
    starts_on: dt.date,
    actor: Actor,
    tax_rate: Decimal = Decimal("0"),
    discount_percent: int | None = None,
) -> Retainer:
    """A repeat client's schedule: `amount` (net) billed every month or quarter from
    `starts_on`, less `discount_percent` (default: their priority tier's)."""
    errors: dict[str, list[str]] = {}
    if not description.strip() or len(description) > 200:
        errors["description"] = ["1-200 characters"]
    checked = _decimal(amount)
    if checked is None or checked <= 0 or checked != checked.quantize(CENT):
        errors["amount"] = ["a positive amount, at most 2 decimals"]
    if not CURRENCY.match(currency or ""):
        errors["currency"] = ["an ISO 4217 code such as EUR"]
    rate = _decimal(tax_rate)
    if rate is None or not 0 <= rate < 1 or rate != rate.quantize(Decimal("0.0001")):
        errors["tax_rate"] = ["a fraction from 0 to 1, e.g. 0.20"]
    if period not in RetainerPeriod.values:
        errors["period"] = ["MONTHLY or QUARTERLY"]
    if not isinstance(starts_on, dt.date):
        errors["starts_on"] = ["a date, YYYY-MM-DD"]
    elif not _retainer_start_window(starts_on):
        errors["starts_on"] = [
            f"from {RETAINER_BACKDATE_DAYS} days ago to {RETAINER_AHEAD_YEARS} years ahead"
        ]
    if discount_percent is None:
        discount_percent = default_discount(customer)
    if (
        isinstance(discount_percent, bool)
        or not isinstance(discount_percent, int)
        or not 0 <= discount_percent <= 100
    ):
        errors["discount_percent"] = ["a whole number from 0 to 100"]
    if errors:
        raise ValidationFailed(errors)
    return Retainer.objects.create(
        customer=customer,
        description=description.strip(),
        amount=checked,
        currency=currency,
        tax_rate=rate,
        period=period,
        discount_percent=discount_percent,
        starts_on=starts_on,
        next_bill_on=starts_on,
        active=True,
        created_at=clock.now(),
        created_by=actor.label,
    )


def retainer_net(retainer: Retainer) -> Decimal:
    """What one period costs before tax: the amount less the discount, to the cent."""
    return _cents(retainer.amount * (100 - retainer.discount_percent) / Decimal(100))


def retainers_bill_due(today: dt.date, actor: Actor) -> list[Invoice]:
    """An invoice for every period of an active retainer that has started by `today`
    (catching up on missed ones), each retainer in its own transaction. The retainer row
    is locked and read again, and (retainer, period_start) is unique: a rerun or a
    concurrent run bills nothing twice."""
    due = list(
        Retainer.objects.filter(active=True, next_bill_on__lte=today)
        .order_by("next_bill_on", "id")
        .values_list("pk", flat=True)
    )
    invoices: list[Invoice] = []
    for retainer_id in due:
        with transaction.atomic():
            retainer = (
                Retainer.objects.select_for_update().select_related("customer").get(pk=retainer_id)
            )
            now = clock.now()
            while retainer.active and retainer.next_bill_on <= today:
                start = retainer.next_bill_on
                end = period_after(retainer, start)
                line = Line(
                    description=f"{retainer.description}, {start:%d.%m.%Y}–"
                    f"{end - dt.timedelta(days=1):%d.%m.%Y}",
                    quantity=1,
                    unit_price=retainer_net(retainer),
                    tax_rate=retainer.tax_rate,
                )
                invoice = invoice_issue(
                    retainer.customer,
                    [line],
                    currency=retainer.currency,
                    actor=actor,
                    now=now,
                    source=f"retainer:{retainer.pk}",
                    retainer=retainer,
                    period_start=start,
                )
                invoices.append(invoice)
                if retainer.customer.email:
                    invoice_email(invoice, actor=actor, now=now)
                retainer.next_bill_on = end
            retainer.save(update_fields=["next_bill_on"])
    return invoices


def invoice_email(invoice: Invoice, *, actor: Actor, now: dt.datetime) -> Message:
    """Queue the invoice to its customer's email with the PDF attached, in the caller's
    transaction (the worker sends it after commit). The PDF is stored first so the
    send can read it; a rolled-back caller leaves only that file behind."""
    # Imported here: billing does not otherwise depend on comms or file storage.
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from opsdesk.billing.pdf import invoice_pdf
    from opsdesk.common import ids
    from opsdesk.comms.attachments import email_with_attachment_queue

    customer = invoice.customer
    message_id = ids.message_id()
    stored = default_storage.save(
        f"invoices/{message_id}/{invoice.number}.pdf", ContentFile(invoice_pdf(invoice))
    )
    return email_with_attachment_queue(
        message_id=message_id,
        customer=customer,
        case=None,
        to_address=customer.email,
        subject=f"Invoice {invoice.number}",
        body=(
            f"Dear {customer.full_name},\n\n"
            f"Attached is invoice {invoice.number}: {invoice.total:.2f} {invoice.currency}.\n"
        ),
        attachment={
            "name": f"{invoice.number}.pdf",
            "content_type": "application/pdf",
            "storage_path": stored,
        },
        actor=actor,
        now=now,
    )
