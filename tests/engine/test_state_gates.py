"""State gates (`requires`): entering a state is refused, whichever way, while a
gate does not hold; an automatic transition waits instead."""

from __future__ import annotations

import datetime as dt

from opsdesk.engine.decide import decide
from opsdesk.engine.types import CaseSnapshot, Event
from opsdesk.playbook.loader import load, problems_in

PLAYBOOK = """
key: gated
version: 1
title: No service before payment
case_prefix: GAT
languages: [en]
default_language: en
trigger: {events: [customer.created]}
fields:
  paid: {type: choice, choices: ["none", deposit, full], label: Paid}
tasks:
  confirm_itinerary:
    title: Confirm the itinerary
states:
  quoted:
    initial: true
    on_enter: [open_task: confirm_itinerary]
    transitions:
      - on: manual
        label: Start the service
        to: in_service
      - on: task.completed
        when: "event.key == 'confirm_itinerary'"
        to: in_service
      - on: manual
        label: Wait for the payment
        to: waiting
  waiting:
    transitions:
      - when: "true"
        to: in_service
  in_service:
    requires:
      - when: "fields.paid in ['deposit', 'full']"
        message: "No service begins without confirmed payment or deposit"
    on_enter: [note: started]
    transitions:
      - on: manual
        label: Done
        to: done
  done:
    final: true
"""
PB = load(PLAYBOOK)
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
REFUSAL = ["No service begins without confirmed payment or deposit"]


def snap(paid: str | None, state: str = "quoted") -> CaseSnapshot:
    return CaseSnapshot(
        id="case_1",
        number="GAT-2026-000001",
        state=state,
        fields={"paid": paid},
        customer={"language": "en"},
        tasks={"confirm_itinerary": "OPEN"},
    )


def test_a_button_or_the_api_is_refused_until_paid() -> None:
    refused = decide(PB, snap(None), Event("manual", {"to": "in_service"}), NOW)
    assert (refused.refused, refused.state_to, refused.timeline) == (REFUSAL, None, [])
    allowed = decide(PB, snap("deposit"), Event("manual", {"to": "in_service"}), NOW)
    assert (allowed.refused, allowed.state_to) == ([], "in_service")


def test_an_event_that_would_start_the_service_is_refused_too() -> None:
    done = Event("task.complete", {"key": "confirm_itinerary", "by": "7"})
    refused = decide(PB, snap("none"), done, NOW)
    assert (refused.refused, refused.tasks_to_complete) == (REFUSAL, [])
    allowed = decide(PB, snap("full"), done, NOW)
    assert (allowed.state_to, allowed.tasks_to_complete) == ("in_service", ["confirm_itinerary"])


def test_an_automatic_transition_waits_for_the_gate() -> None:
    waiting = decide(PB, snap(None, state="waiting"), Event("reassess"), NOW)
    assert (waiting.refused, waiting.state_to) == ([], None)
    paid = decide(PB, snap("deposit", state="waiting"), Event("reassess"), NOW)
    assert paid.state_to == "in_service"


def test_a_gate_with_an_unknown_name_is_a_playbook_problem() -> None:
    broken = PLAYBOOK.replace("fields.paid in", "fields.payd in")
    assert [(p.path, p.message) for p in problems_in(broken)] == [
        ("states.in_service.requires[0].when", "no field 'payd' (fields: paid)")
    ]
