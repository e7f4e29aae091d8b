"""Demo data for service orders: teams, sales channels and orders in every stage.

Played through the domain functions with the shell's clock moved back, like
the onboarding demo (opsdesk/web/management/demo_data.py): orders arrive from
the channels, customers answer on WhatsApp (buttons and free text), cadences
run out, the retention team records causes, visits are booked, planned onto a
technician's route and completed from the technician's side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opsdesk.cases.models import Case
from opsdesk.cases.services import case_transition
from opsdesk.common import clock
from opsdesk.common.actors import SYSTEM, Actor
from opsdesk.comms.services import message_receive
from opsdesk.field import jobs
from opsdesk.field.demo import seed_field, seed_today
from opsdesk.field.models import WorkOrder, WorkOrderStatus
from opsdesk.field.planning import routes_plan
from opsdesk.field.replan import local_day
from opsdesk.orders.intake import OrderInput, orders_receive
from opsdesk.orders.models import SalesChannel
from opsdesk.orders.services import channel_create
from opsdesk.runtime.models import Timer, TimerStatus
from opsdesk.runtime.timers import fire_timer
from opsdesk.staff.models import Agent, BusinessCalendar, Role, Team
from opsdesk.staff.services import agent_create
from opsdesk.tasks.models import Task, TaskStatus
from opsdesk.tasks.services import task_complete

TEAMS = ("Istanbul COBO", "Ankara COBO", "Business Desk", "Retention", "Sales")
# (username, name, team, languages)
STAFF = (
    ("cem", "Cem Aydın", "Istanbul COBO", ("tr", "en")),
    ("zeynep", "Zeynep Arslan", "Istanbul COBO", ("tr",)),
    ("okan", "Okan Çelik", "Ankara COBO", ("tr",)),
    ("deniz", "Deniz Koç", "Business Desk", ("tr", "en")),
    ("rana", "Rana Öztürk", "Retention", ("tr", "en")),
    ("burak", "Burak Şen", "Sales", ("tr", "en")),
)
WHATSAPP = Actor("whatsapp")

ISTANBUL_EU = {"city": "İstanbul", "postcode": "34380", "latitude": 41.06, "longitude": 28.99}
ISTANBUL_AS = {"city": "İstanbul", "postcode": "34710", "latitude": 40.99, "longitude": 29.03 + 0.1}
ANKARA = {"city": "Ankara", "postcode": "06690"}
IZMIR = {"city": "İzmir", "postcode": "35210", "latitude": 38.42, "longitude": 27.14}
ID_CARD = [{"type": "id_card", "valid_until": "2031-03-31"}]


@dataclass(frozen=True)
class DemoOrder:
    channel: str
    ref: str
    given_name: str
    family_name: str
    phone: str
    service_type: str
    where: dict[str, Any]
    days_ago: float
    customer_type: str = "residential"
    language: str = "tr"
    documents: tuple[dict[str, Any], ...] = tuple(ID_CARD)
    # (hours after the order, step name, argument); names are methods of _Story.
    steps: tuple[tuple[float, str, Any], ...] = field(default_factory=tuple)


ORDERS: tuple[DemoOrder, ...] = (
    DemoOrder(
        "telesales",
        "TS-24001",
        "Ahmet",
        "Yıldız",
        "+90 532 410 11 01",
        "fiber_install",
        ISTANBUL_EU,
        6,
        steps=(
            (1, "tap", "confirm"),
            (2, "visit", {"ONT-1": 1, "CABLE-10": 1}),  # one cable more than planned: invoiced
            (54, "tap", "rating_5"),
            (54.2, "text", "Teknisyen çok kibar ve hızlıydı."),
        ),
    ),
    DemoOrder(
        "telesales",
        "TS-24002",
        "Elif",
        "Kurt",
        "+90 533 410 11 02",
        "modem_swap",
        ISTANBUL_AS,
        4,
        steps=((2, "tap", "confirm"),),
    ),
    DemoOrder(
        "partner-portal",
        "PP-8812",
        "Murat",
        "Aksoy",
        "+90 534 410 11 03",
        "tv_setup",
        ISTANBUL_EU,
        3,
        steps=((3, "text", "Evet, cuma 14:00 olur"),),
    ),
    DemoOrder(
        "telesales",
        "TS-24003",
        "Fatma",
        "Öz",
        "+90 535 410 11 04",
        "fiber_install",
        ANKARA,
        3,
        steps=((1, "tap", "reschedule"),),
    ),
    DemoOrder(
        "partner-portal",
        "PP-8813",
        "Hasan",
        "Polat",
        "+90 536 410 11 05",
        "fiber_install",
        ISTANBUL_AS,
        2,
        steps=(
            (1, "tap", "reject"),
            (5, "retention", ("price", "Found a cheaper offer; offered a discount.", "lost")),
        ),
    ),
    DemoOrder(
        "telesales",
        "TS-24004",
        "Zehra",
        "Güneş",
        "+90 537 410 11 06",
        "modem_swap",
        ISTANBUL_EU,
        5,
        steps=(
            (2, "text", "Vazgeçtim, iptal edin lütfen"),
            (26, "retention", ("timing", "Moving house next month; will call back.", "won_back")),
        ),
    ),
    DemoOrder(
        "email-desk",
        "EM-301",
        "Oliver",
        "Grant",
        "+44 7400 555010",
        "fiber_install",
        ISTANBUL_EU,
        7,
        language="en",
        steps=((0, "let_cadence_run", None),),
    ),
    DemoOrder(
        "telesales",
        "TS-24005",
        "Kemal",
        "Uçar",
        "+90 538 410 11 07",
        "tv_setup",
        ISTANBUL_AS,
        6,
        steps=((0, "let_cadence_run", None),),
    ),
    DemoOrder(
        "partner-portal",
        "PP-8814",
        "Selin",
        "Ekinci",
        "+90 539 410 11 08",
        "fiber_install",
        ISTANBUL_EU,
        1,
        steps=((2, "text", "Bu ne zaman olacak acaba? Annem evde olmayabilir"),),
    ),
    DemoOrder(
        "telesales",
        "TS-24006",
        "Can",
        "Erdem",
        "+90 541 410 11 09",
        "fiber_install",
        ISTANBUL_AS,
        0.2,
    ),
    DemoOrder(
        "telesales", "TS-24007", "Aylin", "Doğan", "+90 542 410 11 10", "modem_swap", ANKARA, 0.1
    ),
    DemoOrder(
        "email-desk",
        "EM-302",
        "Sarah",
        "Mills",
        "+44 7400 555030",
        "tv_setup",
        ISTANBUL_EU,
        0.3,
        language="en",
    ),
    DemoOrder(
        "partner-portal",
        "PP-8815",
        "Onur",
        "Kaplan",
        "+90 543 410 11 11",
        "fiber_install",
        ISTANBUL_EU,
        0.5,
        customer_type="business",
        documents=(
            {"type": "id_card", "valid_until": "2030-01-01"},
            {"type": "tax_certificate", "valid_until": "2027-06-30"},
        ),
    ),
    DemoOrder(
        "telesales", "TS-24008", "Derya", "Şimşek", "+90 544 410 11 12", "fiber_install", IZMIR, 1.5
    ),
    DemoOrder(
        "partner-portal", "PP-8816", "Tolga", "Bulut", "+90 545 410 11 13", "modem_swap", IZMIR, 0.4
    ),
    DemoOrder(
        "telesales", "TS-24009", "Ece", "Tan", "+90 546 410 11 14", "tv_setup", ANKARA, 2
    ),  # no TV crews in Ankara: ineligible
    DemoOrder(
        "partner-portal",
        "PP-8817",
        "Serkan",
        "Yalçın",
        "+90 547 410 11 15",
        "fiber_install",
        ISTANBUL_AS,
        1,
        customer_type="business",
    ),  # no tax certificate: ineligible
)


def seed_service_orders(password: str, now: dt.datetime) -> dict[str, str]:
    """Teams, staff, channels and the demo orders. Returns channel key -> API token."""
    calendar = BusinessCalendar.objects.filter(name="Istanbul office").first()
    teams = {}
    for name in TEAMS:
        teams[name], _ = Team.objects.get_or_create(name=name, defaults={"calendar": calendar})
    agents = {
        username: agent_create(
            username=username,
            name=name,
            password=password,
            role=Role.AGENT,
            team=teams[team],
            languages=languages,
            service_types=["fiber_install", "modem_swap", "tv_setup"],
            capacity=25,
            email=f"{username}@ops.example",
        )
        for username, name, team, languages in STAFF
    }
    tokens = {}
    with clock.frozen(now - dt.timedelta(days=30)):
        for key, name, kind, inbound in (
            ("telesales", "Telesales", "TELESALES", ""),
            ("partner-portal", "Partner portal", "PORTAL", ""),
            ("email-desk", "Email orders", "EMAIL", "orders@ops.example"),
        ):
            _, tokens[key] = channel_create(key=key, name=name, kind=kind, inbound_email=inbound)
    seed_field(password, now)
    story = _Story(agents, now)
    for spec in sorted(ORDERS, key=lambda o: -o.days_ago):
        story.play(spec)
    seed_today(now)
    return tokens


class _Story:
    def __init__(self, agents: dict[str, Agent], now: dt.datetime) -> None:
        self.agents, self.now = agents, now
        self.channels = {c.key: c for c in SalesChannel.objects.all()}
        self.wamid = 0

    def play(self, spec: DemoOrder) -> None:
        received = _weekday_morning(self.now - dt.timedelta(days=spec.days_ago))
        channel = self.channels[spec.channel]
        with clock.frozen(received):
            (result,) = orders_receive(
                channel,
                [
                    OrderInput(
                        external_ref=spec.ref,
                        given_name=spec.given_name,
                        family_name=spec.family_name,
                        phone=spec.phone,
                        language=spec.language,
                        service_type=spec.service_type,
                        customer_type=spec.customer_type,
                        address=f"Cumhuriyet Cad. No: {int(spec.ref[-2:])}",
                        documents=list(spec.documents),
                        **spec.where,
                    )
                ],
                Actor(f"api:channel-{channel.key}"),
            )
        if result.order is None or result.order.case_id is None:
            return
        case = Case.objects.get(pk=result.order.case_id)
        for hours, name, arg in spec.steps:
            at = min(received + dt.timedelta(hours=hours), self.now)
            step: Callable[[Case, Any, dt.datetime], None] = getattr(self, name)
            with clock.frozen(at):
                case.refresh_from_db()
                step(case, arg, at)

    def _receive(self, case: Case, body: str, payload: str, at: dt.datetime) -> None:
        self.wamid += 1
        message_receive(
            channel="WHATSAPP",
            from_address=case.customer.phone,
            body=body,
            provider_message_id=f"wamid.demo{self.wamid:04d}",
            at=at,
            actor=WHATSAPP,
            payload=payload,
        )

    def tap(self, case: Case, payload: str, at: dt.datetime) -> None:
        labels = {"confirm": "Onaylıyorum", "reject": "İptal", "reschedule": "Başka zaman"}
        self._receive(case, labels.get(payload, payload.replace("rating_", "") + " ★"), payload, at)

    def text(self, case: Case, body: str, at: dt.datetime) -> None:
        self._receive(case, body, "", at)

    def visit(self, case: Case, parts_used: dict[str, int], at: dt.datetime) -> None:
        """The technician's day for this visit: planned, on the way, there, done."""
        wo = WorkOrder.objects.get(case=case, status=WorkOrderStatus.UNPLANNED)
        with clock.frozen(wo.window_start - dt.timedelta(hours=3)):
            routes_plan(local_day(wo.window_start), actor=SYSTEM, time_limit_s=1)
        wo.refresh_from_db()
        tech = Actor.of_user(wo.technician.agent.user) if wo.technician else SYSTEM
        start = wo.planned_start or wo.window_start
        with clock.frozen(start - dt.timedelta(minutes=25)):
            jobs.travel_start(wo.pk, actor=tech)
        with clock.frozen(start):
            jobs.arrive(wo.pk, actor=tech)
        with clock.frozen(start + dt.timedelta(minutes=wo.duration_minutes)):
            jobs.complete(wo.pk, actor=tech, parts_used=parts_used, notes="Installed, signal OK.")

    def let_cadence_run(self, case: Case, _: Any, at: dt.datetime) -> None:
        """No answer: each wait of the cadence ends in turn."""
        while True:
            timer = (
                Timer.objects.filter(
                    case=case, status=TimerStatus.PENDING, name__startswith="cadence__"
                )
                .order_by("due_at")
                .first()
            )
            if timer is None or timer.due_at > self.now:
                return
            with clock.frozen(timer.due_at):
                fire_timer(timer.pk, timer.due_at)

    def retention(self, case: Case, arg: tuple[str, str, str], at: dt.datetime) -> None:
        cause, notes, outcome = arg
        task = Task.objects.get(case=case, key="retention_call", status=TaskStatus.OPEN)
        actor = Actor.of_user(self.agents["rana"].user)
        task_complete(task.pk, actor, {"rejection_cause": cause, "retention_notes": notes})
        case_transition(case.pk, "scheduling" if outcome == "won_back" else "lost", actor)


def _weekday_morning(moment: dt.datetime) -> dt.datetime:
    """The same day at 10:00 Istanbul (07:00 UTC), moved back off the weekend."""
    day = moment.astimezone(dt.UTC).date()
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(7, 0), tzinfo=dt.UTC)
