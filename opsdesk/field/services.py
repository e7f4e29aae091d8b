"""Field service domain functions: the only code that writes technicians, parts,
stock and work orders.

Every stock change is one `StockMove` plus the `StockLevel` updates it implies,
in one transaction. Decrements are compare-and-set
(`UPDATE ... SET quantity = quantity - n WHERE ... AND quantity >= n`), so two
concurrent moves can never take the same units and a level never goes below
zero; a move that finds too little raises `ShortStock` and changes nothing.
Level rows are updated in a fixed order (location, part) so that concurrent
moves in opposite directions cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from opsdesk.cases.models import Case
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.field.models import (
    LocationKind,
    MoveKind,
    Part,
    Priority,
    StockLevel,
    StockLocation,
    StockMove,
    Technician,
    WorkOrder,
    WorkOrderStatus,
)
from opsdesk.orders.models import ServiceOrder
from opsdesk.staff.models import Agent

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_QUANTITY = 1_000_000


# --- errors ------------------------------------------------------------------


@dataclass(frozen=True)
class Shortage:
    sku: str
    location: str  # the location's name
    available: int
    requested: int

    def __str__(self) -> str:
        return (
            f"{self.location} has {self.available} of {self.sku}, "
            f"{self.requested} asked ({self.requested - self.available} missing)"
        )


class ShortStock(Conflict):
    """A move asked for more than a location holds. Nothing was changed."""

    def __init__(self, shortages: list[Shortage]):
        self.shortages = shortages
        super().__init__("not enough stock: " + "; ".join(str(s) for s in shortages))


# --- validation helpers ----------------------------------------------------------


def _coordinates(errors: dict[str, list[str]], lat: Any, lon: Any, prefix: str = "") -> None:
    for name, value, bound in ((f"{prefix}latitude", lat, 90), (f"{prefix}longitude", lon, 180)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors[name] = [f"a number between -{bound} and {bound}"]
        elif not math.isfinite(value) or not -bound <= value <= bound:
            errors[name] = [f"must be between -{bound} and {bound}, got {value}"]


def _skills(errors: dict[str, list[str]], field: str, skills: Iterable[Any]) -> list[str]:
    out: list[str] = []
    bad = []
    for s in skills:
        if not isinstance(s, str) or not SLUG.match(s):
            bad.append(repr(s))
        elif s not in out:
            out.append(s)
    if bad:
        errors[field] = [
            f"skills are slugs (lowercase letters, digits, dashes); not {', '.join(bad)}"
        ]
    return out


def _quantity(value: Any) -> str | None:
    """An error message for a bad move quantity, or None."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_QUANTITY:
        return f"a whole number from 1 to {MAX_QUANTITY}, got {value!r}"
    return None


def _part(sku: str, field: str = "sku") -> Part:
    part = Part.objects.filter(sku=sku).first()
    if part is None:
        raise ValidationFailed({field: [f"no part with SKU {sku!r}"]})
    return part


def _now() -> dt.datetime:
    return clock.now()


# --- stock level primitives (callers hold a transaction) ---------------------------


def _add(location: StockLocation, part: Part, qty: int) -> None:
    # INSERT ... ON CONFLICT DO NOTHING, then an increment: no check-then-act.
    StockLevel.objects.bulk_create(
        [StockLevel(location=location, part=part, quantity=0)], ignore_conflicts=True
    )
    StockLevel.objects.filter(location=location, part=part).update(quantity=F("quantity") + qty)


def _take(location: StockLocation, part: Part, qty: int) -> Shortage | None:
    """Compare-and-set decrement; the shortage when the location holds less than `qty`."""
    taken = StockLevel.objects.filter(location=location, part=part, quantity__gte=qty).update(
        quantity=F("quantity") - qty
    )
    if taken == 1:
        return None
    available = (
        StockLevel.objects.filter(location=location, part=part)
        .values_list("quantity", flat=True)
        .first()
    )
    return Shortage(part.sku, location.name, available or 0, qty)


