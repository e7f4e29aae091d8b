"""The shipped travel-concierge playbook through the engine alone, on a virtual
clock: intake and receipt, routing by category, the review SLA, the payment gate,
the checklists, quality review, the follow-up SLA, feedback and priority clients.
The database-backed run of every service type is in tests/intake and tests/billing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from opsdesk.engine.decide import decide
from opsdesk.engine.types import AgentInfo, CaseSnapshot, Decision, Event
from opsdesk.playbook.loader import load

PB = load((Path(__file__).parents[2] / "playbooks" / "travel-concierge.yaml").read_text())
# Monday 2 November 2026, 10:00 in Istanbul; business hours 09:00-18:00.
MON_10 = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)
WED_12 = dt.datetime(2026, 11, 4, 9, 0, tzinfo=dt.UTC)  # + 20 business hours
WED_16 = dt.datetime(2026, 11, 4, 13, 0, tzinfo=dt.UTC)  # + 24 business hours

TEAMS = {
    "coord": "Account coordinators",
    "imm": "Immigration advisors",
    "spec": "Travel concierge specialists",
    "trans": "Transportation liaisons",
    "gsm": "Guest services",
}
AGENTS = [
    AgentInfo(id=f"agt_{k}", name=f"Agent {k}", languages=("en",), team_name=t, team_id=k)
    for k, t in TEAMS.items()
]
SHEET = {
    "service_type": "airport_transfer",
    "departure": dt.date(2026, 12, 1),
    "return_date": dt.date(2026, 12, 8),
    "destinations": "Istanbul Airport → Sultanahmet",
}
CUSTOMER = {
    "given_name": "Mia",
    "full_name": "Mia Wong",
    "language": "en",
    "phone": "+905321112233",
    "whatsapp": True,
    "email": "mia@example.com",
    "priority_tier": "",
    "personal_agent_id": None,
}
PAID = {"deposit_paid": True, "fully_paid": True, "deposit_percent": 100, "status": "ACCEPTED"}
UNPAID = {"deposit_paid": False, "fully_paid": False, "deposit_percent": 50, "status": "SENT"}


def snap(state: str | None = None, **changes: Any) -> CaseSnapshot:
    extra = {"intake": changes.pop("intake", {"channel": "PHONE", "reply_channel": ""})}
    # As the shell gives them: every declared field, None when unset.
    changes["fields"] = {**dict.fromkeys(PB.fields), **changes.get("fields", SHEET)}
    if "billing" in changes:
        extra["billing"] = changes.pop("billing")
    base: dict[str, Any] = {
        "id": "case_1",
        "number": "TRV-2026-000001",
        "state": state,
        "fields": dict(SHEET),
        "customer": dict(CUSTOMER),
        "agent": AGENTS[0],
        "team": TEAMS["coord"],
        "link": "https://desk.example/c/tok/",
        "candidates": lambda: AGENTS,
        "extra": extra,
    }
    return CaseSnapshot(**{**base, **changes})


def done(key: str, **data: Any) -> Event:
    return Event("task.complete", {"key": key, **data})


def posts(d: Decision) -> list[str]:
    return [p.channel for p in d.chat_posts]


def test_a_phone_request_sends_the_receipt_goes_to_the_coordinators_and_starts_the_24h_sla() -> (
    None
):
    d = decide(PB, snap(agent=None, team=None), Event("case.opened"), MON_10)
    assert d.state_to == "review"
    assert [(m.template, m.channel) for m in d.messages] == [("receipt", "WHATSAPP")]
    assert d.assignment is not None and d.assignment.agent_id == "agt_coord"
    assert d.team == "Account coordinators"
    assert posts(d) == ["#inquiries"]
    assert [(t.key, t.assignee_id, t.priority) for t in d.tasks_to_open] == [
        ("review_request", "agt_coord", "MEDIUM")
    ]
    assert sorted((t.name, t.due_at) for t in d.timers_to_set) == [
        ("sla__review__breach", WED_16),
        ("sla__review__warning", WED_12),
    ]


def test_the_receipt_goes_back_on_the_channel_the_request_came_in_on() -> None:
    for channel, reply, expected in (
        ("EMAIL", "EMAIL", "EMAIL"),
        ("WEB", "EMAIL", "EMAIL"),
        ("WHATSAPP", "WHATSAPP", "WHATSAPP"),
    ):
        intake = {"channel": channel, "reply_channel": reply}
        d = decide(PB, snap(intake=intake), Event("case.opened"), MON_10)
        assert [(m.template, m.channel) for m in d.messages] == [("receipt", expected)]
        assert "TRV-2026-000001" in d.messages[0].body


def test_a_message_with_an_incomplete_sheet_waits_for_the_csr() -> None:
    intake = {"channel": "WHATSAPP", "reply_channel": "WHATSAPP", "text": "I need a transfer"}
    d = decide(PB, snap(fields={}, intake=intake), Event("case.opened"), MON_10)
    assert d.state_to == "intake"
    assert [t.key for t in d.tasks_to_open] == ["complete_intake"]
    assert "I need a transfer" in d.tasks_to_open[0].description
    waiting = snap("intake", fields={}, tasks={"complete_intake": "OPEN"}, intake=intake)
    filled = done("complete_intake", fields=SHEET)
    d = decide(PB, waiting, filled, MON_10)
    assert d.state_to == "review"
    assert d.fields_to_set["service_type"] == "airport_transfer"


@pytest.mark.parametrize(
    ("service", "team", "agent"),
    [
        ("visa_help", "Immigration advisors", "agt_imm"),
        ("business_travel", "Travel concierge specialists", "agt_spec"),
        ("relocation", "Travel concierge specialists", "agt_spec"),
        ("hotel_verification", "Travel concierge specialists", "agt_spec"),
        ("airport_transfer", "Transportation liaisons", "agt_trans"),
        ("chauffeur", "Transportation liaisons", "agt_trans"),
    ],
)
def test_the_review_routes_by_category_to_the_specialist_team(
    service: str, team: str, agent: str
) -> None:
    timers = frozenset({"sla__review__warning", "sla__review__breach"})
    running = snap("review", tasks={"review_request": "OPEN"}, timers=timers)
    d = decide(PB, running, done("review_request", fields={"service_type": service}), MON_10)
    assert d.state_to == "quoting"
    assert d.team == team
    assert d.assignment is not None and d.assignment.agent_id == agent
    assert posts(d) == ["#concierge-assignments"]
    assert [t.key for t in d.tasks_to_open] == ["prepare_quote"]
    assert sorted(d.timers_to_cancel) == ["sla__review__breach", "sla__review__warning"]


def test_a_priority_clients_request_goes_to_their_personal_concierge_and_vip_channel() -> None:
    customer = {**CUSTOMER, "priority_tier": "corporate", "personal_agent_id": "agt_spec"}
    d = decide(PB, snap(agent=None, team=None, customer=customer), Event("case.opened"), MON_10)
    assert d.assignment is not None and d.assignment.agent_id == "agt_spec"
    assert d.assignment.reason == "personal concierge of a priority client"
    assert posts(d) == ["#inquiries", "#vip-clients"]
    assert d.tasks_to_open[0].priority == "HIGH"  # review_request raised for priority clients
    running = snap("review", customer=customer, agent=AGENTS[2], team=TEAMS["spec"])
    d = decide(PB, running, done("review_request", fields={"service_type": "visa_help"}), MON_10)
    assert d.assignment is None and d.team is None  # stays with the concierge


def test_the_review_sla_warns_then_escalates_to_the_guest_services_manager() -> None:
    timers = frozenset({"sla__review__warning", "sla__review__breach"})
    d = decide(PB, snap("review", timers=timers), Event("timer.sla__review__warning"), WED_12)
    assert [e.type for e in d.timeline] == ["SLA_WARNING", "CHAT_POSTED"]
    assert "4 business hours" in d.chat_posts[0].text
    d = decide(
        PB,
        snap("review", timers=frozenset({"sla__review__breach"})),
        Event("timer.sla__review__breach"),
        WED_16,
    )
    assert [(t.key, t.assignee_id, t.priority) for t in d.tasks_to_open] == [
        ("review_overdue", "agt_gsm", "URGENT")
    ]
    assert posts(d) == ["#inquiries"]


def test_no_service_begins_without_payment_or_deposit() -> None:
    refusal = [
        "No service begins without confirmed payment or deposit: the deposit of the "
        "case's quote is not paid yet"
    ]
    for billing in (None, UNPAID):
        d = decide(
            PB,
            snap("awaiting_payment", billing=billing),
            Event("manual", {"to": "in_service"}),
            MON_10,
        )
        assert d.refused == refusal
        assert d.state_to is None and not d.messages and not d.tasks_to_open
        # An event meanwhile moves nothing: the automatic transition waits.
        d = decide(PB, snap("awaiting_payment", billing=billing), Event("reassess"), MON_10)
        assert d.state_to is None and not d.refused


def test_the_payment_confirms_the_service() -> None:
    payment = Event("payment.received", {"amount": "120.00", "currency": "EUR"})
    d = decide(PB, snap("awaiting_payment", billing=PAID), payment, MON_10)
    assert d.state_to == "confirmed"
    assert [m.template for m in d.messages] == ["payment_received"]
    assert "120.00 EUR" in d.messages[0].body
    assert [t.key for t in d.tasks_to_open] == ["confirm_details"]
    assert posts(d) == ["#concierge-assignments"]


@pytest.mark.parametrize(
    ("service", "items"),
    [
        ("visa_help", 3),
        ("business_travel", 3),
        ("relocation", 3),
        ("airport_transfer", 3),
        ("chauffeur", 3),
        ("hotel_verification", 2),
    ],
)
def test_each_service_type_has_its_own_checklist_and_all_of_it_is_required(
    service: str, items: int
) -> None:
    fields = {**SHEET, "service_type": service}
    confirming = snap("confirmed", fields=fields, billing=PAID, tasks={"confirm_details": "OPEN"})
    d = decide(PB, confirming, done("confirm_details", fields={}), MON_10)
    assert d.state_to == "in_service"
    assert [(t.key, len(t.checklist)) for t in d.tasks_to_open] == [(f"deliver_{service}", items)]
    serving = snap("in_service", fields=fields, billing=PAID, tasks={f"deliver_{service}": "OPEN"})
    first = PB.tasks[f"deliver_{service}"].checklist[0]
    d = decide(PB, serving, done(f"deliver_{service}", checklist_open=[first]), MON_10)
    assert d.refused == [f"not done yet: {first}"]
    d = decide(PB, serving, done(f"deliver_{service}", checklist_open=[]), MON_10)
    assert d.state_to == "quality_review"


def test_completion_asks_for_the_balance_and_starts_quality_review_and_the_follow_up_sla() -> None:
    billing = {**UNPAID, "deposit_paid": True, "balance": "300.00", "currency": "EUR"}
    serving = snap("in_service", billing=billing, tasks={"deliver_airport_transfer": "OPEN"})
    d = decide(PB, serving, done("deliver_airport_transfer", checklist_open=[]), MON_10)
    assert d.state_to == "quality_review"
    assert [m.template for m in d.messages] == ["balance_due"]
    assert "300.00 EUR" in d.messages[0].body
    assert [(t.key, t.assignee_id) for t in d.tasks_to_open] == [("quality_review", "agt_gsm")]
    assert d.milestones == ["service_completed"]
    assert sorted((t.name, t.due_at) for t in d.timers_to_set) == [
        ("sla__follow_up__breach", MON_10 + dt.timedelta(hours=48)),
        ("sla__follow_up__warning", MON_10 + dt.timedelta(hours=36)),
    ]


def test_quality_review_sends_rework_back_and_approval_to_the_follow_up() -> None:
    reviewing = snap("quality_review", billing=PAID, tasks={"quality_review": "OPEN"})
    d = decide(PB, reviewing, done("quality_review", fields={"qc_outcome": "rework"}), MON_10)
    assert d.refused == ["rework needs notes saying what to fix"]
    rework = {"qc_outcome": "rework", "qc_notes": "driver was late"}
    d = decide(PB, reviewing, done("quality_review", fields=rework), MON_10)
    assert d.state_to == "in_service"
    assert [t.key for t in d.tasks_to_open] == ["deliver_airport_transfer"]
    d = decide(PB, reviewing, done("quality_review", fields={"qc_outcome": "approve"}), MON_10)
    assert d.state_to == "follow_up"
    assert [t.key for t in d.tasks_to_open] == ["follow_up"]


def test_the_follow_up_sends_the_feedback_form_and_meets_the_sla() -> None:
    timers = frozenset({"sla__follow_up__warning", "sla__follow_up__breach"})
    following = snap("follow_up", billing=PAID, tasks={"follow_up": "OPEN"}, timers=timers)
    d = decide(PB, following, done("follow_up", fields={}), MON_10)
    assert d.state_to == "awaiting_feedback"
    assert [m.template for m in d.messages] == ["feedback_request"]
    assert "https://desk.example/c/tok/feedback/" in d.messages[0].body
    assert sorted(d.timers_to_cancel) == ["sla__follow_up__breach", "sla__follow_up__warning"]
    assert "SLA_MET" in [e.type for e in d.timeline]


def test_a_missed_follow_up_escalates_to_the_manager() -> None:
    late = snap("follow_up", timers=frozenset({"sla__follow_up__breach"}))
    d = decide(PB, late, Event("timer.sla__follow_up__breach"), MON_10)
    assert [(t.key, t.assignee_id, t.priority) for t in d.tasks_to_open] == [
        ("follow_up_overdue", "agt_gsm", "URGENT")
    ]
    assert posts(d) == ["#quality-review"]


def feedback(rating: int, consent: bool, comment: str = "") -> Event:
    data = {"rating": rating, "consent": consent, "comment": comment, "feedback_id": "fbk_1"}
    return Event("feedback.received", data)


def test_positive_feedback_with_consent_becomes_a_testimonial_and_closes_the_case() -> None:
    waiting = snap("awaiting_feedback", billing=PAID, timers=frozenset({"feedback_wait"}))
    d = decide(PB, waiting, feedback(5, True, "Perfect pickup"), MON_10)
    assert d.testimonial == "fbk_1"
    assert d.state_to == "closed"
    d = decide(PB, waiting, feedback(5, False), MON_10)
    assert d.testimonial is None and d.state_to == "closed"


def test_a_complaint_goes_to_the_manager_at_once_and_keeps_the_case_open() -> None:
    waiting = snap("awaiting_feedback", billing=PAID, timers=frozenset({"feedback_wait"}))
    d = decide(PB, waiting, feedback(1, True, "The driver never came"), MON_10)
    assert d.testimonial is None
    assert d.state_to is None
    assert [(t.key, t.assignee_id, t.priority) for t in d.tasks_to_open] == [
        ("complaint", "agt_gsm", "URGENT")
    ]
    assert "The driver never came" in d.tasks_to_open[0].description
    assert [m.template for m in d.messages] == ["complaint_received"]
    resolved = snap(
        "awaiting_feedback",
        billing=PAID,
        fields={**SHEET, "feedback_rating": 1},
        tasks={"complaint": "OPEN"},
        timers=frozenset({"feedback_wait"}),
    )
    d = decide(PB, resolved, done("complaint", fields={"complaint_resolution": "refund"}), MON_10)
    assert d.state_to == "closed"


def test_the_case_closes_only_once_the_balance_is_paid() -> None:
    owing = {**UNPAID, "deposit_paid": True}
    waiting = snap("awaiting_feedback", billing=owing, timers=frozenset({"feedback_wait"}))
    d = decide(PB, waiting, feedback(4, False), MON_10)
    assert d.state_to is None
    paid = snap(
        "awaiting_feedback",
        billing=PAID,
        fields={**SHEET, "feedback_rating": 4},
        timers=frozenset({"feedback_wait"}),
    )
    d = decide(PB, paid, Event("payment.received", {"amount": "300.00"}), MON_10)
    assert d.state_to == "closed"


def test_no_feedback_within_a_week_closes_the_case() -> None:
    # The runtime marks a timer FIRED before the snapshot: it is no longer pending.
    waiting = snap("awaiting_feedback", billing=PAID, timers=frozenset())
    d = decide(PB, waiting, Event("timer.feedback_wait"), MON_10)
    assert d.state_to == "closed"


def test_corporate_and_repeat_clients_join_the_priority_client_list_at_closing() -> None:
    for tier in ("corporate", "repeat"):
        fields = {**SHEET, "client_type": tier}
        waiting = snap(
            "awaiting_feedback", fields=fields, billing=PAID, timers=frozenset({"feedback_wait"})
        )
        d = decide(PB, waiting, feedback(4, False), MON_10)
        assert d.state_to == "closed" and d.priority_client == tier
    waiting = snap("awaiting_feedback", billing=PAID, timers=frozenset({"feedback_wait"}))
    assert decide(PB, waiting, feedback(4, False), MON_10).priority_client is None
