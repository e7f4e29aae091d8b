"""Fixture `service_desk`: the shipped service-order playbook, its teams and a telesales channel."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PLAYBOOKS = Path(__file__).resolve().parents[1] / "playbooks"


@dataclass
class ServiceDesk:
    version: Any
    teams: dict[str, Any]
    retention_agent: Any
    cobo_agent: Any
    channel: Any
    token: str


@pytest.fixture
def service_desk(db: Any) -> ServiceDesk:
    from opsdesk.cases.playbooks import playbook_install
    from opsdesk.orders.services import channel_create
    from opsdesk.staff.models import BusinessCalendar, Team
    from opsdesk.staff.services import agent_create

    version, _ = playbook_install((PLAYBOOKS / "service-order.yaml").read_text())
    calendar = BusinessCalendar.objects.create(name="Istanbul office", country="TR")
    teams = {
        name: Team.objects.create(name=name, calendar=calendar)
        for name in ("Istanbul COBO", "Ankara COBO", "Business Desk", "Retention", "Sales")
    }
    retention = agent_create(
        username="rana",
        name="Rana Retention",
        password="pw-rana-123",
        team=teams["Retention"],
        languages=["tr", "en"],
    )
    cobo = agent_create(
        username="cem",
        name="Cem Cobo",
        password="pw-cem-123",
        team=teams["Istanbul COBO"],
        languages=["tr", "en"],
        service_types=["fiber_install", "modem_swap", "tv_setup"],
    )
    channel, token = channel_create(
        key="telesales",
        name="Telesales",
        kind="TELESALES",
        webhook_url="http://127.0.0.1:9/hand-backs",
    )
    return ServiceDesk(version, teams, retention, cobo, channel, token)


def order_data(ref: str, **changes: Any) -> dict[str, Any]:
    """A valid order as a sales channel sends it (JSON shape): Kadıköy, İstanbul's Asian side."""
    data: dict[str, Any] = {
        "external_ref": ref,
        "given_name": "Mehmet",
        "family_name": "Demir",
        "phone": "+90 532 123 45 67",
        "language": "tr",
        "service_type": "fiber_install",
        "customer_type": "residential",
        "address": "Bağdat Cad. 10, Kadıköy",
        "city": "İstanbul",
        "postcode": "34710",
        "latitude": 40.98,
        "longitude": 29.06,
        "documents": [{"type": "id_card", "valid_until": "2030-01-01"}],
    }
    data.update(changes)
    return data


def field_crew(username: str = "tolga", home: tuple[float, float] = (41.07, 29.06)) -> Any:
    """One technician for the service-order visits: fibre and modem skills, a van
    with ONT-1 ×3, MODEM-AX ×2 and CABLE-10 ×5. The default home is 0.09° of
    latitude (10.0 km, 20 min at 30 km/h) north of `order_data`'s address."""
    from decimal import Decimal

    from opsdesk.common.actors import SYSTEM
    from opsdesk.field import services
    from opsdesk.staff.models import Role
    from opsdesk.staff.services import agent_create

    for sku, name, price in (
        ("ONT-1", "Fibre ONT terminal", "1450.00"),
        ("MODEM-AX", "Wi-Fi 6 modem", "2300.00"),
        ("CABLE-10", "Drop cable, 10 m", "95.00"),
    ):
        if not services.Part.objects.filter(sku=sku).exists():
            services.part_create(sku=sku, name=name, unit_price=Decimal(price), actor=SYSTEM)
    agent = agent_create(
        username=username, name="Tolga Demir", password="pw-tolga-1234", role=Role.AGENT
    )
    tech = services.technician_create(
        agent,
        home_latitude=home[0],
        home_longitude=home[1],
        skills=["fiber", "modem"],
        actor=SYSTEM,
    )
    van = services.location_create(
        kind="VAN", name=f"Van {username}", technician=tech, actor=SYSTEM
    )
    for sku, qty in (("ONT-1", 3), ("MODEM-AX", 2), ("CABLE-10", 5)):
        services.stock_receive(van, sku, qty, SYSTEM)
    return tech