def _apply(changes: list[tuple[StockLocation, Part, int]]) -> None:
    """Apply signed level changes in (location, part) order; raise ShortStock
    (the caller's transaction rolls everything back) listing every shortage."""
    shortages = []
    for location, part, delta in sorted(changes, key=lambda c: (c[0].pk, c[1].pk)):
        if delta > 0:
            _add(location, part, delta)
        else:
            shortage = _take(location, part, -delta)
            if shortage is not None:
                shortages.append(shortage)
    if shortages:
        raise ShortStock(shortages)


def _move(
    kind: str,
    part: Part,
    qty: int,
    actor: Actor,
    *,
    source: StockLocation | None = None,
    target: StockLocation | None = None,
    work_order: WorkOrder | None = None,
    note: str = "",
) -> StockMove:
    return StockMove.objects.create(
        part=part,
        from_location=source,
        to_location=target,
        quantity=qty,
        kind=kind,
        work_order=work_order,
        note=note,
        actor=actor.label,
        at=_now(),
    )


# --- parts, locations, technicians -------------------------------------------------


def part_create(
    *, sku: str, name: str, unit_price: Decimal | str, currency: str = "TRY", actor: Actor
) -> Part:
    errors: dict[str, list[str]] = {}
    sku = (sku or "").strip()
    name = (name or "").strip()
    currency = (currency or "").strip().upper()
    if not SKU.match(sku):
        errors["sku"] = ["1-64 letters, digits or . _ / -, starting with a letter or digit"]
    if not name:
        errors["name"] = ["required"]
    if isinstance(unit_price, float):
        errors["unit_price"] = ["a Decimal or a string such as '12.50', never a float"]
        price = None
    else:
        try:
            price = Decimal(unit_price)
        except (InvalidOperation, TypeError, ValueError):
            price = None
            errors["unit_price"] = [f"a decimal amount such as '12.50', got {unit_price!r}"]
    if price is not None and (not price.is_finite() or price < 0 or price >= Decimal(10**10)):
        errors["unit_price"] = ["an amount from 0 to 9999999999.99"]
    elif price is not None and price != price.quantize(Decimal("0.01"), ROUND_HALF_UP):
        errors["unit_price"] = ["at most 2 decimal places"]
    if not CURRENCY.match(currency):
        errors["currency"] = ["a 3-letter ISO 4217 code such as TRY or EUR"]
    if not errors and Part.objects.filter(sku=sku).exists():
        errors["sku"] = [f"a part with SKU {sku} exists"]
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            return Part.objects.create(sku=sku, name=name, unit_price=price, currency=currency)
    except IntegrityError:
        raise ValidationFailed({"sku": [f"a part with SKU {sku} exists"]}) from None


