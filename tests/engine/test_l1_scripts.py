"""Every branch of the L1 desk's SOP table (seed 004) through the shipped playbook's
guided scripts: each scenario, each ticket state, SPD breached or not, within and
past the 30-day warranty and the refund turnaround time, each customer answer.
Facts come from the ticket (never asked); the table gives only the answers. The
last test checks that the table reaches every end of every script."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from opsdesk.engine.decide import context_of
from opsdesk.engine.scripts import ScriptError, run_script
from opsdesk.engine.types import CaseSnapshot
from opsdesk.playbook.loader import load

PB = load(
    (Path(__file__).parents[2] / "playbooks" / "l1-installation-maintenance.yaml").read_text()
)
NOW = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)  # Monday 10:00 in Istanbul
TODAY = dt.date(2026, 11, 2)
DAY = dt.timedelta(days=1)

TICKET: dict[str, Any] = {
    "number": "SRV-2026-000042",
    "state": "scheduled",
    "closed": False,
    "work_status": "PLANNED",
    "technician_rescheduled": False,
    "promise_date": None,
    "service_date": None,
    "paid": False,
    "paid_on": None,
    "paid_amount": None,
    "refunded": False,
    "refund_on": None,
    "cash_collected": None,
    "invoice_total": None,
    "service_details": True,
    "last_update_on": None,
}
BREACHED = {"promise_date": TODAY - DAY}
NOT_BREACHED = {"promise_date": TODAY + DAY}
IN_WARRANTY = {"state": "closed", "service_date": TODAY - 30 * DAY}
PAST_WARRANTY = {"state": "closed", "service_date": TODAY - 31 * DAY}
IN_TAT = {"service_details": False, "paid": True, "paid_on": TODAY - 7 * DAY}
PAST_TAT = {"service_details": False, "paid": True, "paid_on": TODAY - 8 * DAY}

ENQ, CMP, REQ = "Inbound >> Enquiry >> ", "Inbound >> Complaint >> ", "Inbound >> Request >> "
RESCHEDULE = (REQ + "Reschedule of service", "resolved", "reschedule", "required")
OUT_OF_SPD = (CMP + "Delay in Service >> Out of SPD", "unresolved", "none", "required")
REOPEN = (REQ + "Request to reopen ticket", "resolved", "reopen", "optional")
IMPROPER = (
    CMP + "Technician Not Aware Of Installation/Improper Installation",
    "unresolved",
    "none",
    "optional",
)
TAT_ENQUIRY = (ENQ + "Enquiry About TAT/SPD", "resolved", "none", "optional")
REFUND_QUERY = (ENQ + "Refund status query", "resolved", "none", "optional")
REFUND_LATE = (CMP + "Delay in refund", "unresolved", "none", "optional")
CHARGES = (ENQ + "Enquiry About Service Charges", "resolved", "none", "optional")

# (id, script, ticket facts, answers, (tag, resolution, action, remarks))
TABLE: list[tuple[str, str, dict[str, Any], dict[str, str], tuple[str, ...]]] = [
    # 1.1 cancelled
    ("1.1 cancelled", "status_check", {"state": "cancelled"}, {},
     (ENQ + "Enquiry about the cancellation", "resolved", "none", "optional")),
    ("1.1 lost", "status_check", {"state": "lost"}, {},
     (ENQ + "Enquiry about the cancellation", "resolved", "none", "optional")),
    # 1.2 open: the customer cancels, or goes ahead
    ("1.2 open, cancels", "status_check", {"state": "confirming"}, {"open_intent": "cancel"},
     (REQ + "Cancellation of service", "resolved", "cancel", "optional")),
    ("1.2 not responding, agrees", "status_check", {"state": "retention"},
     {"open_intent": "continue", "not_responding": "agrees"}, RESCHEDULE),
    ("1.2 not responding, fake update", "status_check", {"state": "retention"},
     {"open_intent": "continue", "not_responding": "disagrees"},
     (CMP + "Fake closure/ Fake Status >> service not provided / Call closed without service",
      "unresolved", "none", "required")),
    ("1.2 rescheduled, date not breached", "status_check",
     {"state": "confirming", **NOT_BREACHED}, {"open_intent": "continue"}, RESCHEDULE),
    ("1.2 rescheduled, no promise date", "status_check",
     {"state": "confirming"}, {"open_intent": "continue"}, RESCHEDULE),
    ("1.2 rescheduled, breached, agrees", "status_check", {"state": "confirming", **BREACHED},
     {"open_intent": "continue", "reschedule_breached": "agrees"}, RESCHEDULE),
    ("1.2 rescheduled, breached, fake", "status_check", {"state": "confirming", **BREACHED},
     {"open_intent": "continue", "reschedule_breached": "disagrees"},
     (CMP + "Fake status updated by technician", "unresolved", "none", "required")),
    # 1.2 created / vendor-offload
    ("1.2 created, SPD breached", "status_check", {"state": "scheduling", **BREACHED}, {},
     OUT_OF_SPD),
    ("1.2 created, SPD not breached, agrees", "status_check",
     {"state": "scheduling", **NOT_BREACHED}, {"created_date": "agrees"}, TAT_ENQUIRY),
    ("1.2 created, SPD not breached, new date", "status_check",
     {"state": "scheduling", **NOT_BREACHED}, {"created_date": "new_date"}, RESCHEDULE),
    # 1.2 allocated
    ("1.2 allocated, SPD breached", "status_check", {"state": "scheduled", **BREACHED}, {},
     OUT_OF_SPD),
    ("1.2 allocated, on the way, SPD breached", "status_check",
     {"state": "on_the_way", **BREACHED}, {}, OUT_OF_SPD),
    ("1.2 allocated, SPD not breached", "status_check", {"state": "scheduled", **NOT_BREACHED},
     {}, RESCHEDULE),
    ("1.2 allocated, technician rescheduled", "status_check",
     {"state": "scheduled", "technician_rescheduled": True, **NOT_BREACHED}, {}, OUT_OF_SPD),
    # 1.3 completed: warranty
    ("1.3 within warranty, technician, agrees", "status_check", IN_WARRANTY,
     {"warranty_issue": "technician", "technician_claim": "agrees"}, REOPEN),
    ("1.3 within warranty, technician, disagrees", "status_check", IN_WARRANTY,
     {"warranty_issue": "technician", "technician_claim": "disagrees"}, IMPROPER),
    ("1.3 within warranty, product, agrees", "status_check", {**IN_WARRANTY, "state": "surveying"},
     {"warranty_issue": "product", "product_issue": "agrees"}, REOPEN),
    ("1.3 within warranty, product, disagrees", "status_check", IN_WARRANTY,
     {"warranty_issue": "product", "product_issue": "disagrees"}, IMPROPER),
    ("1.3 past warranty", "status_check", PAST_WARRANTY, {},
     (ENQ + "Post Policy-Service Denial", "", "none", "optional")),
    # 2
    ("2 cancel the order", "cancel_order", {}, {},
     (ENQ + "Enquiry about the cancellation", "resolved", "none", "optional")),
    # 3
    ("3 can cancel", "change_address", {}, {"can_cancel": "yes"},
     (REQ + "Change of Address", "resolved", "change_address", "optional")),
    ("3 cannot cancel", "change_address", {}, {"can_cancel": "cannot"},
     (REQ + "Cancellation of service", "resolved", "cancel", "optional")),
    ("3 refuses", "change_address", {}, {"can_cancel": "refuses"},
     (REQ + "Cancellation of service", "unresolved", "none", "required")),
    # 4
    ("4 noticed at once", "damage_theft", {}, {"when_noticed": "immediate"},
     (CMP + "Technician damaged customers property", "unresolved", "none", "required")),
    ("4 noticed later", "damage_theft", {}, {"when_noticed": "late"},
     (CMP + "Technician damaged customers property", "unresolved", "escalate", "required")),
    # 5
    ("5 invoice available", "extra_part_invoice", {"invoice_total": "45.00"}, {}, CHARGES),
    ("5 invoice unavailable", "extra_part_invoice", {}, {},
     (CMP + "Bill Not Given By Technician", "unresolved", "none", "required")),
    # 6
    ("6 service details available", "debited_not_confirmed", {"paid": True}, {}, TAT_ENQUIRY),
    ("6 no details, within refund TAT", "debited_not_confirmed", IN_TAT, {}, REFUND_QUERY),
    ("6 no details, past refund TAT", "debited_not_confirmed", PAST_TAT, {}, REFUND_LATE),
    # 7
    ("7 refund status available", "refund_status", {**PAST_TAT, "refunded": True}, {},
     REFUND_QUERY),
    ("7 unavailable, within TAT", "refund_status", IN_TAT, {}, REFUND_QUERY),
    ("7 unavailable, past TAT", "refund_status", PAST_TAT, {}, REFUND_LATE),
    # 8
    ("8 amount matches the invoice", "extra_charges",
     {"cash_collected": "45.00", "invoice_total": "45.00"}, {}, CHARGES),
    ("8 prepaid, as invoiced", "extra_charges",
     {"paid": True, "paid_amount": "45.00", "invoice_total": "45.00"}, {}, CHARGES),
    ("8 prepaid, charged above the invoice", "extra_charges",
     {"paid": True, "paid_amount": "60.00", "invoice_total": "45.00"}, {},
     (CMP + "Extra charge on a prepaid order", "unresolved", "escalate", "required")),
    ("8 cash above the invoice", "extra_charges",
     {"cash_collected": "60.00", "invoice_total": "45.00"}, {},
     (CMP + "Extra Cash Collected By Technician", "unresolved", "none", "required")),
    ("8 cash without an invoice", "extra_charges", {"cash_collected": "20.00"}, {},
     (CMP + "Extra Cash Collected By Technician", "unresolved", "none", "required")),
    # 9
    ("9 safety", "safety", {}, {},
     (CMP + "Women & Child Safety Case", "unresolved", "safety", "required")),
    # 10
    ("10 update available", "product_not_returned", {"last_update_on": TODAY - 5 * DAY}, {},
     TAT_ENQUIRY),
    ("10 no recent update", "product_not_returned", {"last_update_on": TODAY - 6 * DAY}, {},
     (CMP + "Product not returned", "unresolved", "escalate", "required")),
    ("10 no update at all", "product_not_returned", {}, {},
     (CMP + "Product not returned", "unresolved", "escalate", "required")),
]  # fmt: skip


def context(ticket: dict[str, Any]) -> dict[str, Any]:
    snap = CaseSnapshot(
        id="case_c",
        number="LOC-2026-000001",
        state="in_contact",
        fields={},
        customer={"language": "en"},
        extra={"ticket": {**TICKET, **ticket}},
    )
    return context_of(PB, snap, NOW)


def run(script: str, ticket: dict[str, Any], answers: dict[str, str]) -> Any:
    return run_script(PB, script, context(ticket), answers)


@pytest.mark.parametrize(
    ("script", "ticket", "answers", "expected"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_every_branch_of_the_sop_table(
    script: str, ticket: dict[str, Any], answers: dict[str, str], expected: tuple[str, ...]
) -> None:
    result = run(script, ticket, answers)
    assert result.finished, f"stopped at {result.waiting}: {result.question}"
    end = result.end
    assert (end.tag, end.resolution or "", end.action, end.remarks) == expected
    # Only what the system cannot know was asked: exactly the answers given.
    assert {s.node: s.answer for s in result.path if s.kind == "ask"} == answers


def test_a_script_waits_for_the_customers_answer_with_the_choices() -> None:
    result = run("status_check", {"state": "retention"}, {"open_intent": "continue"})
    assert not result.finished
    assert result.waiting == "not_responding"
    assert result.question == "Does the customer agree with the update?"
    assert result.answers == {
        "agrees": "Agrees",
        "disagrees": "Disagrees: says it is a fake update",
    }
    assert [(s.node, s.kind) for s in result.path] == [
        ("state", "check"),
        ("open_intent", "ask"),
        ("open_kind", "check"),
    ]
    assert result.path[0].branch == "sop_state == 'open'"


def test_an_answer_that_is_not_offered_is_refused() -> None:
    with pytest.raises(ScriptError, match="'maybe' is not an answer"):
        run("status_check", {"state": "confirming"}, {"open_intent": "maybe"})
    with pytest.raises(ScriptError, match="no script 'nope'"):
        run("nope", {}, {})


def test_the_table_reaches_every_end_of_every_script() -> None:
    reached: set[tuple[str, str]] = set()
    for _, script, ticket, answers, _ in TABLE:
        result = run(script, ticket, answers)
        reached.add((script, result.path[-1].node))
    ends = {
        (key, name)
        for key, script in PB.scripts.items()
        for name, node in script.nodes.items()
        if node.end is not None
    }
    assert ends - reached == set()
