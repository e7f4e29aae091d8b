"""The simulator (opsdesk.sim): the real engine on a virtual clock, no database."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from opsdesk.playbook.loader import load, load_file
from opsdesk.sim.runner import simulate
from opsdesk.sim.scenario import Scenario

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
ONBOARDING = load_file(PLAYBOOKS / "customer-onboarding.yaml")
SERVICE_ORDER = load_file(PLAYBOOKS / "service-order.yaml")

# One state opening a task for a shared pool, then final: an M/M/c queue.
QUEUE = load(
    """
key: mmc
version: 1
title: One task, then done
case_prefix: MMC
languages: [en]
default_language: en
trigger: {events: [customer.created]}
tasks:
  work: {title: Work, assignee: unassigned}
states:
  queued:
    initial: true
    on_enter: [open_task: work]
    transitions:
      - {on: task.completed, to: done}
  done: {final: true}
"""
)

TIMED = load(
    """
key: sla-sim
version: 1
title: Done within an hour
case_prefix: SLA
languages: [en]
default_language: en
trigger: {events: [customer.created]}
tasks:
  work: {title: Work, assignee: unassigned}
  escalation: {title: Late, assignee: unassigned}
slas:
  hour:
    starts: [queued]
    stops: [done]
    target: {minutes: 60}
    on_breach: [open_task: escalation]
states:
  queued:
    initial: true
    on_enter: [open_task: work]
    transitions:
      - {on: task.completed, when: "tasks.work == 'DONE'", to: done}
  done: {final: true}
"""
)


def scenario(**changes: Any) -> Scenario:
    base: dict[str, Any] = {
        "days": 7,
        "start": "2026-11-02T09:00:00+03:00",  # a Monday in Istanbul
        "seed": 1,
        "arrivals": {"per_hour": 2},
        "agents": [{"team": None, "count": 2, "languages": ["en", "tr"]}],
        "handling": {"default": 20},
    }
    return Scenario.model_validate({**base, **changes})


def service_order_scenario(**customer: Any) -> Scenario:
    return scenario(
        days=12,
        arrivals={"per_hour": 3, "stop_after_days": 5},
        fields={"service_type": {"fiber_install": 0.7, "modem_swap": 0.3}},
        order={"customer_type": "residential"},
        customer={"language": {"tr": 0.8, "en": 0.2}, **customer},
        agents=[
            {"team": "Retention", "count": 3, "languages": ["tr", "en"]},
            {"team": None, "count": 2, "languages": ["tr", "en"]},
        ],
    )


# --- (a) reproducible ------------------------------------------------------------


def test_the_same_seed_gives_the_same_result_and_another_seed_does_not() -> None:
    sc = service_order_scenario(
        channels={"WHATSAPP": {"reply_probability": 0.5, "mean_delay_minutes": 30}},
        intents={"confirm": 0.6, "reject": 0.3, "reschedule": 0.1},
    )
    first = simulate(SERVICE_ORDER, sc).to_dict()
    assert simulate(SERVICE_ORDER, sc).to_dict() == first
    other = simulate(SERVICE_ORDER, sc.model_copy(update={"seed": 2})).to_dict()
    assert other != first
    assert first["cases"]["arrived"] > 0


# --- (b) queueing theory ------------------------------------------------------------


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """The mean wait in queue of an M/M/c queue (Erlang C), in the rates' time unit."""
    a = arrival_rate / service_rate
    rho = a / servers
    top = a**servers / math.factorial(servers) / (1 - rho)
    bottom = sum(a**k / math.factorial(k) for k in range(servers)) + top
    return (top / bottom) / (servers * service_rate - arrival_rate)


def test_a_pool_of_agents_waits_as_erlang_c_predicts() -> None:
    # c = 3 agents, 30 minutes per task (mu = 2/h), lambda = 4.8/h: rho = 0.8.
    # About 35,000 arrivals: across seeds the mean wait spreads by some 6% (one
    # standard deviation) at this length; the seed is fixed, so the check is exact.
    sc = scenario(
        days=300,
        arrivals={"per_hour": 4.8},
        agents=[{"team": None, "count": 3}],
        handling={"work": 30},
    )
    result = simulate(QUEUE, sc)
    expected_minutes = erlang_c_wait(4.8, 2.0, 3) * 60  # about 32.4
    assert result.cases["arrived"] > 30_000
    assert abs(result.tasks["waiting_mean"] - expected_minutes) / expected_minutes < 0.10
    # The pool is busy rho of the time (the first idle agent takes the next task,
    # so the load is not spread evenly, but the sum is what the queue sees).
    assert abs(sum(result.utilisation.values()) / 3 - 0.8) < 0.02


# --- (c) the onboarding playbook -----------------------------------------------------


