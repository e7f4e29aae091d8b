"""Four-eyes reviews (`review: {of: ..., four_eyes: true}`) and contexts other
apps add to the snapshot (`application`)."""

from __future__ import annotations

import datetime as dt

from opsdesk.engine.decide import decide
from opsdesk.engine.types import CaseSnapshot, Event
from opsdesk.playbook.loader import load, problems_in

PLAYBOOK = """
key: reviewed
version: 1
title: Reviewed work
case_prefix: REV
languages: [en]
default_language: en
trigger:
  events: [customer.created]
fields:
  qa_outcome: {type: choice, choices: [approve, reject], label: QA outcome}
  qa_reasons: {type: text, label: Reasons}
tasks:
  prepare:
    title: "Prepare the pack for {{ application.country }}"
  qa:
    title: QA review of the pack
    assignee: {team: QA}
    review: {of: prepare, four_eyes: true}
    fields: [qa_outcome, qa_reasons]
states:
  preparing:
    initial: true
    on_enter: [open_task: prepare]
    transitions:
      - on: task.completed
        when: "event.key == 'prepare'"
        to: reviewing
  reviewing:
    on_enter: [open_task: qa]
    transitions:
      - on: task.completed
        when: "fields.qa_outcome == 'reject'"
        to: preparing
      - on: task.completed
        when: "fields.qa_outcome == 'approve'"
        to: done
  done:
    final: true
"""
PB = load(PLAYBOOK)
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def snap(**changes: object) -> CaseSnapshot:
    base = {
        "id": "case_1",
        "number": "REV-2026-000001",
        "state": "reviewing",
        "fields": {},
        "customer": {"language": "en"},
        "tasks": {"prepare": "DONE", "qa": "OPEN"},
        "task_done_by": {"prepare": "7"},
        "extra": {"application": {"country": "DE"}},
    }
    return CaseSnapshot(**{**base, **changes})  # type: ignore[arg-type]


def review(by: str, outcome: str = "approve") -> Event:
    return Event("task.complete", {"key": "qa", "fields": {"qa_outcome": outcome}, "by": by})


def test_the_person_who_prepared_the_work_cannot_review_it() -> None:
    d = decide(PB, snap(), review(by="7"), NOW)
    assert d.refused == [
        "Four eyes: you completed the work under review (prepare); someone else must review it"
    ]
    assert (d.state_to, d.tasks_to_complete, d.fields_to_set) == (None, [], {})


def test_someone_else_reviews_and_a_rejection_sends_the_work_back() -> None:
    approved = decide(PB, snap(), review(by="8"), NOW)
    assert (approved.refused, approved.state_to, approved.tasks_to_complete) == (
        [],
        "done",
        ["qa"],
    )
    rejected = decide(PB, snap(), review(by="8", outcome="reject"), NOW)
    assert (rejected.state_to, [t.key for t in rejected.tasks_to_open]) == (
        "preparing",
        ["prepare"],
    )


def test_another_apps_context_is_seen_by_templates() -> None:
    d = decide(
        PB,
        snap(state=None, tasks={}),
        Event("case.opened"),
        NOW,
    )
    assert [t.title for t in d.tasks_to_open] == ["Prepare the pack for DE"]


def test_a_review_of_an_unknown_task_is_a_playbook_problem() -> None:
    broken = PLAYBOOK.replace("review: {of: prepare", "review: {of: prepair")
    assert [(p.path, p.message) for p in problems_in(broken)] == [
        ("tasks.qa.review.of", "no task 'prepair'")
    ]


def test_a_team_task_goes_to_the_least_loaded_member_who_did_not_do_the_work() -> None:
    from opsdesk.engine.types import AgentInfo

    busy = AgentInfo("agt_busy", "Busy", capacity=10, open_work=9, team_name="QA", user_id="1")
    preparer = AgentInfo("agt_prep", "Prep", capacity=10, open_work=0, team_name="QA", user_id="7")
    free = AgentInfo("agt_free", "Free", capacity=10, open_work=2, team_name="QA", user_id="2")
    outside = AgentInfo("agt_out", "Out", capacity=10, open_work=0, team_name="Desk", user_id="3")
    d = decide(
        PB,
        snap(state="preparing", tasks={"prepare": "OPEN"}, task_done_by={},
             candidates=lambda: [busy, preparer, free, outside]),
        Event("task.complete", {"key": "prepare", "by": "7"}),
        NOW,
    )  # fmt: skip
    assert [(t.key, t.assignee_id) for t in d.tasks_to_open] == [("qa", "agt_free")]
