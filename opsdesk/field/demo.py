"""Demo data for the field: parts, a depot, technicians with stocked vans, and a
day of work orders planned onto them, so the dispatch board and the technician
view have something to show. Built through the domain functions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opsdesk.common import clock
from opsdesk.common.actors import SYSTEM
from opsdesk.field.models import LocationKind, StockLocation, Technician
from opsdesk.field.planning import routes_plan
from opsdesk.field.replan import PLAN_ZONE
from opsdesk.field.services import (
    location_create,
    part_create,
    stock_receive,
    stock_transfer,
    technician_create,
    work_order_create,
)
from opsdesk.staff.models import Role, Team
from opsdesk.staff.services import agent_create

PARTS = (
    ("ONT-1", "Fibre ONT terminal", "1450.00"),
    ("MODEM-AX", "Wi-Fi 6 modem", "2300.00"),
    ("SPLITTER-2", "Optical splitter 1:2", "180.00"),
    ("CABLE-10", "Drop cable, 10 m", "95.00"),
)
# (username, name, languages, skills, home (lat, lon), van stock)
TECHNICIANS = (
    (
        "tolga",
        "Tolga Demir",
        ("tr",),
        ["fiber", "modem"],
        (41.08, 29.01),
        {"ONT-1": 4, "CABLE-10": 6, "SPLITTER-2": 2, "MODEM-AX": 1},
    ),
    (
        "sibel",
        "Sibel Yurt",
        ("tr", "en"),
        ["modem", "tv"],
        (41.02, 28.94),
        {"MODEM-AX": 4, "CABLE-10": 4},
    ),
    ("emre", "Emre Kaya", ("tr",), ["fiber", "tv"], (40.99, 29.10), {"ONT-1": 3, "CABLE-10": 4}),
    (
        "aylin",
        "Aylin Bora",
        ("tr", "en"),
        ["fiber", "modem", "tv"],
        (41.05, 28.90),
        {"ONT-1": 2, "MODEM-AX": 2},
    ),
)
# Today's standalone jobs: (lat, lon, street, start hour, skills, parts, priority)
JOBS = (
    (41.071, 29.012, "Barbaros Blv. 12, Beşiktaş", 9, ["fiber"], {"ONT-1": 1}, "MEDIUM"),
    (41.043, 28.985, "İstiklal Cad. 140, Beyoğlu", 9, ["modem"], {"MODEM-AX": 1}, "HIGH"),
    (41.012, 28.955, "Ordu Cad. 55, Fatih", 11, ["tv"], {}, "MEDIUM"),
    (40.991, 29.028, "Moda Cad. 20, Kadıköy", 11, ["fiber"], {"ONT-1": 1}, "MEDIUM"),
    (41.104, 29.020, "Sarıyer Yolu 3, Sarıyer", 14, ["fiber"], {"ONT-1": 1, "CABLE-10": 1}, "LOW"),
    (41.060, 28.870, "Bağcılar Meydanı 8, Bağcılar", 14, ["modem"], {"MODEM-AX": 1}, "MEDIUM"),
    (40.980, 29.120, "Ataşehir Blv. 30, Ataşehir", 16, ["tv"], {}, "MEDIUM"),
    (41.030, 29.060, "Üsküdar Meydanı 2, Üsküdar", 16, ["fiber"], {"ONT-1": 1}, "HIGH"),
    (41.000, 28.850, "Bakırköy Sahil 4, Bakırköy", 11, ["boiler"], {}, "MEDIUM"),  # nobody can
)


def seed_field(password: str, now: dt.datetime) -> None:
    """Technicians (team Field Istanbul, working every day), parts, a depot and vans."""
    team, _ = Team.objects.get_or_create(name="Field Istanbul")
    with clock.frozen(now - dt.timedelta(days=30)):
        for sku, name, price in PARTS:
            part_create(sku=sku, name=name, unit_price=Decimal(price), actor=SYSTEM)
        depot = location_create(
            kind=LocationKind.WAREHOUSE,
            name="Istanbul depot",
            latitude=41.07,
            longitude=28.80,
            actor=SYSTEM,
        )
        for sku, _, _ in PARTS:
            stock_receive(depot, sku, 200, SYSTEM, note="demo opening stock")
        for username, name, languages, skills, home, stock in TECHNICIANS:
            agent = agent_create(
                username=username,
                name=name,
                password=password,
                role=Role.AGENT,
                team=team,
                languages=languages,
                email=f"{username}@ops.example",
            )
            tech = technician_create(
                agent, home_latitude=home[0], home_longitude=home[1], skills=skills, actor=SYSTEM
            )
            van = location_create(
                kind=LocationKind.VAN, name=f"Van {name}", technician=tech, actor=SYSTEM
            )
            for sku, qty in stock.items():
                stock_transfer(depot, van, sku, qty, SYSTEM, note="demo van loading")


def seed_today(now: dt.datetime) -> None:
    """Today's standalone jobs (not tied to a demo order), planned onto the technicians."""
    today = now.astimezone(PLAN_ZONE).date()
    with clock.frozen(now.replace(hour=0, minute=0) - dt.timedelta(hours=6)):
        for lat, lon, street, hour, skills, parts, priority in JOBS:
            start = dt.datetime.combine(today, dt.time(hour), tzinfo=PLAN_ZONE)
            work_order_create(
                latitude=lat,
                longitude=lon,
                address=f"{street}, İstanbul",
                window_start=start,
                window_end=start + dt.timedelta(hours=2),
                duration_minutes=60,
                required_skills=skills,
                required_parts=parts,
                priority=priority,
                actor=SYSTEM,
            )
        routes_plan(today, actor=SYSTEM, time_limit_s=2)


def van_of(tech: Technician) -> StockLocation:
    return StockLocation.objects.get(technician=tech, kind=LocationKind.VAN)
