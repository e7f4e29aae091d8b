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
