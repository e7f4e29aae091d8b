"""Read queries on quotes and payments: a quote's balance, the billing context of cases,
the playbook's quote defaults for a case, open payment links."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Sum

from opsdesk.billing.models import (
    Payment,
    PaymentKind,
    PaymentLink,
    PaymentStatus,
    Quote,
    QuoteStatus,
)
from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_of
from opsdesk.cases.snapshot import build_snapshot
from opsdesk.common import clock
from opsdesk.common.errors import ValidationFailed
from opsdesk.engine.decide import context_of
from opsdesk.playbook.expressions import ExpressionError, evaluate

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def deposit_amount(total: Decimal, deposit_percent: int) -> Decimal:
    """The share of `total` due before work starts, to the cent (half up)."""
    return (total * deposit_percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def balance_of(quote: Quote, paid: Decimal, refunded: Decimal) -> dict[str, Any]:
    # SQLite's SUM drops the scale (228 for 228.00): every amount is to the cent.
    paid, refunded = paid.quantize(CENT), refunded.quantize(CENT)
    net_paid = paid - refunded
    deposit_due = deposit_amount(quote.total, quote.deposit_percent)
    balance = max(quote.total - net_paid, ZERO)
    deposit_paid = net_paid >= deposit_due
    return {
        "total": quote.total,
        "paid": paid,
        "refunded": refunded,
        "net_paid": net_paid,
        # What to ask for now: the rest of the deposit until it is paid, then the balance.
        "due_now": balance if deposit_paid else deposit_due - net_paid,
        "balance": balance,
        "deposit_due": deposit_due,
        "fully_paid": net_paid >= quote.total,
        "deposit_paid": deposit_paid,
    }


def quote_balance(quote: Quote) -> dict[str, Any]:
    """Totals of the quote's settled payments and refunds, and what is still due (Decimals)."""
    sums = dict(
        quote.payments.filter(status=PaymentStatus.SUCCEEDED)
        .order_by()
        .values("kind")
        .annotate(s=Sum("amount"))
        .values_list("kind", "s")
    )
    return balance_of(
        quote,
        sums.get(PaymentKind.PAYMENT) or ZERO,
        sums.get(PaymentKind.REFUND) or ZERO,
    )


def balance_strings(quote: Quote, balance: dict[str, Any]) -> dict[str, Any]:
    """The balance as a template sees it: amounts as strings with two decimals."""
    out: dict[str, Any] = {
        "quote": quote.number,
        "quote_id": quote.pk,
        "status": quote.status,
        "currency": quote.currency,
        "deposit_percent": quote.deposit_percent,
    }
    for key, value in balance.items():
        out[key] = f"{value:.2f}" if isinstance(value, Decimal) else value
    return out


def load_billing(case_ids: list[str]) -> dict[str, dict[str, Any]]:
    """`billing` for many cases: the latest non-cancelled quote of each, with its balance."""
    quotes = (
        Quote.objects.filter(case_id__in=case_ids)
        .exclude(status=QuoteStatus.CANCELLED)
        .order_by("case_id", "-created_at", "-number")
    )
    latest: dict[str, Quote] = {}
    for q in quotes:
        if q.case_id is not None:
            latest.setdefault(q.case_id, q)
    if not latest:
        return {}
    sums: dict[tuple[str, str], Decimal] = {}
    rows = (
        Payment.objects.filter(
            quote_id__in=[q.pk for q in latest.values()], status=PaymentStatus.SUCCEEDED
        )
        .order_by()
        .values("quote_id", "kind")
        .annotate(s=Sum("amount"))
        .values_list("quote_id", "kind", "s")
    )
    for quote_id, kind, total in rows:
        sums[(quote_id, kind)] = total
    urls: dict[str, str] = {}
    for quote_id, url in (
        open_links([q.pk for q in latest.values()])
        .order_by("quote_id", "created_at", "id")
        .values_list("quote_id", "url")
    ):
        urls[quote_id] = url  # ascending, so the latest wins
    out = {}
    for case_id, q in latest.items():
        balance = balance_of(
            q,
            sums.get((q.pk, PaymentKind.PAYMENT)) or ZERO,
            sums.get((q.pk, PaymentKind.REFUND)) or ZERO,
        )
        out[case_id] = balance_strings(q, balance)
        # A fully paid quote has nothing to pay through a link still open.
        out[case_id]["payment_url"] = "" if balance["fully_paid"] else urls.get(q.pk, "")
    return out


def open_links(quote_ids: list[str]) -> QuerySet[PaymentLink]:
    """Links of these quotes that have not expired and were not paid through."""
    paid = Payment.objects.filter(link=OuterRef("pk"), status=PaymentStatus.SUCCEEDED)
    return PaymentLink.objects.filter(quote_id__in=quote_ids, expires_at__gt=clock.now()).exclude(
        Exists(paid)
    )


def quote_defaults(case: Case) -> dict[str, Any]:
    """The case's playbook's quote defaults (`billing:`), evaluated against the case now:
    {deposit_percent: int, currency: str, tax_rate: Decimal}. ValidationFailed, by
    field, when an expression fails or gives something that is not a valid value."""
    pb = playbook_of(case.playbook)
    try:
        ctx = context_of(pb, build_snapshot(case, pb), clock.now())
    except ExpressionError as exc:  # a computed value fails for this case
        raise ValidationFailed(
            {"case": [f"the playbook's values cannot be worked out for this case: {exc}"]}
        ) from None
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in ("deposit_percent", "currency", "tax_rate"):
        source = getattr(pb.billing, name)
        try:
            values[name] = evaluate(source, ctx)
        except ExpressionError as exc:
            errors[name] = [f"the playbook's billing.{name} ({source}) failed: {exc}"]
    percent = _whole(values.get("deposit_percent"))
    if "deposit_percent" in values and (percent is None or not 0 <= percent <= 100):
        errors["deposit_percent"] = [
            f"the playbook's billing.deposit_percent gave {values['deposit_percent']!r}, "
            "not a whole number from 0 to 100"
        ]
    currency = str(values.get("currency") or "").upper()
    if "currency" in values and not (len(currency) == 3 and currency.isalpha()):
        errors["currency"] = [f"the playbook's billing.currency gave {values['currency']!r}"]
    rate = _fraction(values.get("tax_rate"))
    if "tax_rate" in values and rate is None:
        errors["tax_rate"] = [f"the playbook's billing.tax_rate gave {values['tax_rate']!r}"]
    if errors:
        raise ValidationFailed(errors)
    return {"deposit_percent": percent, "currency": currency, "tax_rate": rate}


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return int(d) if d.is_finite() and d == d.to_integral_value() else None


def _fraction(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() and 0 <= d < 1 else None