def test_a_week_of_onboarding_runs_and_every_timeline_is_coherent() -> None:
    sc = scenario(
        fields={"service_type": {"immigration": 0.7, "insurance": 0.3}},
        customer={
            "language": {"tr": 0.5, "en": 0.5},
            "channels": {"WHATSAPP": {"reply_probability": 0.3, "mean_delay_minutes": 60}},
        },
        agents=[
            {
                "team": "Onboarding",
                "count": 4,
                "languages": ["tr", "en"],
                "service_types": ["immigration", "insurance"],
            }
        ],
    )
    result = simulate(ONBOARDING, sc, keep_timelines=True)
    assert result.cases["arrived"] == len(result.detail) > 200
    # The intake task's quality checks need the manual follow-up task, which nobody
    # opens in a simulation: every completion is refused, retried, then dropped.
    assert result.tasks["completed"] == 0
    assert result.tasks["refused"] > 0
    assert result.tasks["dropped"] > 0
    assert result.milestones == {}
    for case_id, (state, timeline) in result.detail.items():
        _assert_coherent(case_id, state, timeline)


def _assert_coherent(case_id: str, state: str | None, timeline: list[Any]) -> None:
    moments = [at for at, _, _ in timeline]
    assert moments == sorted(moments), case_id
    assert timeline[0][1] == "CASE_OPENED"
    current = ONBOARDING.initial_state
    for _, kind, payload in timeline:
        if kind == "STATE_CHANGED":
            assert payload["from"] == current, case_id
            current = payload["to"]
    assert current == state, case_id
    if ONBOARDING.states[state].final:
        entered = max(at for at, kind, _ in timeline if kind == "STATE_CHANGED")
        assert moments[-1] == entered, case_id  # nothing happens after the end


# --- (d) the service-order cadence ------------------------------------------------------


def test_without_replies_every_order_goes_to_retention_through_the_cadence() -> None:
    result = simulate(SERVICE_ORDER, service_order_scenario())
    arrived = result.cases["arrived"]
    assert arrived > 100
    assert result.cases["open_by_state"] == {"retention": arrived}
    assert result.cadences == {"started": arrived, "stopped": 0, "finished": arrived}
    assert result.milestones == {"not_responding": arrived}
    assert result.unsupported["hand_backs"] == arrived
    assert result.replies == {}


def test_when_every_customer_confirms_no_order_reaches_retention() -> None:
    result = simulate(
        SERVICE_ORDER,
        service_order_scenario(
            channels={"WHATSAPP": {"reply_probability": 1, "mean_delay_minutes": 20}},
            intents={"confirm": 1},
        ),
    )
    arrived = result.cases["arrived"]
    assert "retention" not in result.cases["open_by_state"]
    assert result.milestones.get("not_responding", 0) == 0
    assert result.milestones["confirmed"] == arrived
    assert result.cadences["stopped"] == arrived
    # Booking is not simulated: each confirmed order waits in scheduling, counted.
    assert result.cases["open_by_state"] == {"scheduling": arrived}
    assert result.unsupported["appointments"] == arrived


# --- (e) service levels ---------------------------------------------------------------------


def test_handling_longer_than_the_target_breaches_every_service_level() -> None:
    sc = scenario(
        days=2,
        arrivals={"per_hour": 1, "stop_after_days": 1},
        agents=[{"team": None, "count": 100}],  # nobody waits
        handling={"work": 90},
        handling_distribution="fixed",
    )
    result = simulate(TIMED, sc)
    arrived = result.cases["arrived"]
    assert arrived > 10
    assert result.slas == {
        "hour": {
            "started": arrived,
            "met": 0,
            "breached": arrived,
            "warnings": 0,
            "attainment": 0.0,
        }
    }
    assert result.cases["closed"] == arrived


def test_handling_within_the_target_meets_every_service_level() -> None:
    sc = scenario(
        days=2,
        arrivals={"per_hour": 1, "stop_after_days": 1},
        agents=[{"team": None, "count": 100}],
        handling={"work": 45},
        handling_distribution="fixed",
    )
    result = simulate(TIMED, sc)
    arrived = result.cases["arrived"]
    assert result.slas["hour"] == {
        "started": arrived,
        "met": arrived,
        "breached": 0,
        "warnings": 0,
        "attainment": 1.0,
    }
    assert result.tasks["waiting_mean"] == 0.0
    assert result.tasks["system_mean"] == 45.0


def test_the_summary_and_the_json_name_the_figures() -> None:
    result = simulate(TIMED, scenario(days=1, handling_distribution="fixed"))
    assert "SLA hour:" in result.summary()
    assert yaml.safe_load(yaml.safe_dump(result.to_dict())) == result.to_dict()


def test_two_groups_of_one_team_are_numbered_on() -> None:
    sc = scenario(days=0.5, agents=[{"team": None, "count": 2}, {"team": None, "count": 1}])
    assert list(simulate(QUEUE, sc).utilisation) == ["agt_pool_001", "agt_pool_002", "agt_pool_003"]
