"""/api/v1/quotes and /api/v1/payments: quotes with lines and taxes, payment links,
payments and refunds, and the payment providers' webhooks.

Staff act under `case.act` on the quote's customer (integrations may not). The
webhook is not authenticated by a token but by the provider's signature; a bad
signature answers 400 and records nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opsdesk.access.policy import restrict
from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.schemas import ErrorOut
from opsdesk.billing import services
from opsdesk.billing.models import Payment, PaymentLink, Quote
from opsdesk.billing.providers import BadSignature
from opsdesk.billing.selectors import quote_balance

router = Router(tags=["billing"], auth=AUTH)
ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class QuoteLineIn(Schema):
    description: str
    quantity: Decimal = Field(description="Positive, at most 3 decimals")
    unit_price: Decimal = Field(description="Before tax, at most 2 decimals")
    tax_rate: Decimal = Field(default=Decimal("0"), description="A fraction: 0.20 = 20%")


class QuoteIn(Schema):
    customer_id: str
    case_id: str | None = None
    currency: str = Field(description="ISO 4217, e.g. EUR")
    deposit_percent: int = Field(
        default=100, description="Due before work starts: 100 = full payment, 50 = a deposit"
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


class PaymentLinkIn(Schema):
    amount: Decimal | None = Field(default=None, description="Default: what is due now")


class PaymentLinkOut(Schema):
    quote_id: str
    amount: Decimal
    currency: str
    provider: str
    provider_ref: str
    url: str
    created_at: dt.datetime
    expires_at: dt.datetime


class PaymentIn(Schema):
    kind: Literal["PAYMENT", "REFUND"]
    amount: Decimal
    reference: str = Field(description="The bank's or till's reference; unique")


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
    }


def _quote(request: HttpRequest, quote_id: str, action: str) -> Quote:
    quote = Quote.objects.select_related("customer").get(pk=quote_id)
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
    return quote_out(_quote(request, quote_id, "customer.view"))


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
    )
    return Status(201, payment)


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
