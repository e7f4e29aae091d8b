"""The workspace's Quotes panel: the case's quotes with their balance, payment links and
payments; forms to create, send, ask for payment and record payments and refunds; the
quote and invoice PDFs.

Thin views: each form post runs one domain function of `opsdesk.billing.services`
through the workspace's `_act` (policy `case.act`; the errors shown at the form, nothing
changed), then back to the workspace. The PDFs are GETs under `customer.view`; another
team's quote or invoice is a 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST

from opsdesk.access.policy import restrict, visible_via
from opsdesk.billing.models import (
    Invoice,
    Payment,
    PaymentKind,
    PaymentLink,
    PaymentStatus,
    Quote,
    QuoteLine,
)
from opsdesk.billing.pdf import invoice_pdf, quote_pdf
from opsdesk.billing.selectors import balance_of, open_links, quote_defaults
from opsdesk.billing.services import (
    PAYMENT_METHODS,
    QuoteLineInput,
    payment_link_create,
    payment_record,
    quote_create,
    quote_send,
)
from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.customers.models import Customer
from opsdesk.privacy.audit import record_export
from opsdesk.web.actions import _act
from opsdesk.web.shortcuts import customer_or_404, staff_view

log = logging.getLogger(__name__)

SECTION = "quotes"
LINE_ROWS = 3  # empty line rows the form offers; empty ones are ignored
MAX_LINE_ROWS = 50


@dataclass
class QuoteRow:
    quote: Quote
    lines: list[QuoteLine]
    balance: dict[str, Any]
    links: list[tuple[PaymentLink, bool]]  # (link, still open)
    payments: list[Payment]


@dataclass
class QuotePanel:
    case: Case | None
    quotes: list[QuoteRow]
    defaults: dict[str, Any]  # the create form's prefill ({} when the playbook's rule fails)
    defaults_error: str = ""
    rows: list[int] = field(default_factory=lambda: list(range(1, LINE_ROWS + 1)))
    methods: tuple[str, ...] = PAYMENT_METHODS


def quote_panel(customer: Customer, case: Case | None) -> QuotePanel:
    """The shown case's quotes (the customer's without a case when none is shown)."""
    quotes = list(
        Quote.objects.filter(customer=customer, case=case)
        .prefetch_related("lines", "payments", "payment_links")
        .order_by("-created_at", "-number")[:20]
    )
    open_ids = set(open_links([q.pk for q in quotes]).values_list("pk", flat=True))
    rows = [
        QuoteRow(
            quote=q,
            lines=list(q.lines.all()),
            balance=_balance(q),
            links=[(k, k.pk in open_ids) for k in q.payment_links.all()],
            payments=sorted(q.payments.all(), key=lambda p: (p.created_at, p.pk)),
        )
        for q in quotes
    ]
    defaults: dict[str, Any] = {"deposit_percent": 100, "currency": "", "tax_rate": Decimal(0)}
    error = ""
    if case is not None:
        try:
            defaults = quote_defaults(case)
        except ValidationFailed as exc:  # shown; the agent types the values instead
            error = "; ".join(m for msgs in exc.errors.values() for m in msgs)
        except Exception:  # display only: the workspace works without the prefill
            log.exception("cannot work out the quote defaults of %s", case.number)
            error = "see the server log"
    return QuotePanel(case=case, quotes=rows, defaults=defaults, defaults_error=error)


def _balance(quote: Quote) -> dict[str, Any]:
    """`quote_balance` from the prefetched payments (no query per quote)."""
    settled = [p for p in quote.payments.all() if p.status == PaymentStatus.SUCCEEDED]
    paid = sum((p.amount for p in settled if p.kind == PaymentKind.PAYMENT), Decimal("0.00"))
    refunded = sum((p.amount for p in settled if p.kind == PaymentKind.REFUND), Decimal("0.00"))
    return balance_of(quote, paid, refunded)


def _decimal(raw: str) -> Decimal:
    """The posted number; NaN (refused by the domain, at its field) when it is not one."""
    try:
        return Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        return Decimal("NaN")


def _lines(post: Any) -> list[QuoteLineInput]:
    """The form's line rows (description_N, quantity_N, unit_price_N, tax_rate_N);
    a row left empty is not a line. An empty tax rate takes the playbook's."""
    lines = []
    for n in range(1, MAX_LINE_ROWS + 1):
        values = [post.get(f"{name}_{n}", "").strip() for name in LINE_FIELDS]
        if not any(values[:3]):  # the tax rate alone is the prefilled default
            continue
        description, quantity, price, rate = values
        lines.append(
            QuoteLineInput(
                description=description,
                quantity=_decimal(quantity),
                unit_price=_decimal(price),
                tax_rate=_decimal(rate) if rate else None,
            )
        )
    return lines


LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate")


def _case_of(customer: Customer, case_id: str) -> Case | None:
    return get_object_or_404(Case, pk=case_id, customer=customer) if case_id else None


def _quote_of(customer: Customer, quote_id: str) -> Quote:
    return get_object_or_404(Quote, pk=quote_id, customer=customer)


@require_POST
@staff_view
def quote_create_view(request: HttpRequest, customer_id: str) -> HttpResponse:
    """A draft quote for the shown case; empty currency or deposit take the playbook's."""
    customer = customer_or_404(request, customer_id)
    case = _case_of(customer, request.POST.get("case_id", ""))
    currency = request.POST.get("currency", "").strip().upper() or None
    deposit_raw = request.POST.get("deposit_percent", "").strip()

    def call(actor: Actor) -> Any:
        deposit: int | None = None
        if deposit_raw:
            try:
                deposit = int(deposit_raw)
            except ValueError:
                deposit = -1  # out of range: the domain reports it along with the rest
        return quote_create(
            customer,
            _lines(request.POST),
            currency=currency,
            deposit_percent=deposit,
            actor=actor,
            case=case,
        )

    return _act(
        request,
        customer,
        section=SECTION,
        key="quotes.create",
        action="case.act",
        call=call,
        case_id=case.pk if case else None,
    )


@require_POST
@staff_view
def quote_send_view(request: HttpRequest, customer_id: str, quote_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    quote = _quote_of(customer, quote_id)
    return _act(
        request,
        customer,
        section=SECTION,
        key=f"quote:{quote.pk}",
        action="case.act",
        call=lambda actor: quote_send(quote.pk, actor),
        case_id=quote.case_id,
    )


@require_POST
@staff_view
def quote_link_view(request: HttpRequest, customer_id: str, quote_id: str) -> HttpResponse:
    """A new payment link for what is due now."""
    customer = customer_or_404(request, customer_id)
    quote = _quote_of(customer, quote_id)
    return _act(
        request,
        customer,
        section=SECTION,
        key=f"quote:{quote.pk}",
        action="case.act",
        call=lambda actor: payment_link_create(quote.pk, actor=actor),
        case_id=quote.case_id,
    )


@require_POST
@staff_view
def quote_payment_view(request: HttpRequest, customer_id: str, quote_id: str) -> HttpResponse:
    """A payment (kind PAYMENT) or refund (REFUND) made outside a provider."""
    customer = customer_or_404(request, customer_id)
    quote = _quote_of(customer, quote_id)
    kind = request.POST.get("kind", "")
    amount = _decimal(request.POST.get("amount", ""))
    method = request.POST.get("method", "")
    reference = request.POST.get("reference", "")
    return _act(
        request,
        customer,
        section=SECTION,
        key=f"quote-pay:{quote.pk}:{kind}",
        action="case.act",
        call=lambda actor: payment_record(
            quote.pk, amount=amount, kind=kind, actor=actor, reference=reference, method=method
        ),
        case_id=quote.case_id,
    )


def _document_pdf(
    request: HttpRequest,
    model: type[Quote] | type[Invoice],
    pk: str,
    render: Callable[[Any], bytes],
) -> HttpResponse:
    """A quote's or invoice's PDF, for staff who may see its customer; 404 for
    anyone else, as for an unknown id. Each download is in the audit log."""
    document = (
        model.objects.select_related("customer")
        .filter(visible_via(request.user, "customer_id"), pk=pk)
        .first()
    )
    if document is None:
        raise Http404(f"no such {model._meta.verbose_name}")
    restrict(request.user, "customer.view", document.customer)
    data = render(document)
    record_export(request, document.customer_id, "pdf", case_id=document.case_id)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    return response


@require_GET
@staff_view
def quote_pdf_view(request: HttpRequest, quote_id: str) -> HttpResponse:
    return _document_pdf(request, Quote, quote_id, quote_pdf)


@require_GET
@staff_view
def invoice_pdf_view(request: HttpRequest, invoice_id: str) -> HttpResponse:
    return _document_pdf(request, Invoice, invoice_id, invoice_pdf)
