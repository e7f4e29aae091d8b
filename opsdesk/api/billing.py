"""/api/v1/quotes, /api/v1/payments and /api/v1/retainers: quotes with lines and taxes
(and their PDF), payment links, payments and refunds, the payment providers' webhooks,
and retainers (repeat clients billed every month or quarter) with their invoices.

Staff act under `case.act` on the quote's customer (integrations may not). The
webhook is not authenticated by a token but by the provider's signature; a bad
signature answers 400 and records nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from opsdesk.access.policy import restrict, visible_via
from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.schemas import ERRORS, ErrorOut
from opsdesk.billing import services
from opsdesk.billing.models import Invoice, Payment, PaymentLink, Quote, Retainer
from opsdesk.billing.pdf import quote_pdf
from opsdesk.billing.providers import BadSignature
from opsdesk.billing.selectors import quote_balance
from opsdesk.privacy.audit import record_export, record_view

router = Router(tags=["billing"], auth=AUTH)


class QuoteLineIn(Schema):
    description: str
    quantity: Decimal = Field(description="Positive, at most 3 decimals")
    unit_price: Decimal = Field(description="Before tax, at most 2 decimals")
    tax_rate: Decimal | None = Field(
        default=None,
        description="A fraction: 0.20 = 20%. Default: the playbook's for a case's quote, else 0",
    )


class QuoteIn(Schema):
    customer_id: str
    case_id: str | None = None
    currency: str | None = Field(
        default=None,
        description="ISO 4217, e.g. EUR. Required without a case; default: the playbook's",
    )
    deposit_percent: int | None = Field(
        default=None,
        description="Due before work starts: 100 = full payment, 50 = a deposit. "
        "Default: the case's playbook's, else 100",
    )
    lines: list[QuoteLineIn]


class QuoteLineOut(Schema):
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    net: Decimal
    tax: Decimal
    amount: Decimal


class BalanceOut(Schema):
    total: Decimal
    paid: Decimal
    refunded: Decimal
    net_paid: Decimal
    due_now: Decimal = Field(description="The rest of the deposit until it is paid, then the rest")
    balance: Decimal
    deposit_due: Decimal
    fully_paid: bool
    deposit_paid: bool


class PaymentOut(Schema):
    id: str
    kind: str
    amount: Decimal
    currency: str
    provider: str
    provider_ref: str
    status: str
    recorded_by: str
    created_at: dt.datetime
    settled_at: dt.datetime | None


class PaymentLinkOut(Schema):
    quote_id: str
    amount: Decimal
    currency: str
    provider: str
    provider_ref: str
    url: str
    created_at: dt.datetime
    expires_at: dt.datetime


class QuoteOut(Schema):
    id: str
    number: str
    customer_id: str
    case_id: str | None
    currency: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    deposit_percent: int
    status: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    lines: list[QuoteLineOut]
    balance: BalanceOut
    payments: list[PaymentOut]  # oldest first
    payment_links: list[PaymentLinkOut]  # oldest first


class PaymentLinkIn(Schema):
    amount: Decimal | None = Field(default=None, description="Default: what is due now")


class PaymentIn(Schema):
    kind: Literal["PAYMENT", "REFUND"]
    amount: Decimal
    reference: str = Field(description="The bank's or till's reference; unique")
    method: str = Field(default="", description="bank_transfer, cash, card or other")


def quote_out(quote: Quote) -> dict[str, Any]:
    return {
        "id": quote.pk,
        "number": quote.number,
        "customer_id": quote.customer_id,
        "case_id": quote.case_id,
        "currency": quote.currency,
        "subtotal": quote.subtotal,
        "tax": quote.tax,
        "total": quote.total,
        "deposit_percent": quote.deposit_percent,
        "status": quote.status,
        "created_at": quote.created_at,
        "sent_at": quote.sent_at,
        "lines": list(quote.lines.all()),
        "balance": quote_balance(quote),
        "payments": list(quote.payments.order_by("created_at", "id")),
        "payment_links": [link_out(k) for k in quote.payment_links.order_by("created_at", "id")],
    }


def _quote(request: HttpRequest, quote_id: str, action: str) -> Quote:
    # 404 for a customer the caller may not see, as everywhere: a 403 would say
    # that the quote exists.
    quote = (
        Quote.objects.select_related("customer")
        .filter(visible_via(request.user, "customer_id"))
        .get(pk=quote_id)
    )
    restrict(request.user, action, quote.customer)
    return quote


@router.post("/quotes", response={201: QuoteOut, **ERRORS})
def create(request: HttpRequest, payload: QuoteIn) -> Any:
    """A DRAFT quote for a customer (and optionally one of their cases)."""
    customer = lookups.customer(request, payload.customer_id, "case.act")
    case = lookups.case(request, payload.case_id, "case.act") if payload.case_id else None
    quote = services.quote_create(
        customer,
        [services.QuoteLineInput(**ln.model_dump()) for ln in payload.lines],
        currency=payload.currency,
        deposit_percent=payload.deposit_percent,
        actor=lookups.actor(request),
        case=case,
    )
    return Status(201, quote_out(quote))


@router.get("/quotes/{quote_id}", response={200: QuoteOut, **ERRORS})
def get(request: HttpRequest, quote_id: str) -> Any:
    quote = _quote(request, quote_id, "customer.view")
    record_view(request, quote.customer_id, quote.case_id)
    return quote_out(quote)


@router.post("/quotes/{quote_id}/send", response={200: QuoteOut, **ERRORS})
def send(request: HttpRequest, quote_id: str) -> Any:
    """DRAFT → SENT: final, and payable (409 when it is not a draft)."""
    _quote(request, quote_id, "case.act")
    return quote_out(services.quote_send(quote_id, lookups.actor(request)))


@router.post("/quotes/{quote_id}/payment-links", response={201: PaymentLinkOut, **ERRORS})
def payment_link(request: HttpRequest, quote_id: str, payload: PaymentLinkIn) -> Any:
    """A provider's payment page for `amount` (default: the deposit, then the balance)."""
    _quote(request, quote_id, "case.act")
    link = services.payment_link_create(
        quote_id, amount=payload.amount, actor=lookups.actor(request)
    )
    return Status(201, link_out(link))


