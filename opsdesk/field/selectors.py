"""Read queries for field service: stock per location, a part's ledger, whether
a van carries a job's parts, a ledger-versus-levels balance check, and a work
order's charges (invoices against cash collected)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet, Sum

from opsdesk.billing.models import Invoice
from opsdesk.field.models import Part, StockLevel, StockLocation, StockMove, WorkOrder


def location_by_ref(ref: str) -> StockLocation | None:
    """A stock location by its id or its name."""
    return StockLocation.objects.filter(pk=ref).first() or (
        StockLocation.objects.filter(name=ref).first()
    )


def location_stock(location: StockLocation, *, include_zero: bool = False) -> dict[str, int]:
    """{sku: quantity} at a location, by SKU."""
    rows = StockLevel.objects.filter(location=location)
    if not include_zero:
        rows = rows.filter(quantity__gt=0)
    return dict(rows.order_by("part__sku").values_list("part__sku", "quantity"))


def stock_levels(location: StockLocation | None = None) -> QuerySet[StockLevel]:
    """Level rows with their location and part, ordered for display."""
    rows = StockLevel.objects.select_related("location", "part")
    if location is not None:
        rows = rows.filter(location=location)
    return rows.order_by("location__name", "part__sku")


def part_ledger(part: Part) -> QuerySet[StockMove]:
    """Every move of a part, oldest first."""
    return StockMove.objects.filter(part=part).order_by("id")


@dataclass(frozen=True)
class VanCheck:
    missing: dict[str, int] = field(default_factory=dict)  # {sku: how many more are needed}

    @property
    def ok(self) -> bool:
        return not self.missing


def van_can_serve(van: StockLocation, required_parts: Mapping[str, int]) -> VanCheck:
    """Whether the van carries a job's parts now; if not, which are missing and how many."""
    if not required_parts:
        return VanCheck()
    have = dict(
        StockLevel.objects.filter(location=van, part__sku__in=list(required_parts)).values_list(
            "part__sku", "quantity"
        )
    )
    missing = {
        sku: qty - have.get(sku, 0)
        for sku, qty in sorted(required_parts.items())
        if have.get(sku, 0) < qty
    }
    return VanCheck(missing)


def stock_imbalances() -> dict[tuple[str, str], tuple[int, int]]:
    """{(location id, part id): (level, ledger sum)} wherever a level differs from
    the moves in minus the moves out. Empty when the stock balances."""
    ledger: dict[tuple[str, str], int] = defaultdict(int)
    ins = StockMove.objects.filter(to_location__isnull=False).values("to_location", "part")
    for row in ins.annotate(n=Sum("quantity")):
        ledger[(row["to_location"], row["part"])] += row["n"]
    outs = StockMove.objects.filter(from_location__isnull=False).values("from_location", "part")
    for row in outs.annotate(n=Sum("quantity")):
        ledger[(row["from_location"], row["part"])] -= row["n"]
    levels = {
        (loc, part): qty
        for loc, part, qty in StockLevel.objects.values_list("location", "part", "quantity")
    }
    return {
        key: (levels.get(key, 0), ledger.get(key, 0))
        for key in sorted(levels.keys() | ledger.keys())
        if levels.get(key, 0) != ledger.get(key, 0)
    }


def stock_balance_ok() -> bool:
    """Every (location, part) level equals its moves in minus its moves out."""
    return not stock_imbalances()


@dataclass(frozen=True)
class Charges:
    """What the customer was invoiced for a work order against the cash the
    technician collected: a positive `cash_over_invoices` is an extra charge
    nobody invoiced."""

    invoices: list[Invoice]
    cash_collected: Decimal | None
    cash_currency: str
    cash_over_invoices: Decimal | None  # None: no cash was collected


def work_order_invoices(ids: list[str]) -> dict[str, list[Invoice]]:
    """The invoices issued for each of these work orders (one query)."""
    out: dict[str, list[Invoice]] = {i: [] for i in ids}
    rows = Invoice.objects.filter(source__in=[f"work_order:{i}" for i in ids])
    for inv in rows.order_by("issued_at", "pk"):
        out[inv.source.removeprefix("work_order:")].append(inv)
    return out


def work_order_charges(wo: WorkOrder, invoices: list[Invoice] | None = None) -> Charges:
    if invoices is None:
        invoices = work_order_invoices([wo.pk])[wo.pk]
    if wo.cash_collected is None:
        return Charges(invoices, None, "", None)
    invoiced = sum(
        (inv.total for inv in invoices if inv.currency == wo.cash_currency), Decimal("0.00")
    )
    return Charges(invoices, wo.cash_collected, wo.cash_currency, wo.cash_collected - invoiced)