def location_create(
    *,
    kind: str,
    name: str,
    actor: Actor,
    technician: Technician | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> StockLocation:
    """A warehouse (with coordinates) or a technician's van (without)."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = ["1-100 characters"]
    if kind == LocationKind.WAREHOUSE:
        _coordinates(errors, latitude, longitude)
        if technician is not None:
            errors["technician"] = ["a warehouse has no technician"]
    elif kind == LocationKind.VAN:
        if latitude is not None or longitude is not None:
            errors["latitude"] = ["a van has no fixed coordinates"]
        if technician is not None and StockLocation.objects.filter(technician=technician).exists():
            errors["technician"] = [f"{technician.agent.name} already has a van"]
    else:
        errors["kind"] = [f"one of {', '.join(LocationKind.values)}"]
    if not errors.get("name") and StockLocation.objects.filter(name=name).exists():
        errors["name"] = [f"a stock location named {name!r} exists"]
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            return StockLocation.objects.create(
                kind=kind, name=name, technician=technician, latitude=latitude, longitude=longitude
            )
    except IntegrityError:
        raise Conflict(f"a location named {name!r} or a van for this technician exists") from None


def technician_create(
    agent: Agent,
    *,
    home_latitude: float,
    home_longitude: float,
    actor: Actor,
    skills: Iterable[str] = (),
    shift_start: dt.time = dt.time(8, 0),
    shift_end: dt.time = dt.time(18, 0),
) -> Technician:
    """Make an agent a field technician. Days off come from the agent's calendar."""
    errors: dict[str, list[str]] = {}
    _coordinates(errors, home_latitude, home_longitude, prefix="home_")
    clean_skills = _skills(errors, "skills", skills)
    if not isinstance(shift_start, dt.time) or not isinstance(shift_end, dt.time):
        errors["shift_end"] = ["shift times are times of day"]
    elif shift_end <= shift_start:
        errors["shift_end"] = [f"must be after the shift start {shift_start:%H:%M}"]
    if Technician.objects.filter(agent=agent).exists():
        errors["agent"] = [f"{agent.name} is already a technician"]
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            return Technician.objects.create(
                agent=agent,
                home_latitude=home_latitude,
                home_longitude=home_longitude,
                skills=clean_skills,
                shift_start=shift_start,
                shift_end=shift_end,
            )
    except IntegrityError:
        raise ValidationFailed({"agent": [f"{agent.name} is already a technician"]}) from None


# --- stock moves --------------------------------------------------------------------


def stock_receive(
    location: StockLocation, sku: str, qty: int, actor: Actor, *, note: str = ""
) -> StockMove:
    """Parts received from a supplier into a location."""
    if (msg := _quantity(qty)) is not None:
        raise ValidationFailed({"quantity": [msg]})
    part = _part(sku)
    with transaction.atomic():
        _apply([(location, part, qty)])
        return _move(MoveKind.RECEIVED, part, qty, actor, target=location, note=note)


def stock_transfer(
    source: StockLocation,
    target: StockLocation,
    sku: str,
    qty: int,
    actor: Actor,
    *,
    note: str = "",
) -> StockMove:
    """Move parts between locations: warehouse to van (TRANSFER), van back to a
    warehouse (RETURNED), or between two locations of the same kind (TRANSFER)."""
    errors: dict[str, list[str]] = {}
    if (msg := _quantity(qty)) is not None:
        errors["quantity"] = [msg]
    if source.pk == target.pk:
        errors["to_location"] = ["must differ from the location the parts come from"]
    if errors:
        raise ValidationFailed(errors)
    part = _part(sku)
    kind = (
        MoveKind.RETURNED
        if source.kind == LocationKind.VAN and target.kind == LocationKind.WAREHOUSE
        else MoveKind.TRANSFER
    )
    with transaction.atomic():
        _apply([(source, part, -qty), (target, part, qty)])
        return _move(kind, part, qty, actor, source=source, target=target, note=note)


def stock_adjust(
    location: StockLocation, sku: str, delta: int, actor: Actor, *, note: str
) -> StockMove:
    """Correct a location's count by `delta` (negative: written off), with a reason."""
    errors: dict[str, list[str]] = {}
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        errors["delta"] = [f"a non-zero whole number, got {delta!r}"]
    elif (msg := _quantity(abs(delta))) is not None:
        errors["delta"] = [msg]
    if not (note or "").strip():
        errors["note"] = ["say why the count changes"]
    if errors:
        raise ValidationFailed(errors)
    part = _part(sku)
    with transaction.atomic():
        _apply([(location, part, delta)])
        if delta > 0:
            return _move(MoveKind.ADJUSTED, part, delta, actor, target=location, note=note.strip())
        return _move(MoveKind.ADJUSTED, part, -delta, actor, source=location, note=note.strip())


def parts_use(
    work_order: WorkOrder, van: StockLocation, parts: Mapping[str, int], actor: Actor
) -> list[StockMove]:
    """Parts used on a job, out of the van: all of them or, if any is short, none."""
    errors: dict[str, list[str]] = {}
    if van.kind != LocationKind.VAN:
        errors["van"] = [f"{van.name} is a {van.kind.lower()}, not a van"]
    if not parts:
        errors["parts"] = ["at least one part"]
    messages = []
    for sku, qty in parts.items():
        if (msg := _quantity(qty)) is not None:
            messages.append(f"{sku}: {msg}")
    known = {p.sku: p for p in Part.objects.filter(sku__in=list(parts))}
    messages += [f"no part with SKU {sku!r}" for sku in parts if sku not in known]
    if messages:
        errors["parts"] = messages
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        status = (
            WorkOrder.objects.select_for_update()
            .filter(pk=work_order.pk)
            .values_list("status", flat=True)
            .first()
        )
        if status is None or status == WorkOrderStatus.CANCELLED:
            raise Conflict(f"work order {work_order.pk} is cancelled; no parts can be used on it")
        _apply([(van, known[sku], -qty) for sku, qty in parts.items()])
        return [
            _move(MoveKind.USED, known[sku], qty, actor, source=van, work_order=work_order)
            for sku, qty in sorted(parts.items())
        ]


# --- work orders ------------------------------------------------------------------


def work_order_create(
    *,
    latitude: float,
    longitude: float,
    window_start: dt.datetime,
    window_end: dt.datetime,
    duration_minutes: int,
    actor: Actor,
    address: str = "",
    required_skills: Iterable[str] = (),
    required_parts: Mapping[str, int] | None = None,
    priority: str = Priority.MEDIUM,
    promise_date: dt.date | None = None,
    case: Case | None = None,
    service_order: ServiceOrder | None = None,
) -> WorkOrder:
    """An unplanned work order: a job at a place, in the customer's slot."""
    errors: dict[str, list[str]] = {}
    _coordinates(errors, latitude, longitude)
    for name, value in (("window_start", window_start), ("window_end", window_end)):
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            errors[name] = ["a timezone-aware date and time"]
    if not errors.keys() & {"window_start", "window_end"} and window_end <= window_start:
        errors["window_end"] = ["must be after the window start"]
    if (
        isinstance(duration_minutes, bool)
        or not isinstance(duration_minutes, int)
        or not 0 < duration_minutes <= 24 * 60
    ):
        errors["duration_minutes"] = [f"whole minutes from 1 to 1440, got {duration_minutes!r}"]
    skills = _skills(errors, "required_skills", required_skills)
    parts = dict(required_parts or {})
    messages = [f"{sku}: {msg}" for sku, q in parts.items() if (msg := _quantity(q)) is not None]
    known = set(Part.objects.filter(sku__in=list(parts)).values_list("sku", flat=True))
    messages += [f"no part with SKU {sku!r}" for sku in parts if sku not in known]
    if messages:
        errors["required_parts"] = messages
    if priority not in Priority.values:
        errors["priority"] = [f"one of {', '.join(Priority.values)}"]
    if promise_date is not None and (
        isinstance(promise_date, dt.datetime) or not isinstance(promise_date, dt.date)
    ):
        errors["promise_date"] = ["a date"]
    if errors:
        raise ValidationFailed(errors)
    if case is None and service_order is not None:
        case_id = service_order.case_id
    else:
        case_id = case.pk if case is not None else None
    now = _now()
    with transaction.atomic():
        return WorkOrder.objects.create(
            case_id=case_id,
            service_order=service_order,
            latitude=latitude,
            longitude=longitude,
            address=(address or "").strip(),
            window_start=window_start,
            window_end=window_end,
            duration_minutes=duration_minutes,
            required_skills=skills,
            required_parts=dict(sorted(parts.items())),
            priority=priority,
            promise_date=promise_date,
            created_at=now,
            updated_at=now,
        )
