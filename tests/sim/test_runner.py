"""The simulator (opsdesk.sim): the real engine on a virtual clock, no database."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from opsdesk.playbook.loader import load, load_file
from opsdesk.sim.runner import simulate
from opsdesk.sim.scenario import Scenario, ScenarioError

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


# An eligible order on Istanbul's Asian side: routed to the Istanbul COBO team.
KADIKOY_ORDER = {
    "customer_type": "residential",
    "city": "İstanbul",
    "postcode": "34710",
    "latitude": 40.98,
    "longitude": 29.06,
    "documents": [{"type": "id_card", "valid_until": "2030-01-01"}],
}


def service_order_scenario(**customer: Any) -> Scenario:
    return scenario(
        days=12,
        arrivals={"per_hour": 3, "stop_after_days": 5},
        fields={"service_type": {"fiber_install": 0.7, "modem_swap": 0.3}},
        order=KADIKOY_ORDER,
        customer={"language": {"tr": 0.8, "en": 0.2}, **customer},
        agents=[
            {"team": "Retention", "count": 3, "languages": ["tr", "en"]},
            {"team": "Istanbul COBO", "count": 2, "languages": ["tr", "en"]},
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
    # opens in this scenario: every completion is refused, retried, then dropped.
    assert result.tasks["completed"] == 0
    assert result.tasks["refused"] > 0
    assert result.tasks["dropped"] > 0
    assert result.milestones == {}
    for case_id, (state, timeline) in result.detail.items():
        _assert_coherent(case_id, state, timeline)


def test_onboarding_closes_when_agents_open_the_follow_up_and_documents_arrive() -> None:
    sc = scenario(
        days=21,
        arrivals={"per_hour": 1, "stop_after_days": 5},
        fields={"service_type": {"immigration": 0.7, "insurance": 0.3}},
        customer={"language": {"tr": 0.5, "en": 0.5}, "uploads": {"mean_delay_hours": 24}},
        agents=[
            {
                "team": "Onboarding",
                "count": 4,
                "languages": ["tr", "en"],
                "service_types": ["immigration", "insurance"],
            }
        ],
        work={"intake": {"open_first": ["follow_up"]}},
    )
    result = simulate(ONBOARDING, sc, keep_timelines=True)
    arrived = result.cases["arrived"]
    assert arrived > 80
    # Every document arrives (probability 1) within the 16 days left: all onboarded.
    assert result.cases["by_final_state"] == {"onboarded": arrived}
    assert result.activity["manual_tasks"] == arrived  # one follow-up each
    assert result.tasks["refused"] == 0
    received = sum(
        1 for inputs in result.inputs.values() for _, kind, _ in inputs if kind == "document"
    )
    assert result.activity["documents_received"] == received > arrived
    for case_id, (state, timeline) in result.detail.items():
        _assert_coherent(case_id, state, timeline)
        kinds = [kind for _, kind, _ in result.inputs[case_id]]
        # The agent opened the follow-up before completing the intake.
        assert kinds.index("open_task") < kinds.index("complete"), case_id


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
        assert timeline[-1][1] == "CASE_CLOSED"
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
        keep_timelines=True,
    )
    arrived = result.cases["arrived"]
    assert "retention" not in result.cases["open_by_state"]
    assert result.milestones.get("not_responding", 0) == 0
    assert result.milestones["confirmed"] == arrived
    assert result.cadences["stopped"] == arrived
    # 3 an hour for 5 days is far more than 4 slots of 3 visits a day: the slots
    # of the 14-day horizon fill up, the rest wait in scheduling for a person.
    booked = result.activity["appointment_booked"]
    waiting = result.cases["open_by_state"]["scheduling"]
    assert booked + waiting == arrived
    assert result.activity["appointment_not_booked"] == waiting
    _assert_no_slot_overbooked(result, capacity=3)


def test_orders_run_to_the_survey_with_visits_retention_and_shifts() -> None:
    sc = service_order_scenario(
        channels={"WHATSAPP": {"reply_probability": 1, "mean_delay_minutes": 20}},
        intents={"confirm": 0.8, "reject": 0.2},
        templates={
            # The survey's buttons; other messages (scheduled, on the way) get no answer.
            "survey": {
                "reply_probability": 1,
                "mean_delay_minutes": 60,
                "payloads": {"rating_5": 1},
            },
            "scheduled": {"reply_probability": 0},
            "on_the_way": {"reply_probability": 0},
            "completed": {"reply_probability": 0},
            "survey_thanks": {"reply_probability": 0},
        },
    )
    sc = Scenario.model_validate(
        {
            **sc.model_dump(),
            "days": 30,
            "arrivals": {"per_hour": 0.25, "stop_after_days": 5},
            "work": {"retention_call": {"then": {"lost": 1.0}}},
            "visits": {"travel_minutes": 30, "completion_probability": 1.0},
        }
    )
    result = simulate(SERVICE_ORDER, sc, keep_timelines=True)
    arrived = result.cases["arrived"]
    assert arrived > 20
    final = result.cases["by_final_state"]
    # Confirmed orders are visited, surveyed and rated 5; rejected ones are lost.
    assert final == {
        "closed": result.milestones["confirmed"],
        "lost": result.milestones["rejected"],
    }
    assert sum(final.values()) == arrived
    assert result.activity["work_completed"] == result.milestones["confirmed"]
    assert result.replies["rating_5"] == result.milestones["confirmed"]
    assert result.tasks["opened"] == result.milestones["rejected"] + result.milestones["confirmed"]
    for case_id, (state, timeline) in result.detail.items():
        kinds = [kind for _, kind, _ in timeline]
        if state == "closed":
            booked = next(p for _, k, p in timeline if k == "APPOINTMENT_BOOKED")
            start = dt.datetime.fromisoformat(booked["start"])
            on_way = next(
                at for at, k, p in timeline if k == "STATE_CHANGED" and p["to"] == "on_the_way"
            )
            surveyed = next(
                at for at, k, p in timeline if k == "STATE_CHANGED" and p["to"] == "surveying"
            )
            # Sets off 30 minutes before the start, done 90 minutes after it.
            assert on_way == start - dt.timedelta(minutes=30), case_id
            assert surveyed == start + dt.timedelta(minutes=90), case_id
            assert kinds.count("FIELD_SET") >= 1  # the rating
    _assert_no_slot_overbooked(result, capacity=3)


def _assert_no_slot_overbooked(result: Any, capacity: int) -> None:
    per_start: Counter[str] = Counter()
    for _, timeline in result.detail.values():
        for _, kind, payload in timeline:
            if kind == "APPOINTMENT_BOOKED":
                per_start[payload["start"]] += 1
            elif kind == "APPOINTMENT_CANCELLED":
                per_start[payload["start"]] -= 1
    assert per_start and max(per_start.values()) <= capacity


def test_agents_pick_up_work_only_on_their_shift() -> None:
    sc = scenario(
        days=7,
        arrivals={"per_hour": 3},  # around the clock: more than two agents' shifts can do
        agents=[
            {
                "team": None,
                "count": 2,
                "shift": {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"},
            }
        ],
        handling={"work": 20},
        handling_distribution="fixed",
    )
    result = simulate(QUEUE, sc, keep_timelines=True)
    zone = ZoneInfo("UTC")
    picked = [
        at - dt.timedelta(minutes=20)
        for inputs in result.inputs.values()
        for at, kind, _ in inputs
        if kind == "complete"
    ]
    assert len(picked) > 100
    for moment in picked:
        local = moment.astimezone(zone)
        assert local.weekday() < 5 and dt.time(9) <= local.time() < dt.time(18), moment
    # The first shift is Monday 09:00 UTC: what arrived before it waited for it.
    assert min(picked) == dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    # Nothing is picked up at the weekend (days 5 and 6: Saturday and Sunday); on
    # weekdays the night's arrivals wait for 09:00.
    daily = result.waiting_daily
    assert len(daily) == 7 and daily[5] == daily[6] == 0.0
    assert all(minutes > 60 for minutes in daily[:5])
    # The nights' backlog keeps both busy from Tuesday on: 27 tasks of 20 minutes a day.
    per_day = Counter(
        (at.date().day, data["agent"])
        for inputs in result.inputs.values()
        for at, kind, data in inputs
        if kind == "complete"
    )
    for day in (3, 4, 5, 6):
        assert per_day[(day, "agt_pool_001")] == per_day[(day, "agt_pool_002")] == 27
    # Utilisation is of the time on shift (5 days x 9 hours = 2,700 minutes).
    for agent, share in result.utilisation.items():
        done = sum(n for (_, who), n in per_day.items() if who == agent)
        assert share == round(done * 20 / 2700, 4)


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


def test_orders_are_assessed_as_the_intake_does() -> None:
    def run(**order: Any) -> Any:
        sc = service_order_scenario()
        return simulate(SERVICE_ORDER, Scenario.model_validate({**sc.model_dump(), "order": order}))

    # No identity document: every order is refused and handed back, no case opens.
    refused = run(**{**KADIKOY_ORDER, "documents": []})
    arrived = refused.cases["arrived"]
    assert arrived > 100
    assert refused.cases["opened"] == 0
    assert refused.activity == {"orders_ineligible": arrived}
    assert refused.unsupported["hand_backs"] == arrived
    # Outside every zone: eligible, but no rule routes it, so it waits for a person.
    unrouted = run(**{**KADIKOY_ORDER, "latitude": 38.4, "longitude": 27.1, "postcode": "35000"})
    assert unrouted.cases["opened"] == 0
    assert unrouted.activity == {"orders_to_route_by_hand": arrived}
    # In Kadıköy: every order opens a case for Istanbul COBO.
    routed = run(**KADIKOY_ORDER)
    assert routed.cases["opened"] == arrived
    assert routed.events > arrived


def test_what_agents_record_must_be_what_the_task_asks_for() -> None:
    def problems(work: dict[str, Any]) -> list[str]:
        sc = Scenario.model_validate({**service_order_scenario().model_dump(), "work": work})
        with pytest.raises(ScenarioError) as caught:
            simulate(SERVICE_ORDER, sc)
        return caught.value.problems

    assert problems({"retention_call": {"fields": {"rating": 5}}, "nope": {}}) == [
        "work.retention_call.fields.rating: the task does not ask for it",
        "work.nope: the playbook has no task 'nope'",
    ]


def test_a_choice_the_scenario_leaves_out_is_drawn_in_equal_shares() -> None:
    result = simulate(SERVICE_ORDER, service_order_scenario(), keep_timelines=True)
    causes = Counter(
        data["fields"]["rejection_cause"]
        for inputs in result.inputs.values()
        for _, kind, data in inputs
        if kind == "complete" and data["key"] == "retention_call"
    )
    assert set(causes) == set(SERVICE_ORDER.fields["rejection_cause"].choices)


def test_milestones_count_cases_once_with_the_mean_hours_to_reach_them() -> None:
    pb = load(
        """
