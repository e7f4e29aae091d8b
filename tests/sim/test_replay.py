"""A simulated run gives the timeline a real run gives for the same events.

The simulator keeps, per case, what came from outside the engine (the arrival,
replies, what agents did, documents, visits). Each test replays that script on
the real shell, in time order on the virtual clock: customers and orders through
the real intake, tasks through the task services, manual transitions through the
case service, documents through the customer service, replies and visit events
as the events the shell dispatches, and every timer through the worker's timer
table (`fire_due_timers`), fired at its due moment. Then each case's timeline
in the database must equal the simulated one, row by row: moment, type and
what the engine wrote.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.cases.playbooks import playbook_install
from opsdesk.cases.services import case_transition, dispatch
from opsdesk.common import clock
from opsdesk.common.actors import SYSTEM, Actor
from opsdesk.customers.models import Customer
from opsdesk.customers.services import CustomerInput, customer_create, document_receive
from opsdesk.engine.types import Event
from opsdesk.orders.intake import OrderInput, order_receive
from opsdesk.orders.models import SalesChannel
from opsdesk.orders.services import channel_create
from opsdesk.runtime.models import Timer, TimerStatus
from opsdesk.runtime.timers import fire_due_timers
from opsdesk.sim.result import Result
from opsdesk.sim.runner import family_name, simulate
from opsdesk.sim.scenario import Scenario
from opsdesk.staff.models import Agent, Team
from opsdesk.staff.services import agent_create
from opsdesk.tasks.models import Task, TaskStatus
from opsdesk.tasks.services import task_check_item, task_complete, task_create
from tests.sim.test_runner import KADIKOY_ORDER, ONBOARDING, PLAYBOOKS, SERVICE_ORDER

pytestmark = pytest.mark.django_db(transaction=False)

# Rows the shell writes around the engine's decisions; the simulator has none of them.
SHELL_ROWS = frozenset(
    {
        "CUSTOMER_CREATED",
        "ORDER_RECEIVED",
        "TASK_COMPLETED",
        "CHECKLIST_ITEM",
        "TIMER_FIRED",
        "DOCUMENT_RECEIVED",
        "CUSTOMER_REPLIED",
        "WORK_ORDER",
    }
)


def onboarding_scenario() -> Scenario:
    return Scenario.model_validate(
        {
            "days": 8,
            "start": "2026-11-02T09:00:00+03:00",
            "seed": 3,
            "arrivals": {"per_hour": 0.5, "stop_after_days": 3},
            "fields": {"service_type": {"immigration": 0.7, "insurance": 0.3}},
            "customer": {
                "language": {"tr": 0.5, "en": 0.5},
                "channels": {"WHATSAPP": {"reply_probability": 0.3, "mean_delay_minutes": 60}},
                "uploads": {"probability": 0.7, "mean_delay_hours": 30},
            },
            "agents": [
                {
                    "team": "Onboarding",
                    "count": 3,
                    "languages": ["tr", "en"],
                    "service_types": ["immigration", "insurance"],
                }
            ],
            "handling": {"default": 25},
            "work": {"intake": {"open_first": ["follow_up"]}},
        }
    )


def service_order_scenario() -> Scenario:
    return Scenario.model_validate(
        {
            "days": 10,
            "start": "2026-11-02T09:00:00+03:00",
            "seed": 5,
            "arrivals": {"per_hour": 0.4, "stop_after_days": 3},
            "fields": {"service_type": {"fiber_install": 0.7, "modem_swap": 0.3}},
            "order": KADIKOY_ORDER,
            "customer": {
                "language": {"tr": 0.8, "en": 0.2},
                "channels": {
                    "WHATSAPP": {"reply_probability": 0.6, "mean_delay_minutes": 40},
                    "VOICE": {"reply_probability": 0.5, "mean_delay_minutes": 3},
                },
                "intents": {"confirm": 0.6, "reject": 0.25, "reschedule": 0.15},
                "templates": {
                    "survey": {
                        "reply_probability": 0.8,
                        "mean_delay_minutes": 90,
                        "payloads": {"rating_5": 0.6, "rating_3": 0.4},
                    }
                },
            },
            "agents": [
                {"team": "Istanbul COBO", "count": 2, "languages": ["tr", "en"]},
                {"team": "Retention", "count": 2, "languages": ["tr", "en"]},
            ],
            "handling": {"default": 20},
            "work": {"retention_call": {"then": {"lost": 0.6, "scheduling": 0.4}}},
            "visits": {"travel_minutes": 30, "completion_probability": 0.8},
        }
    )


def staff_like(scenario: Scenario) -> dict[str, Agent]:
    """The scenario's agents as real ones, with the simulator's ids and names (the
    assignment breaks ties by id)."""
    agents: dict[str, Agent] = {}
    numbered: dict[str, int] = {}
    for group in scenario.agents:
        team = Team.objects.get_or_create(name=group.team)[0] if group.team else None
        slug = (group.team or "pool").replace(" ", "_").lower()
        for _ in range(group.count):
            numbered[slug] = n = numbered.get(slug, 0) + 1
            sim_id = f"agt_{slug}_{n:03d}"
            agent = agent_create(
                username=sim_id,
                name=f"{group.team or 'Pool'} {n}",
                password=None,
                team=team,
                languages=group.languages,
                service_types=group.service_types,
                capacity=group.capacity,
            )
            Agent.objects.filter(pk=agent.pk).update(id=sim_id)
            agents[sim_id] = Agent.objects.select_related("user").get(pk=sim_id)
    return agents


class Replay:
    """Plays a simulation's inputs on the real shell, timers fired by the worker's table."""

    def __init__(self, result: Result, agents: dict[str, Agent], channel: Any = None) -> None:
        self.result, self.agents, self.channel = result, agents, channel
        self.cases: dict[str, str] = {}  # simulated case id -> real case id

    def run(self, until: dt.datetime) -> None:
        script = sorted(
            (
                (at, sim_id, kind, data)
                for sim_id, inputs in self.result.inputs.items()
                for at, kind, data in inputs
            ),
            key=lambda row: row[0],  # stable: one case's inputs keep their order
        )
        for at, sim_id, kind, data in script:
            self.fire_timers(at)
            clock.set_now(at)
            getattr(self, kind)(sim_id, data)
        self.fire_timers(until, before=True)

    def fire_timers(self, upto: dt.datetime, before: bool = False) -> None:
        while True:
            pending = Timer.objects.filter(status=TimerStatus.PENDING)
            pending = (
                pending.filter(due_at__lt=upto) if before else pending.filter(due_at__lte=upto)
            )
            timer = pending.order_by("due_at", "id").first()
            if timer is None:
                return
            clock.set_now(timer.due_at)
            assert fire_due_timers(timer.due_at, limit=1) == 1

    def actor(self, data: dict[str, Any]) -> Actor:
        return Actor.of_user(self.agents[data["agent"]].user)

    def arrive(self, sim_id: str, data: dict[str, Any]) -> None:
        n = int(sim_id.removeprefix("case_"))
        fields = {k: v for k, v in data["fields"].items() if v is not None}
        if self.channel is None:
            customer = customer_create(
                CustomerInput(
                    given_name="Customer",
                    family_name=family_name(n),
                    phone=f"+90555{n:07d}",
                    whatsapp=True,
                    email=f"customer{n}@example.com",
                    nationality="TR",
                    language=data["language"],
                    fields=fields,
                ),
                SYSTEM,
            )
            case = Case.objects.get(customer=customer)
        else:
            order = data["order"]
            row = order_receive(
                self.channel,
                OrderInput(
                    external_ref=order["external_ref"],
                    given_name="Customer",
                    family_name=family_name(n),
                    phone=f"+90555{n:07d}",
                    email=f"customer{n}@example.com",
                    language=data["language"],
                    service_type=fields.pop("service_type"),
                    customer_type=order["customer_type"],
                    city=order["city"],
                    postcode=order["postcode"],
                    latitude=order["latitude"],
                    longitude=order["longitude"],
                    documents=order["documents"],
                    fields=fields,
                ),
                SYSTEM,
            )
            assert row.outcome == "created", row.errors
            case = Case.objects.get(service_order__external_ref=order["external_ref"])
        self.cases[sim_id] = case.pk

    def reply(self, sim_id: str, data: dict[str, Any]) -> None:
        button = data["payload"]
        intent = button if button in ("confirm", "reject", "reschedule") else None
        event = {"channel": data["channel"], "intent": intent, "proposed_at": None}
        dispatch(
            self.cases[sim_id],
            Event("customer.replied", event | {"text": "", "payload": button}),
            SYSTEM,
        )

    def complete(self, sim_id: str, data: dict[str, Any]) -> None:
        task = Task.objects.get(case_id=self.cases[sim_id], key=data["key"], status=TaskStatus.OPEN)
        actor = self.actor(data)
        for index in range(len(task.checklist)):
            task_check_item(task.pk, index, True, actor)
        task_complete(task.pk, actor, values=data["fields"])

    def open_task(self, sim_id: str, data: dict[str, Any]) -> None:
        task_create(case_id=self.cases[sim_id], actor=self.actor(data), key=data["key"])

    def manual(self, sim_id: str, data: dict[str, Any]) -> None:
        case_transition(self.cases[sim_id], data["to"], self.actor(data))

    def document(self, sim_id: str, data: dict[str, Any]) -> None:
        customer_id = Case.objects.get(pk=self.cases[sim_id]).customer_id
        document_receive(customer_id, data["doc_type"], SYSTEM)

    def visit(self, sim_id: str, data: dict[str, Any]) -> None:
        kind = data["event"]
        payload = {k: v for k, v in data.items() if k != "event"}
        dispatch(self.cases[sim_id], Event(kind, payload), SYSTEM)

    def timelines(self) -> dict[str, list[tuple[dt.datetime, str, dict[str, Any]]]]:
        out = {}
        for sim_id, case_id in self.cases.items():
            rows = TimelineEvent.objects.filter(case_id=case_id).order_by("at", "id")
            out[sim_id] = [(r.at, r.type, r.payload) for r in rows if r.type not in SHELL_ROWS]
        return out


def assert_same_timelines(result: Result, real: dict[str, list[Any]]) -> None:
    assert set(real) == set(result.detail)
    for sim_id, (_, simulated) in result.detail.items():
        got = real[sim_id]
        assert [(at, kind) for at, kind, _ in got] == [(at, kind) for at, kind, _ in simulated], (
            sim_id
        )
        for (_, kind, payload), (_, _, sim_payload) in zip(got, simulated, strict=True):
            # The engine refers to messages and tasks by position; the shell by id.
            wanted = {k: v for k, v in sim_payload.items() if k != "index"}
            assert {k: payload.get(k) for k in wanted} == _json(wanted), (sim_id, kind)


def _json(payload: dict[str, Any]) -> dict[str, Any]:
    # What a JSON column gives back: tuples as lists.
    import json

    return json.loads(json.dumps(payload, default=str))


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield
    clock.set_now(None)


def test_onboarding_simulated_and_replayed_on_the_shell_give_the_same_timelines() -> None:
    playbook_install((PLAYBOOKS / "customer-onboarding.yaml").read_text())
    sc = onboarding_scenario()
    result = simulate(ONBOARDING, sc, keep_timelines=True)
    kinds = {kind for inputs in result.inputs.values() for _, kind, _ in inputs}
    assert kinds == {"arrive", "complete", "open_task", "document", "reply"}
    assert result.cases["closed"] > 0 and result.cases["open_by_state"]  # both outcomes
    replay = Replay(result, staff_like(sc))
    replay.run(until=sc.start + dt.timedelta(days=sc.days))
    assert_same_timelines(result, replay.timelines())
    states = dict(Case.objects.filter(pk__in=replay.cases.values()).values_list("pk", "state"))
    assert {sim: states[real] for sim, real in replay.cases.items()} == {
        sim: state for sim, (state, _) in result.detail.items()
    }


def test_service_orders_simulated_and_replayed_on_the_shell_give_the_same_timelines() -> None:
    playbook_install((PLAYBOOKS / "service-order.yaml").read_text())
    channel, _ = channel_create(
        key="sim", name="Simulated channel", webhook_url="http://127.0.0.1:9/"
    )
    sc = service_order_scenario()
    result = simulate(SERVICE_ORDER, sc, keep_timelines=True)
    kinds = {kind for inputs in result.inputs.values() for _, kind, _ in inputs}
    assert kinds == {"arrive", "reply", "complete", "manual", "visit"}
    assert set(result.cases["by_final_state"]) >= {"closed", "lost"}
    replay = Replay(result, staff_like(sc), SalesChannel.objects.get(pk=channel.pk))
    replay.run(until=sc.start + dt.timedelta(days=sc.days))
    assert_same_timelines(result, replay.timelines())
    assert Customer.objects.count() == result.cases["arrived"]
