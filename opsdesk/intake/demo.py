"""Demo data for the travel concierge: the agency's five teams and requests at
every stage (just in by phone, an incomplete WhatsApp request, quoted and waiting
for the deposit, in service with half the checklist done, a corporate client on
the priority client list), played through the domain functions with the clock
moved back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from opsdesk.billing.models import PaymentLink
from opsdesk.billing.sandbox import sandbox_pay
from opsdesk.billing.services import QuoteLineInput, quote_create, quote_send
from opsdesk.cases.models import Case
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.customers.models import Customer
from opsdesk.intake.services import request_receive
from opsdesk.staff.models import Agent, BusinessCalendar, Role, Team
from opsdesk.staff.services import agent_create
from opsdesk.tasks.models import Task, TaskStatus
from opsdesk.tasks.services import task_check_item, task_complete

# (username, name, team, role, languages)
CONCIERGE_STAFF = (
    ("koray", "Koray Koç", "Account coordinators", Role.AGENT, ("tr", "en")),
    ("ida", "Ida Berg", "Immigration advisors", Role.AGENT, ("en",)),
    ("defne", "Defne Aksoy", "Travel concierge specialists", Role.AGENT, ("tr", "en")),
    ("tarik", "Tarık Şahin", "Transportation liaisons", Role.AGENT, ("tr", "en")),
    ("keila", "Keila Anderson", "Guest services", Role.MANAGER, ("en",)),
)
PLAYBOOK = "travel-concierge"


def _task(case: Case, key: str) -> Task:
    return Task.objects.get(case=case, key=key, status=TaskStatus.OPEN)


def _done(case: Case, key: str, agent: Agent, **fields: Any) -> None:
    task_complete(_task(case, key).pk, Actor.of_user(agent.user), fields)


def _request(actor: Actor, channel: str, client: dict[str, Any], text: str, **fields: Any) -> Case:
    return request_receive(
        playbook=PLAYBOOK, channel=channel, fields=fields, text=text, actor=actor, customer=client
    )


def _quote(case: Case, net: str, description: str) -> None:
    agent = Agent.objects.get(pk=case.agent_id)
    actor = Actor.of_user(agent.user)
    line = QuoteLineInput(description, Decimal("1"), Decimal(net), None)
    quote = quote_create(case.customer, [line], actor=actor, case=case)
    quote_send(quote.pk, actor)
    _done(case, "prepare_quote", agent)


def _review(case: Case, service_type: str, client_type: str = "individual") -> Agent:
    case.refresh_from_db()
    reviewer = Agent.objects.get(pk=case.agent_id)
    _done(case, "review_request", reviewer, service_type=service_type, client_type=client_type)
    case.refresh_from_db()
    return Agent.objects.get(pk=case.agent_id)


def seed_concierge(password: str, now: dt.datetime) -> None:
    calendar = BusinessCalendar.objects.filter(name="Istanbul office").first()
    staff: dict[str, Agent] = {}
    for username, name, team_name, role, languages in CONCIERGE_STAFF:
        team, _ = Team.objects.get_or_create(name=team_name, defaults={"calendar": calendar})
        staff[username] = agent_create(
            username=username,
            name=name,
            password=password,
            role=role,
            team=team,
            languages=languages,
            email=f"{username}@ops.example",
        )
    koray = Actor.of_user(staff["koray"].user)
    day = dt.date(2027, 3, 10)

    # A corporate client, on the priority client list with Defne as personal concierge.
    with clock.frozen(now - dt.timedelta(days=20)):
        corporate = _request(
            koray, "PHONE",
            {"given_name": "Lena", "family_name": "Fischer", "phone": "+49 151 2345 6789",
             "email": "lena.fischer@acme.example", "language": "en"},
            "Acme GmbH: relocation of our new sales lead",
            service_type="relocation", departure=day, destinations="Berlin → İstanbul",
        )  # fmt: skip
        _review(corporate, "relocation", "corporate")
    Customer.objects.filter(pk=corporate.customer_id).update(
        priority_tier="corporate", priority_since=now - dt.timedelta(days=20),
        personal_agent=staff["defne"],
    )  # fmt: skip

    # In service: paid in full, half of the transfer's checklist done.
    with clock.frozen(now - dt.timedelta(days=3)):
        transfer = _request(
            koray, "PHONE",
            {"given_name": "Mia", "family_name": "Wong", "phone": "+90 532 111 22 33",
             "email": "mia.wong@example.com", "whatsapp": True, "language": "en"},
            "Arriving at IST with two children",
            service_type="airport_transfer", departure=day, return_date=day + dt.timedelta(days=7),
            destinations="İstanbul Airport → Sultanahmet", preferences="two child seats",
        )  # fmt: skip
        liaison = _review(transfer, "airport_transfer")
        _quote(transfer, "80.00", "Airport transfer, Mercedes V-Class, 2 child seats")
    with clock.frozen(now - dt.timedelta(days=2)):
        link = PaymentLink.objects.filter(quote__case=transfer).first()
        assert link is not None
        sandbox_pay(link, succeed=True)
        _done(
            transfer, "confirm_details", liaison, confirmation_notes="Pickup 14:30, flight TK1980"
        )
        task_check_item(
            _task(transfer, "deliver_airport_transfer").pk, 0, True, Actor.of_user(liaison.user)
        )

    # Quoted, waiting for the 50% deposit.
    with clock.frozen(now - dt.timedelta(days=1)):
        relocation = _request(
            koray, "WEB",
            {"given_name": "Omar", "family_name": "Haddad", "phone": "+971 50 123 4567",
             "email": "omar.haddad@example.com", "language": "en"},
            "",
            service_type="relocation", departure=day, destinations="Dubai → İstanbul",
            urgent_needs="school place for a 9-year-old by April",
        )  # fmt: skip
        _review(relocation, "relocation")
        _quote(
            relocation, "2400.00", "Relocation package: housing search, schools, residence permit"
        )

    # Just in by phone, and an incomplete WhatsApp request for the CSR.
    with clock.frozen(now - dt.timedelta(hours=2)):
        _request(
            koray, "PHONE",
            {"given_name": "Jonas", "family_name": "Weber", "phone": "+49 160 555 0101",
             "email": "jonas.weber@example.com", "language": "en"},
            "Board meeting in London, needs a hotel near the City",
            service_type="business_travel", departure=day, return_date=day + dt.timedelta(days=3),
            destinations="London", preferences="window seat", allergies="peanuts",
        )  # fmt: skip
        _request(
            koray, "WHATSAPP",
            {"given_name": "Elif", "family_name": "Kaya", "phone": "+90 533 444 55 66",
             "whatsapp": True, "language": "tr"},
            "Merhaba, Almanya vizesi için yardım istiyorum, Mayıs'ta gideceğim.",
        )  # fmt: skip