key: served
version: 1
title: Served twice over
case_prefix: SRV
languages: [en]
default_language: en
trigger: {events: [customer.created]}
tasks:
  work: {title: Work, assignee: unassigned}
  more: {title: More, assignee: unassigned}
states:
  queued:
    initial: true
    on_enter: [open_task: work]
    transitions:
      - on: task.completed
        when: "tasks.work == 'DONE' and tasks.more is not defined"
        do: [milestone: served, open_task: more]
      - {on: task.completed, when: "tasks.more == 'DONE'", to: done, do: [milestone: served]}
  done: {final: true}
"""
    )
    sc = scenario(
        days=2,
        arrivals={"per_hour": 1, "stop_after_days": 1},
        agents=[{"team": None, "count": 100}],  # nobody waits
        handling={"work": 45, "more": 15},
        handling_distribution="fixed",
    )
    result = simulate(pb, sc)
    arrived = result.cases["arrived"]
    assert result.cases["closed"] == arrived > 10
    # Reached twice by every case, counted once, at 45 minutes (the first time).
    assert result.milestones == {"served": arrived}
    assert result.milestone_hours == {"served": 0.75}


def test_lognormal_handling_keeps_the_mean_with_the_given_spread() -> None:
    sc = scenario(
        days=30,
        arrivals={"per_hour": 4, "stop_after_days": 28},
        agents=[{"team": None, "count": 100}],  # nobody waits: time in system = handling
        handling={"work": 45},
        handling_distribution="lognormal",
        handling_cv=0.5,
    )
    result = simulate(QUEUE, sc)
    assert result.tasks["completed"] > 2500
    assert result.tasks["waiting_mean"] == 0.0
    # Mean 45 minutes (within 2%). With cv 0.5, sigma = sqrt(ln 1.25) = 0.4724 and the
    # p95 is mean x exp(1.6449 sigma - sigma^2 / 2) = 87.5 minutes (within 4%).
    assert abs(result.tasks["system_mean"] - 45) < 0.9
    assert abs(result.tasks["system_p95"] - 87.5) < 3.5
    exponential = simulate(QUEUE, sc.model_copy(update={"handling_distribution": "exponential"}))
    # An exponential's p95 is ln(20) = 3.0 x its mean: the cv is what differs.
    assert abs(exponential.tasks["system_p95"] - 45 * math.log(20)) < 6
