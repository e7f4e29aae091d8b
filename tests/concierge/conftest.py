"""The concierge agency for the travel-concierge tests: the shipped playbook, its
five teams (coordinators, three specialist teams, the guest services manager)
and a case brought to a given stage through the domain functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.actors import Actor
from opsdesk.staff.models import Agent, BusinessCalendar, Team
from opsdesk.staff.services import agent_create
from opsdesk.tasks.models import Task, TaskStatus
from opsdesk.tasks.services import task_complete

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "travel-concierge.yaml"
SHEET: dict[str, Any] = {
    "departure": "2026-11-20",
    "return_date": "2026-11-27",
    "destinations": "Dubai",
    "preferences": "aisle seat",
}


@dataclass
class Desk:
    version: Any
    coordinator: Agent  # Cem, Account coordinators
    immigration: Agent  # Ida
    specialist: Agent  # Selin, Travel concierge specialists
    liaison: Agent  # Tarik, Transportation liaisons
    manager: Agent  # Keila, Guest services (manager)

    def actor(self, agent: Agent) -> Actor:
        return Actor.of_user(agent.user)


@pytest.fixture
def desk(db: Any, frozen_clock: Any) -> Desk:
    version, _ = playbook_install(PLAYBOOK.read_text(encoding="utf-8"))
    calendar = BusinessCalendar.objects.create(name="Istanbul office", country="TR")

    def member(username: str, name: str, team: str, role: str = "agent") -> Agent:
        t, _ = Team.objects.get_or_create(name=team, defaults={"calendar": calendar})
        return agent_create(
            username=username,
            name=name,
            password=f"pw-{username}-123",
            team=t,
            role=role,
            languages=["en", "tr"],
            service_types=[],
            capacity=20,
        )

    return Desk(
        version=version,
        coordinator=member("cem", "Cem Koç", "Account coordinators"),
        immigration=member("ida", "Ida Berg", "Immigration advisors"),
        specialist=member("selin", "Selin Aksoy", "Travel concierge specialists"),
        liaison=member("tarik", "Tarık Şahin", "Transportation liaisons"),
        manager=member("keila", "Keila Anderson", "Guest services", role="manager"),
    )


def open_task(case: Case, key: str) -> Task:
    return Task.objects.get(case=case, key=key, status=TaskStatus.OPEN)


def complete(case: Case, key: str, by: Agent, **fields: Any) -> None:
    task_complete(open_task(case, key).pk, Actor.of_user(by.user), fields)


def quote_lines(total_net: str) -> list[Any]:
    from opsdesk.billing.services import QuoteLineInput

    return [QuoteLineInput("Service", Decimal("1"), Decimal(total_net), Decimal("0.20"))]


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


CLIENT = {
    "given_name": "Mia",
    "family_name": "Wong",
    "phone": "+90 532 111 22 33",
    "email": "mia@example.com",
    "language": "en",
    "whatsapp": True,
}


def phone_request(desk: Desk, service_type: str, **customer: Any) -> Case:
    """A request taken by phone by the coordinator (the intake sheet complete)."""
    from opsdesk.intake.services import request_receive

    return request_receive(
        playbook="travel-concierge",
        channel="PHONE",
        fields={**SHEET, "service_type": service_type},
        text="Called about the trip",
        actor=desk.actor(desk.coordinator),
        customer={**CLIENT, **customer},
    )


def quoted(
    desk: Desk,
    service_type: str,
    net: str = "250.00",
    client_type: str = "individual",
    **customer: Any,
) -> Case:
    """A request reviewed, routed and quoted (the quote sent): waiting for payment."""
    from opsdesk.billing.models import Quote
    from opsdesk.billing.services import quote_create, quote_send

    case = phone_request(desk, service_type, **customer)
    case.refresh_from_db()
    reviewer = Agent.objects.get(pk=case.agent_id)
    complete(case, "review_request", reviewer, service_type=service_type, client_type=client_type)
    case.refresh_from_db()
    agent = Agent.objects.get(pk=case.agent_id)
    quote = quote_create(
        case.customer,
        quote_lines(net),
        currency="EUR",
        deposit_percent=100 if service_type in ONE_TIME else 50,
        actor=desk.actor(agent),
        case=case,
    )
    quote_send(quote.pk, desk.actor(agent))
    complete(case, "prepare_quote", agent)
    case.refresh_from_db()
    assert Quote.objects.filter(case=case).count() == 1
    return case


ONE_TIME = ("visa_help", "airport_transfer", "chauffeur", "hotel_verification")
