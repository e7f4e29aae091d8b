"""Read queries for field service: stock per location, a part's ledger, whether
a van carries a job's parts, and a ledger-versus-levels balance check."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import QuerySet, Sum

from opsdesk.field.models import Part, StockLevel, StockLocation, StockMove


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
