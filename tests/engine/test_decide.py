"""The onboarding SOP through the pure engine, on a virtual clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from opsdesk.engine.calendar import BusinessCalendar
from opsdesk.engine.decide import decide
from opsdesk.engine.types import AgentInfo, CaseSnapshot, Event, ProfileIssue
from opsdesk.playbook.loader import load_file

PLAYBOOK = load_file(Path(__file__).resolve().parents[2] / "playbooks/customer-onboarding.yaml")
# Wednesday 28 October 2026, 10:00 Istanbul (07:00 UTC); Thursday 29 October is Republic Day.
WED = dt.datetime(2026, 10, 28, 7, 0, tzinfo=dt.UTC)
TR = BusinessCalendar(country="TR", timezone="Europe/Istanbul")

AYSE = AgentInfo("agt_ayse", "Ayşe Yılmaz", ("tr", "en"), ("immigration",), 10, 4, TR)
JOHN = AgentInfo("agt_john", "John Carter", ("en",), ("immigration", "insurance"), 10, 1, TR)
ELIF = AgentInfo("agt_elif", "Elif Demir", ("tr",), ("immigration",), 10, 2, TR)


def snapshot(**changes: Any) -> CaseSnapshot:
    base = CaseSnapshot(
        id="case_1",
        number="ONB-2026-000001",
        state=None,
        fields={"service_type": "immigration", "deadline": None, "intake_notes": None},
        customer={
            "given_name": "Mehmet",
            "middle_name": "Ali",
            "family_name": "Kaya",
            "full_name": "Mehmet Ali Kaya",
            "language": "tr",
            "phone": "+905321234567",
            "whatsapp": True,
            "email": "mehmet@example.com",
        },
        documents=("Biometric photo",),
        candidates=lambda: [AYSE, JOHN, ELIF],
    )
    return dataclasses.replace(base, **changes)


def test_intake_runs_every_sop_step_at_once() -> None:
    d = decide(PLAYBOOK, snapshot(), Event("case.opened"), WED)

    assert d.refused == []
    assert (d.state_from, d.state_to) == (None, "intake")
    # Step 2: service type, then language, then workload (Elif 2/10 beats Ayşe 4/10).
    assert d.assignment is not None
    assert d.assignment.agent_id == "agt_elif"
    assert d.assignment.reason == (
        "handles immigration; speaks tr; workload 2/10, lowest of 2 candidates"
    )
    # Steps 3, 6, 7: welcome, missing documents one per line, expectations.
    assert [m.template for m in d.messages] == ["welcome", "missing_documents", "expectations"]
    welcome = d.messages[0]
    assert welcome.channel == "WHATSAPP"
    assert welcome.to == "+905321234567"
    assert welcome.body == (
        "Merhaba Mehmet, Ikamet’e hoş geldiniz! Ben Elif Demir, size yardımcı olacak "
        "uzmanınızım. Bir sorunuz olursa buradan ulaşabilirsiniz."
    )
    assert welcome.whatsapp_template == "onboarding_welcome"
    assert [m.subject for m in d.messages] == ["", "", ""]  # subjects are for email only
    assert welcome.whatsapp_params == ("Mehmet", "Elif Demir")
    assert d.messages[1].body.splitlines() == [
        "Başvurunuz için aşağıdaki belgelere ihtiyacımız var:",
        "Passport (all pages)",
        "Residence permit card",
        "Rental contract or proof of address",
        "Health insurance policy",
    ]
    # Step 4: the intake task, due 2 business days later, skipping Republic Day.
    (task,) = d.tasks_to_open
    assert task.title == "Review Mehmet Ali Kaya — initial document check"
    assert task.priority == "MEDIUM"
    assert task.assignee_id == "agt_elif"
    assert task.due_at == dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # Mon 18:00 Istanbul
    assert "- Health insurance policy" in task.description.splitlines()
    assert "- Biometric photo" not in task.description.splitlines()
    assert [t.name for t in d.timers_to_set] == ["document_reminder"]
    assert d.timers_to_set[0].due_at == dt.datetime(2026, 11, 3, 15, 0, tzinfo=dt.UTC)
    assert [e.type for e in d.timeline] == [
        "STATE_CHANGED",
        "AGENT_ASSIGNED",
        "MESSAGE_QUEUED",
        "TASK_CREATED",
        "MESSAGE_QUEUED",
        "TIMER_SET",
        "MESSAGE_QUEUED",
    ]


def test_english_customer_gets_the_english_welcome_from_an_english_speaker() -> None:
    customer = {**snapshot().customer, "language": "en", "given_name": "Sarah"}
    d = decide(PLAYBOOK, snapshot(customer=customer), Event("case.opened"), WED)
    assert d.assignment is not None and d.assignment.agent_id == "agt_john"
    assert d.messages[0].body.startswith("Hello Sarah, welcome to Ikamet! I am John Carter,")


def test_priority_is_high_when_the_customer_deadline_is_near() -> None:
    near = {**snapshot().fields, "deadline": dt.date(2026, 11, 20)}
    far = {**snapshot().fields, "deadline": dt.date(2027, 3, 1)}
    assert (
        decide(PLAYBOOK, snapshot(fields=near), Event("case.opened"), WED).tasks_to_open[0].priority
        == "HIGH"
    )
    assert (
        decide(PLAYBOOK, snapshot(fields=far), Event("case.opened"), WED).tasks_to_open[0].priority
        == "MEDIUM"
    )


def test_profile_issues_raise_flags_and_hold_the_case_in_review() -> None:
    issues = (
        ProfileIssue("phone_no_country_code", "phone", "no country code"),
        ProfileIssue("nationality_missing", "nationality", "missing"),
    )
    d = decide(PLAYBOOK, snapshot(profile_issues=issues), Event("case.opened"), WED)
    assert d.state_to == "profile_review"
    assert [f.code for f in d.flags] == ["phone_no_country_code", "nationality_missing"]
    assert d.assignment is None and d.messages == [] and d.tasks_to_open == []


def test_resolving_the_last_flag_moves_on_and_flags_are_not_raised_twice() -> None:
    issues = (ProfileIssue("nationality_missing", "nationality", "missing"),)
    snap = snapshot(
        state="profile_review",
        profile_issues=issues,
        flag_codes=frozenset({"nationality_missing"}),
        flags_open=0,  # overridden with a reason, so the issue stays but the flag is closed
    )
    d = decide(PLAYBOOK, snap, Event("flag.resolved"), WED)
    assert d.flags == []
    assert d.state_to == "intake"
    assert d.assignment is not None


def test_no_agent_for_the_service_type_is_recorded_and_no_welcome_is_sent() -> None:
    fields = {**snapshot().fields, "service_type": "insurance"}
    d = decide(
        PLAYBOOK,
        snapshot(fields=fields, candidates=lambda: [AYSE, ELIF]),
        Event("case.opened"),
        WED,
    )
    assert d.assignment is None
    assert d.timeline[1].type == "ASSIGNMENT_FAILED"
    assert d.timeline[1].payload == {"reason": "no active agent handles service type 'insurance'"}
    assert [m.template for m in d.messages] == ["missing_documents", "expectations"]
    assert d.tasks_to_open[0].assignee_id is None


def test_intake_task_refuses_to_close_naming_every_unmet_check() -> None:
    snap = snapshot(state="intake", agent=None, order={"reviewed": False, "service_type": "x"})
    d = decide(PLAYBOOK, snap, Event("task.complete", {"key": "intake"}), WED)
    assert d.refused == [
        "Agent assigned",
        "Welcome message sent",
        "Required documents listed and communicated",
        "Order reviewed and service type confirmed",
        "Next follow-up task created",
    ]
    assert d.tasks_to_complete == [] and d.timeline == [] and d.state_to is None


def test_intake_task_closes_when_every_check_holds() -> None:
    snap = snapshot(
        state="intake",
        agent=AYSE,
        sent=frozenset({"welcome", "missing_documents", "expectations"}),
        order={"reviewed": True, "service_type": "immigration"},
        tasks={"intake": "OPEN", "follow_up": "OPEN"},
        timers=frozenset({"document_reminder"}),
    )
    d = decide(PLAYBOOK, snap, Event("task.complete", {"key": "intake"}), WED)
    assert d.refused == []
    assert d.tasks_to_complete == ["intake"]
    assert d.state_to == "collecting_documents"


def test_all_documents_in_completes_onboarding_and_cancels_the_reminder() -> None:
    docs = (
        "Passport (all pages)",
        "Biometric photo",
        "Residence permit card",
        "Rental contract or proof of address",
        "Health insurance policy",
    )
    snap = snapshot(
        state="collecting_documents", documents=docs, timers=frozenset({"document_reminder"})
    )
    d = decide(PLAYBOOK, snap, Event("document.received"), WED)
    assert d.state_to == "onboarded"
    assert d.timers_to_cancel == ["document_reminder"]
    assert d.timeline[-1].payload == {"text": "Onboarding complete: every required document is in."}


def test_reminder_timer_sends_the_reminder_and_sets_the_next_one() -> None:
    snap = snapshot(state="collecting_documents", agent=AYSE)
    friday = dt.datetime(2026, 10, 30, 15, 0, tzinfo=dt.UTC)  # 18:00 Istanbul
    d = decide(PLAYBOOK, snap, Event("timer.document_reminder"), friday)
    assert [m.template for m in d.messages] == ["document_reminder"]
    assert d.state_to is None
    # Three business days from Friday: Mon, Tue, Wed.
    assert d.timers_to_set[0].due_at == dt.datetime(2026, 11, 4, 15, 0, tzinfo=dt.UTC)


def test_manual_transition_is_refused_from_a_state_without_it() -> None:
    d = decide(PLAYBOOK, snapshot(state="onboarded"), Event("manual", {"to": "withdrawn"}), WED)
    assert d.refused == ["no manual transition to 'withdrawn' from 'onboarded'"]


def test_sending_a_template_the_customer_cannot_receive_is_refused() -> None:
    customer = {**snapshot().customer, "whatsapp": False}
    d = decide(
        PLAYBOOK,
        snapshot(state="intake", customer=customer),
        Event("send", {"template": "welcome"}),
        WED,
    )
    assert d.refused == ["cannot send 'welcome': the customer has no whatsapp address"]


def test_same_inputs_give_the_same_decision() -> None:
    first = decide(PLAYBOOK, snapshot(), Event("case.opened"), WED)
    second = decide(PLAYBOOK, snapshot(), Event("case.opened"), WED)
    assert first == second


def test_email_messages_carry_the_subject_in_the_customers_language() -> None:
    customer = {**snapshot().customer, "whatsapp": False}
    d = decide(
        PLAYBOOK,
        snapshot(state="intake", customer=customer),
        Event("send", {"template": "expectations"}),
        WED,
    )
    (message,) = d.messages
    assert (message.channel, message.to, message.subject) == (
        "EMAIL",
        "mehmet@example.com",
        "Sonraki adımlar",
    )


def test_without_texts_the_decision_is_the_same_but_for_the_texts() -> None:
    snap = snapshot()
    full = decide(PLAYBOOK, snap, Event("case.opened"), WED)
    bare = decide(PLAYBOOK, snap, Event("case.opened"), WED, texts=False)
    assert full.messages and full.tasks_to_open  # there are texts to leave out
    assert all(
        m.body and not (b.body or b.subject or b.whatsapp_params)
        for m, b in zip(full.messages, bare.messages, strict=True)
    )
    assert all(
        t.title and not (b.title or b.description)
        for t, b in zip(full.tasks_to_open, bare.tasks_to_open, strict=True)
    )
    blank = dataclasses.replace(
        full,
        messages=[
            dataclasses.replace(m, body="", subject="", whatsapp_params=()) for m in full.messages
        ],
        tasks_to_open=[
            dataclasses.replace(t, title="", description="") for t in full.tasks_to_open
        ],
    )
    assert bare == blank


def test_omit_leaves_only_the_named_timeline_kinds_out() -> None:
    # The simulator's shortcut: the decision is the same, minus the rows it never counts.
    full = decide(PLAYBOOK, snapshot(), Event("case.opened"), WED)
    kinds = [t.type for t in full.timeline]
    left_out = frozenset({kinds[0], "NO_SUCH_KIND"})
    lean = decide(PLAYBOOK, snapshot(), Event("case.opened"), WED, omit=left_out)
    assert [t for t in lean.timeline] == [t for t in full.timeline if t.type not in left_out]
    assert len(lean.timeline) < len(full.timeline)
    assert dataclasses.replace(lean, timeline=full.timeline) == full
