"""Read queries on quotes and payments: a quote's balance, the billing context of cases."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum

from opsdesk.billing.models import Payment, PaymentKind, PaymentStatus, Quote, QuoteStatus

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
    return {
        case_id: balance_strings(
            q,
            balance_of(
                q,
                sums.get((q.pk, PaymentKind.PAYMENT)) or ZERO,
                sums.get((q.pk, PaymentKind.REFUND)) or ZERO,
            ),
        )
        for case_id, q in latest.items()
    }
