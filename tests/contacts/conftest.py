"""Contact desk fixtures: the service-order desk with one ticket (visit booked for
Tuesday 3 November 2026, 09:00 Istanbul), the test contact desk, a Safety desk team."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.portal.helpers import confirm, install_desk, receive_order

DESK = Path(__file__).resolve().parent / "desk.yaml"
# The shipped L1 desk (tests/contacts/test_l1_desk.py, the browser test).
L1 = Path(__file__).resolve().parents[2] / "playbooks" / "l1-installation-maintenance.yaml"
OUT_OF_SPD = "Inbound >> Complaint >> Delay in Service >> Out of SPD"
VISIT = dt.datetime(2026, 11, 3, 6, 0, tzinfo=dt.UTC)
PHONE = "+90 532 123 45 67"


@dataclass
class ContactDesk:
    channel: Any  # the sales channel the tickets come from
    ticket: Any  # a scheduled service order (case)
    cem: Any  # agent of Istanbul COBO (the ticket's team)
    mona: Any  # manager of Istanbul COBO
    sena: Any  # agent of the Safety desk
    olga: Any  # agent of another team (Sales)


def install_contact_desk() -> Any:
    from opsdesk.cases.playbooks import playbook_install

    version, _ = playbook_install(DESK.read_text())
    return version


@pytest.fixture
def desk(db: Any, frozen_clock: Any) -> ContactDesk:
    from opsdesk.staff.models import Agent, Team
    from opsdesk.staff.services import agent_create

    channel = install_desk()
    install_contact_desk()
    teams = {t.name: t for t in Team.objects.all()}
    safety = Team.objects.create(name="Safety desk", calendar=teams["Sales"].calendar)
    mona = agent_create(
        username="mona",
        name="Mona Manager",
        password="pw-mona-123",
        team=teams["Istanbul COBO"],
        role="manager",
        languages=["tr", "en"],
    )
    sena = agent_create(
        username="sena", name="Sena Safety", password="pw-sena-123", team=safety, languages=["tr"]
    )
    olga = agent_create(
        username="olga", name="Olga Sales", password="pw-olga-123", team=teams["Sales"]
    )
    ticket = confirm(receive_order(channel, "TS-1"), VISIT)
    assert ticket.state == "scheduled"
    return ContactDesk(channel, ticket, Agent.objects.get(user__username="cem"), mona, sena, olga)