def link_out(link: PaymentLink) -> dict[str, Any]:
    return {
        "quote_id": link.quote_id,
        "amount": link.amount,
        "currency": link.currency,
        "provider": link.provider,
        "provider_ref": link.provider_ref,
        "url": link.url,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
    }


@router.post("/quotes/{quote_id}/payments", response={201: PaymentOut, **ERRORS})
def record(request: HttpRequest, quote_id: str, payload: PaymentIn) -> Any:
    """A payment or refund made outside a provider (a refund cannot exceed what was paid)."""
    _quote(request, quote_id, "case.act")
    payment: Payment = services.payment_record(
        quote_id,
        amount=payload.amount,
        kind=payload.kind,
        actor=lookups.actor(request),
        reference=payload.reference,
        method=payload.method,
    )
    return Status(201, payment)


@router.get("/quotes/{quote_id}/pdf", response={200: None, **ERRORS})
def pdf(request: HttpRequest, quote_id: str) -> Any:
    """The quote as a PDF (application/pdf); 404 for a customer the caller may not see."""
    quote = Quote.objects.filter(visible_via(request.user, "customer_id")).get(pk=quote_id)
    restrict(request.user, "customer.view", quote.customer)
    data = quote_pdf(quote)
    record_export(request, quote.customer_id, "pdf", case_id=quote.case_id)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{quote.number}.pdf"'
    return response


# --- retainers ---------------------------------------------------------------------


class RetainerIn(Schema):
    customer_id: str
    description: str
    amount: Decimal = Field(description="Net, per period, before the discount")
    currency: str = Field(description="ISO 4217, e.g. EUR")
    tax_rate: Decimal = Field(default=Decimal("0"), description="A fraction: 0.20 = 20%")
    period: Literal["MONTHLY", "QUARTERLY"]
    starts_on: dt.date = Field(description="The first period's start; later ones keep its day")
    discount_percent: int | None = Field(
        default=None, description="0-100; default: the customer's priority tier's"
    )


class InvoiceLineOut(Schema):
    position: int
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax: Decimal


class InvoiceOut(Schema):
    id: str
    number: str
    customer_id: str
    currency: str
    tax: Decimal
    total: Decimal
    issued_at: dt.datetime
    period_start: dt.date | None
    lines: list[InvoiceLineOut]


class RetainerOut(Schema):
    id: str
    customer_id: str
    description: str
    amount: Decimal
    currency: str
    tax_rate: Decimal
    period: str
    discount_percent: int
    starts_on: dt.date
    next_bill_on: dt.date
    active: bool
    created_at: dt.datetime
    created_by: str


class RetainerDetailOut(RetainerOut):
    invoices: list[InvoiceOut]  # by period


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "customer_id": invoice.customer_id,
        "currency": invoice.currency,
        "tax": invoice.tax,
        "total": invoice.total,
        "issued_at": invoice.issued_at,
        "period_start": invoice.period_start,
        "lines": list(invoice.lines.all()),
    }


@router.post("/retainers", response={201: RetainerOut, **ERRORS})
def retainer_create(request: HttpRequest, payload: RetainerIn) -> Any:
    """A repeat client's schedule; the worker bills each period as it starts."""
    customer = lookups.customer(request, payload.customer_id, "case.act")
    data = payload.model_dump(exclude={"customer_id"})
    retainer = services.retainer_create(customer, actor=lookups.actor(request), **data)
    return Status(201, retainer)


@router.get("/retainers", response={200: list[RetainerOut], **ERRORS})
def retainer_list(request: HttpRequest, customer_id: str | None = None) -> Any:
    """The retainers of the customers the caller may see (of one, with `customer_id`)."""
    restrict(request.user, "customer.view")
    rows = Retainer.objects.filter(visible_via(request.user, "customer_id"))
    if customer_id:
        rows = rows.filter(customer_id=customer_id)
    return list(rows.order_by("-created_at", "id")[:500])


@router.get("/retainers/{retainer_id}", response={200: RetainerDetailOut, **ERRORS})
def retainer_get(request: HttpRequest, retainer_id: str) -> Any:
    """A retainer with the invoices billed for it; 404 for a customer the caller may not see."""
    retainer = (
        Retainer.objects.select_related("customer")
        .filter(visible_via(request.user, "customer_id"))
        .get(pk=retainer_id)
    )
    restrict(request.user, "customer.view", retainer.customer)
    invoices = retainer.invoices.prefetch_related("lines").order_by("period_start")
    out = {name: getattr(retainer, name) for name in RetainerOut.model_fields}
    return {**out, "invoices": [invoice_out(i) for i in invoices]}


@router.post(
    "/payments/webhooks/{provider}",
    auth=None,
    response={200: PaymentOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def webhook(request: HttpRequest, provider: str) -> Any:
    """A payment provider's event, verified by its signature (400 when it does not match)."""
    try:
        return services.payment_webhook(provider, request.headers, request.body)
    except BadSignature as exc:
        return Status(400, {"detail": "bad signature", "errors": exc.errors})
