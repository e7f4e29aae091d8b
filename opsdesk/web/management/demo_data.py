"""Demo data for `opsdesk demo`: staff, an API token and customers in every onboarding state.

Everything goes through the domain functions, exactly as the UI and the API
would call them, with the shell's clock moved back so that cases were opened
over the past days and their due dates and timers vary. The clock is restored
afterwards (`clock.frozen` puts back whatever was there before).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from opsdesk.access.tokens import token_create
from opsdesk.applications.demo import VISA_STAFF, seed_visa
from opsdesk.cases.models import Case, Flag, FlagStatus
from opsdesk.cases.services import case_transition, flag_resolve
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.comms.services import message_log
from opsdesk.contacts.demo import seed_contacts
from opsdesk.customers.models import Customer, Order, Source
from opsdesk.customers.services import (
    CustomerInput,
    customer_create,
    document_receive,
    order_review,
)
from opsdesk.field.demo import TECHNICIANS
from opsdesk.intake.demo import CONCIERGE_STAFF, seed_concierge
from opsdesk.orders.demo import ORDERS, seed_service_orders
from opsdesk.orders.demo import STAFF as ORDER_STAFF
from opsdesk.staff.models import Agent, BusinessCalendar, Role, Team
from opsdesk.staff.services import agent_create
from opsdesk.tasks.models import Task, TaskStatus
from opsdesk.tasks.services import task_complete, task_create

PLAYBOOK_KEY = "customer-onboarding"
ADMIN_USERNAME = "admin"
# For the demo only: every demo login shares it, and it is printed on the console.
DEMO_PASSWORD = "opsdesk-demo"
INTEGRATION_USERNAME = "app-web"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    role: str
    languages: tuple[str, ...]
    service_types: tuple[str, ...]


# (username, name, role, team, languages, service types)
_STAFF: tuple[tuple[str, str, str, str | None, tuple[str, ...], tuple[str, ...]], ...] = (
    (ADMIN_USERNAME, "Demo Admin", Role.ADMIN, None, ("en", "tr"), ()),
    ("selin", "Selin Kaya", Role.MANAGER, "Immigration desk", ("tr", "en"), ()),
    ("ayse", "Ayşe Yılmaz", Role.AGENT, "Immigration desk", ("tr", "en"), ("immigration",)),
    ("mehmet", "Mehmet Demir", Role.AGENT, "Immigration desk", ("tr",), ("immigration",)),
    ("john", "John Carter", Role.AGENT, "Insurance desk", ("en",), ("immigration", "insurance")),
    ("elif", "Elif Şahin", Role.AGENT, "Insurance desk", ("tr", "en"), ("insurance",)),
)


@dataclass
class SeedResult:
    created: bool  # False: the data was already there (or the database is not empty)
    reason: str = ""  # why nothing was created
    logins: list[DemoLogin] = field(default_factory=list)
    token: str | None = None  # the API token secret; only known when just created
    customers: int = 0
    orders: int = 0  # service orders from the sales channels
    channel_tokens: dict[str, str] = field(default_factory=dict)  # channel key -> token


# --- the customers ------------------------------------------------------------

# A step runs `hours` after the customer was created, as the case's agent
# (or the manager, for the flag override). Names match _Story methods.
Step = tuple[float, str, Any]


@dataclass(frozen=True)
class DemoCustomer:
    given_name: str
    family_name: str
    days_ago: float  # when the customer was created, before "now"
    service_type: str
    language: str = "en"
    phone: str = ""
    whatsapp: bool = True
    email: str = ""
    nationality: str = ""
    source: str = Source.STAFF
    deadline_in_days: int | None = None  # the customer's own deadline, from today
    notes: str = ""
    order: dict[str, str] | None = None
    documents: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()


_IMM_DOCS = (
    "Passport (all pages)",
    "Biometric photo",
    "Residence permit card",
    "Rental contract or proof of address",
    "Health insurance policy",
)
_INS_DOCS = ("Passport (photo page)", "Residence permit card", "Previous insurance policy")

CUSTOMERS: tuple[DemoCustomer, ...] = (
    # --- profile review: flags still open ----------------------------------------
    DemoCustomer(  # typed in lower case: name_not_passport_like
        "ahmet",
        "yılmaz",
        2.1,
        "immigration",
        language="tr",
        phone="+90 532 410 22 31",
        email="ahmet.yilmaz@example.com",
        nationality="TR",
        source=Source.APP_WEB,
    ),
    DemoCustomer(  # a local number without country code
        "Olena",
        "Kovalenko",
        1.2,
        "immigration",
        phone="0532 555 12 34",
        email="olena.kovalenko@example.com",
        nationality="UA",
    ),
    DemoCustomer(  # a number that is not on WhatsApp
        "Carlos",
        "Mendes",
        3.3,
        "insurance",
        phone="+55 11 91234 5678",
        whatsapp=False,
        email="carlos.mendes@example.com",
        nationality="BR",
        source=Source.API,
    ),
    DemoCustomer(  # no nationality and no email
        "Fatima",
        "Al-Sayed",
        0.2,
        "immigration",
        phone="+20 100 123 4567",
        source=Source.APP_WEB,
    ),
    # --- a flag overridden with a reason, so the case moved on to intake -----------
    DemoCustomer(
        "Nour",
        "Haddad",
        4.2,
        "immigration",
        language="ar",
        phone="+961 3 123 456",
        email="nour.haddad@example.com",
        steps=(
            (
                2,
                "override_flags",
                "Stateless: travels on a refugee travel document, so there is no nationality "
                "to record",
            ),
        ),
    ),
    # --- intake: the intake task is open -----------------------------------------
    DemoCustomer(  # deadline within 30 days: the intake task is HIGH priority
        "Deniz",
        "Aydın",
        6.1,
        "immigration",
        language="tr",
        phone="+90 533 218 44 90",
        email="deniz.aydin@example.com",
        nationality="TR",
        deadline_in_days=20,
        notes="Residence permit expires soon",
    ),
    DemoCustomer(
        "Emma",
        "Thompson",
        1.1,
        "insurance",
        phone="+44 7911 123456",
        email="emma.thompson@example.com",
        nationality="GB",
    ),
    DemoCustomer(  # an order from app-web, not reviewed yet
        "Yusuf",
        "Öztürk",
        3.1,
        "immigration",
        language="tr",
        phone="+90 542 771 30 12",
        email="yusuf.ozturk@example.com",
        nationality="TR",
        source=Source.APP_WEB,
        deadline_in_days=60,
        order={
            "service_type": "immigration",
            "notes": "Family residence permit for spouse and daughter",
        },
    ),
    DemoCustomer(  # German speaker: the playbook has tr and en, so she gets English
        "Anna",
        "Schmidt",
        2.2,
        "insurance",
        language="de",
        phone="+49 1511 2345678",
        email="anna.schmidt@example.com",
        nationality="DE",
        source=Source.API,
        order={"service_type": "insurance", "notes": "Health insurance for a residence permit"},
    ),
    DemoCustomer(  # uploaded two of five documents through app-web
        "Ali",
        "Rezaei",
        4.1,
        "immigration",
        phone="+98 912 345 6789",
        email="ali.rezaei@example.com",
        nationality="IR",
        source=Source.APP_WEB,
        documents=_IMM_DOCS[:2],
    ),
    DemoCustomer(  # uploaded everything: no document request, no reminder timer
        "María",
        "García",
        0.3,
        "insurance",
        language="es",
        phone="+34 612 345 678",
        email="maria.garcia@example.com",
        nationality="ES",
        source=Source.APP_WEB,
        documents=_INS_DOCS,
    ),
    # --- collecting documents: intake done, documents still missing --------------
    DemoCustomer(
        "Kemal",
        "Arslan",
        7.1,
        "immigration",
        language="tr",
        phone="+90 505 612 88 41",
        email="kemal.arslan@example.com",
        nationality="TR",
        source=Source.APP_WEB,
        order={"service_type": "immigration", "notes": "Short-term residence permit renewal"},
        steps=(
            (1, "review_order", None),
            (2, "open_follow_up", None),
            (3, "complete_intake", None),
            (50, "receive_documents", _IMM_DOCS[:2]),
        ),
    ),
    # --- onboarded: every SOP step done through the domain functions --------------
    DemoCustomer(
        "Sophie",
        "Martin",
        12.1,
        "immigration",
        phone="+33 6 12 34 56 78",
        email="sophie.martin@example.com",
        nationality="FR",
        source=Source.APP_WEB,
        order={
            "service_type": "immigration",
            "notes": "Work permit holder, first residence permit",
        },
        documents=_IMM_DOCS[:1],
        steps=(
            (1, "review_order", None),
            (2, "open_follow_up", None),
            (
                3,
                "log_call",
                "Called to confirm the service type and explain how long document collection "
                "takes.",
            ),
            (4, "complete_intake", None),
            (48, "receive_documents", _IMM_DOCS[1:3]),
            (95, "complete_follow_up", None),
            (96, "receive_documents", _IMM_DOCS[3:]),
        ),
    ),
    DemoCustomer(
        "Hakan",
        "Çelik",
        10.2,
        "insurance",
        language="tr",
        phone="+90 532 998 14 07",
        email="hakan.celik@example.com",
        nationality="TR",
        steps=(
            (1, "open_follow_up", None),
            (2, "complete_intake", None),
            (25, "complete_follow_up", None),
            (26, "receive_documents", _INS_DOCS),
        ),
    ),
    # --- withdrawn -----------------------------------------------------------------
    DemoCustomer(
        "Liam",
        "O'Connor",
        5.1,
        "insurance",
        phone="+353 85 123 4567",
        email="liam.oconnor@example.com",
        nationality="IE",
        steps=((24, "withdraw", None),),
    ),
)


# --- seeding ----------------------------------------------------------------------


def logins() -> list[DemoLogin]:
    onboarding = [DemoLogin(u, n, r, langs, types) for u, n, r, _, langs, types in _STAFF]
    orders = [
        DemoLogin(u, n, Role.AGENT, langs, (f"service orders, {team}",))
        for u, n, team, langs in ORDER_STAFF
    ]
    field = [
        DemoLogin(u, n, Role.AGENT, langs, (f"field technician: {', '.join(skills)}",))
        for u, n, langs, skills, _, _ in TECHNICIANS
    ]
    visa = [DemoLogin(u, n, Role.AGENT, langs, ("visa desk",)) for u, n, langs in VISA_STAFF]
    concierge = [
        DemoLogin(u, n, role, langs, (f"travel concierge, {team}",))
        for u, n, team, role, langs in CONCIERGE_STAFF
    ]
    return onboarding + orders + field + visa + concierge


def seed() -> SeedResult:
    """Create the demo data once; later calls change nothing."""
    User = get_user_model()
    if User.objects.filter(username=ADMIN_USERNAME).exists():
        return SeedResult(False, "the demo data is already there", logins())
    if Customer.objects.exists() or Agent.objects.exists():
        return SeedResult(
            False,
            "this database already has customers or staff (and no demo admin); "
            "demo data goes only into an empty database",
        )
    now = clock.now()
    with transaction.atomic():
        agents = _create_staff()
        integration = agent_create(
            username=INTEGRATION_USERNAME,
            name="App-web onboarding (demo integration)",
            password=None,
            role=Role.INTEGRATION,
        )
        with clock.frozen(now):
            _, secret = token_create(integration.user, "app-web demo")
        story = _Story(agents, Actor.of_user(integration.user, via="api"), now)
        for spec in sorted(CUSTOMERS, key=lambda c: -c.days_ago):
            story.play(spec)
        channel_tokens = seed_service_orders(DEMO_PASSWORD, now)
        channel_tokens["tourport (partner platform)"] = seed_visa(DEMO_PASSWORD, now)
        seed_concierge(DEMO_PASSWORD, now)
        seed_contacts(now)
    return SeedResult(True, "", logins(), secret, len(CUSTOMERS), len(ORDERS), channel_tokens)


def _create_staff() -> dict[str, Agent]:
    calendar = BusinessCalendar.objects.create(
        name="Istanbul office", country="TR", timezone="Europe/Istanbul"
    )
    teams = {
        name: Team.objects.create(name=name, calendar=calendar)
        for name in sorted({team for _, _, _, team, _, _ in _STAFF if team})
    }
    agents = {}
    for username, name, role, team, languages, service_types in _STAFF:
        agents[username] = agent_create(
            username=username,
            name=name,
            password=DEMO_PASSWORD,
            role=role,
            team=teams[team] if team else None,
            languages=languages,
            service_types=service_types,
            capacity=15,
            email=f"{username}@ikamet.example",
        )
    return agents


class _Story:
    """Creates one demo customer and plays its steps, each at its own moment."""

    def __init__(self, agents: dict[str, Agent], integration: Actor, now: dt.datetime):
        self.agents, self.integration, self.now = agents, integration, now
        self.manager = Actor.of_user(agents["selin"].user)

    def play(self, spec: DemoCustomer) -> None:
        created = self.now - dt.timedelta(days=spec.days_ago)
        with clock.frozen(created):
            customer = customer_create(self._input(spec), self._creator(spec))
        case = Case.objects.get(customer=customer, playbook__key=PLAYBOOK_KEY)
        for hours, name, arg in spec.steps:
            at = created + dt.timedelta(hours=hours)
            assert at < self.now, f"{spec.given_name}: step {name} would be in the future"
            step: Callable[[Case, Any], None] = getattr(self, name)
            with clock.frozen(at):
                case.refresh_from_db()
                step(case, arg)

    def _creator(self, spec: DemoCustomer) -> Actor:
        if spec.source in (Source.APP_WEB, Source.API):
            return self.integration
        return self.manager

    def _input(self, spec: DemoCustomer) -> CustomerInput:
        fields: dict[str, Any] = {"service_type": spec.service_type}
        if spec.deadline_in_days is not None:
            fields["deadline"] = self.now.date() + dt.timedelta(days=spec.deadline_in_days)
        if spec.notes:
            fields["intake_notes"] = spec.notes
        return CustomerInput(
            given_name=spec.given_name,
            family_name=spec.family_name,
            phone=spec.phone,
            whatsapp=spec.whatsapp,
            email=spec.email,
            nationality=spec.nationality,
            language=spec.language,
            source=spec.source,
            fields=fields,
            order=dict(spec.order) if spec.order else None,
            documents=list(spec.documents),
        )

    def _agent(self, case: Case) -> Actor:
        assert case.agent is not None, f"{case.number} has no agent"
        return Actor.of_user(case.agent.user)

    def _task(self, case: Case, key: str) -> Task:
        return Task.objects.get(case=case, key=key, status=TaskStatus.OPEN)

    # --- steps (names used in CUSTOMERS) --------------------------------------------

    def override_flags(self, case: Case, reason: str) -> None:
        for flag in Flag.objects.filter(case=case, status=FlagStatus.OPEN).order_by("created_at"):
            flag_resolve(flag.pk, self.manager, reason=reason)

    def review_order(self, case: Case, _: Any) -> None:
        order = Order.objects.get(customer_id=case.customer_id)
        order_review(
            order.pk,
            self._agent(case),
            service_type=order.service_type,
            notes=order.notes + " (confirmed by phone)",
        )

    def open_follow_up(self, case: Case, _: Any) -> None:
        task_create(case_id=case.pk, actor=self._agent(case), key="follow_up")

    def log_call(self, case: Case, body: str) -> None:
        message_log(
            customer_id=case.customer_id,
            case_id=case.pk,
            channel="PHONE",
            direction="OUTBOUND",
            body=body,
            actor=self._agent(case),
        )

    def complete_intake(self, case: Case, _: Any) -> None:
        task_complete(self._task(case, "intake").pk, self._agent(case))

    def complete_follow_up(self, case: Case, _: Any) -> None:
        task_complete(self._task(case, "follow_up").pk, self._agent(case))

    def receive_documents(self, case: Case, doc_types: tuple[str, ...]) -> None:
        for doc_type in doc_types:
            document_receive(case.customer_id, doc_type, self._agent(case))

    def withdraw(self, case: Case, _: Any) -> None:
        case_transition(case.pk, "withdrawn", self._agent(case))
