"""Service-order intake rules: the zone of an address, eligibility, classification.

Pure, like `decide`: the shell gives the order as a dict and gets back where
it goes. Zones come from the playbook's `zones` (polygons through shapely),
routing from `classification`, checks from `eligibility`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry import Polygon

from opsdesk.playbook.expressions import evaluate, render
from opsdesk.playbook.model import Playbook, ZoneSpec


@dataclass(frozen=True)
class FailedCheck:
    check: str
    message: str


@dataclass(frozen=True)
class Routing:
    team: str | None  # None: no rule fits, the order waits for manual routing
    priority: str
    rule: str | None


@dataclass(frozen=True)
class Intake:
    zone: str | None
    failed: tuple[FailedCheck, ...]  # empty: eligible
    routing: Routing

    @property
    def eligible(self) -> bool:
        return not self.failed


def _fold(text: str) -> str:
    # "İstanbul", "ISTANBUL" and "istanbul" name the same city.
    text = text.replace("İ", "i").replace("I", "ı").lower()
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).replace("ı", "i")


@lru_cache(maxsize=64)
def _polygon(corners: tuple[tuple[float, float], ...]) -> Polygon:
    # shapely works in (x, y): longitude first.
    polygon = Polygon([(lon, lat) for lat, lon in corners])
    shapely.prepare(polygon)
    return polygon


def _in_polygon(spec: ZoneSpec, lat: float, lon: float) -> bool:
    return bool(spec.polygon) and bool(
        shapely.intersects_xy(_polygon(tuple(spec.polygon)), lon, lat)
    )


def find_zone(pb: Playbook, order: dict[str, Any]) -> str | None:
    """Coordinates win over the address: they are what the technician drives to."""
    lat, lon = order.get("latitude"), order.get("longitude")
    if lat is not None and lon is not None:
        for name, spec in pb.zones.items():
            if _in_polygon(spec, float(lat), float(lon)):
                return name
    city = _fold(order.get("city") or "")
    postcode = (order.get("postcode") or "").replace(" ", "")
    for name, spec in pb.zones.items():
        if city and city in {_fold(c) for c in spec.cities}:
            return name
        if postcode and any(postcode.startswith(p) for p in spec.postcodes):
            return name
    return None


def valid_documents(documents: list[dict[str, Any]], today: dt.date) -> list[str]:
    """Document types whose validity has not ended (no `valid_until`: valid)."""
    out = []
    for doc in documents:
        until = doc.get("valid_until")
        if until is None or dt.date.fromisoformat(str(until)) >= today:
            out.append(str(doc.get("type", "")))
    return out


def intake_context(
    pb: Playbook, order: dict[str, Any], customer: dict[str, Any], zone: str | None, today: dt.date
) -> dict[str, Any]:
    spec = pb.zones.get(zone or "")
    return {
        "order": order,
        "customer": customer,
        "zone": zone,
        "zone_services": list(spec.services) if spec else [],
        "valid_documents": valid_documents(order.get("documents") or [], today),
        "catalogs": pb.catalogs,
        "today": today,
    }


def assess(pb: Playbook, order: dict[str, Any], customer: dict[str, Any], today: dt.date) -> Intake:
    """Zone, then every eligibility check (all failures are reported), then the
    first classification rule that holds."""
    zone = find_zone(pb, order)
    ctx = intake_context(pb, order, customer, zone, today)
    failed = tuple(
        FailedCheck(check.name, render(check.message, ctx).strip())
        for check in pb.eligibility
        if not evaluate(check.when, ctx)
    )
    routing = Routing(None, "MEDIUM", None)
    for rule in pb.classification:
        if evaluate(rule.when, ctx):
            routing = Routing(rule.team, rule.priority, rule.name)
            break
    return Intake(zone, failed, routing)
