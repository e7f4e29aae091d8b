"""Service levels (`slas`): the clock starts and stops with states, warns and
escalates on the business calendar, on a virtual clock."""

from __future__ import annotations

import datetime as dt

from opsdesk.engine.decide import decide
from opsdesk.engine.types import CaseSnapshot, Event
from opsdesk.playbook.loader import load, problems_in

PLAYBOOK = """
key: sla-demo
version: 1
title: Review within 24 business hours
case_prefix: SLA
languages: [en]
default_language: en
calendar: {country: TR, timezone: Europe/Istanbul}
trigger: {events: [customer.created]}
tasks:
  escalation:
    title: "Escalated: {{ case.number }} was not reviewed in time"
    assignee: unassigned
slas:
  review:
    label: Reviewed and assigned within 24 business hours
    starts: [intake]
    stops: [assigned]
    target: {business_hours: 24}
    warning: {business_hours: 20}
    on_warning: [note: "4 business hours left to review {{ case.number }}"]
    on_breach: [open_task: escalation]
states:
  intake:
    initial: true
    transitions:
      - on: manual
        label: Assigned
        to: assigned
  assigned:
    transitions:
      - on: manual
        label: Done
        to: done
  done:
    final: true
"""
PB = load(PLAYBOOK)
# Monday 2 November 2026, 10:00 in Istanbul; business hours 09:00-18:00.
MON_10 = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)
WED_12 = dt.datetime(2026, 11, 4, 9, 0, tzinfo=dt.UTC)  # + 20 business hours (8 + 9 + 3)
WED_16 = dt.datetime(2026, 11, 4, 13, 0, tzinfo=dt.UTC)  # + 24 business hours (8 + 9 + 7)


def snap(**changes: object) -> CaseSnapshot:
    base = {
        "id": "case_1",
        "number": "SLA-2026-000001",
        "state": None,
        "fields": {},
        "customer": {"language": "en"},
    }
    return CaseSnapshot(**{**base, **changes})  # type: ignore[arg-type]


def test_entering_the_start_state_sets_the_warning_and_the_breach_on_business_hours() -> None:
    d = decide(PB, snap(), Event("case.opened"), MON_10)
    assert sorted((t.name, t.due_at) for t in d.timers_to_set) == [
        ("sla__review__breach", WED_16),
        ("sla__review__warning", WED_12),
    ]
    assert [(e.type, e.payload) for e in d.timeline if e.type.startswith("SLA")] == [
        ("SLA_STARTED", {"sla": "review", "due_at": WED_16.isoformat()})
    ]


def test_the_warning_then_the_breach_escalate() -> None:
    running = snap(
        state="intake", timers=frozenset({"sla__review__warning", "sla__review__breach"})
    )
    warned = decide(PB, running, Event("timer.sla__review__warning"), WED_12)
    assert [(e.type, e.payload) for e in warned.timeline] == [
        ("SLA_WARNING", {"sla": "review"}),
        ("NOTE", {"text": "4 business hours left to review SLA-2026-000001"}),
    ]
    assert warned.tasks_to_open == []
    breached = decide(
        PB, snap(state="intake", timers=frozenset({"sla__review__breach"})),
        Event("timer.sla__review__breach"), WED_16,
    )  # fmt: skip
    assert [t.title for t in breached.tasks_to_open] == [
        "Escalated: SLA-2026-000001 was not reviewed in time"
    ]
    assert breached.timeline[0].type == "SLA_BREACHED"


def test_reaching_the_stop_state_in_time_meets_it_and_cancels_the_clocks() -> None:
    running = snap(
        state="intake", timers=frozenset({"sla__review__warning", "sla__review__breach"})
    )
    d = decide(PB, running, Event("manual", {"to": "assigned"}), WED_12)
    assert sorted(d.timers_to_cancel) == ["sla__review__breach", "sla__review__warning"]
    assert [e.type for e in d.timeline if e.type.startswith("SLA")] == ["SLA_MET"]
    late = snap(state="intake", timers=frozenset())  # already breached: nothing to meet
    d = decide(PB, late, Event("manual", {"to": "assigned"}), WED_16)
    assert (d.timers_to_cancel, [e.type for e in d.timeline if e.type.startswith("SLA")]) == (
        [],
        [],
    )


def test_sla_mistakes_are_reported_with_their_path() -> None:
    broken = PLAYBOOK.replace("stops: [assigned]", "stops: [asigned]").replace(
        "warning: {business_hours: 20}", "warning: {business_hours: 30}"
    )
    assert [(p.path, p.message) for p in problems_in(broken)] == [
        ("slas.review.stops[0]", "no state 'asigned'"),
        ("slas.review.warning", "must come before the target"),
    ]
