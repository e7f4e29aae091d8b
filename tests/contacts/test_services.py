"""The contact desk's domain functions: finding the ticket, walking the script,
closing with a disposition and doing its action on the ticket."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from opsdesk.access.policy import can
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.contacts.models import Contact
from opsdesk.contacts.services import (
    contact_answer,
    contact_close,
    contact_open,
    contact_reason,
    contact_run,
    ticket_search,
)
from opsdesk.field.models import WorkOrder
from opsdesk.portal.services import customer_cancel
from opsdesk.scheduling.models import Appointment
from opsdesk.staff.models import Team
from opsdesk.tasks.models import Task
from tests.contacts.conftest import DESK, VISIT, ContactDesk
from tests.portal.helpers import confirm, receive_order

NEW_SLOT = dt.datetime(2026, 11, 5, 11, 0, tzinfo=dt.UTC)  # Thursday 14:00 in Istanbul
BREACHED = "Inbound >> Complaint >> Out of SPD"


def actor(agent: Any) -> Actor:
    return Actor.of_user(agent.user)


def counts() -> tuple[int, int, int, int]:
    return (
        Contact.objects.count(),
        Task.objects.count(),
        TimelineEvent.objects.count(),
        Appointment.objects.count(),
    )


def opened(desk: ContactDesk, reason: str, *answers: tuple[str, str]) -> Contact:
    who = actor(desk.cem)
    contact = contact_open(desk.ticket.pk, "CALL", who)
    contact_reason(contact.pk, reason, who)
    for step, answer in answers:
        contact_answer(contact.pk, step, answer, who)
    return Contact.objects.get(pk=contact.pk)


def refused(call: Any) -> dict[str, list[str]]:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        call()
    assert counts() == before
    return exc.value.errors


# --- finding the ticket -------------------------------------------------------


def test_tickets_are_found_by_phone_number_and_name_newest_first(
    desk: ContactDesk, frozen_clock: Any
) -> None:
    frozen_clock.set_now(frozen_clock.now() + dt.timedelta(minutes=5))
    other = receive_order(desk.channel, "TS-2", given_name="Ayla", phone="+90 533 765 43 21")
    user = desk.cem.user
    assert ticket_search("+90 532 123 45 67", user) == [desk.ticket]
    assert ticket_search("00905337654321", user) == [other]
    assert ticket_search(desk.ticket.number.lower(), user) == [desk.ticket]
    assert ticket_search("demir", user) == [other, desk.ticket]
    assert ticket_search("Mehmet DEM", user) == [desk.ticket]
    assert ticket_search("nobody", user) == []
    assert ticket_search("  ", user) == []
    # Another team's agent does not see the Istanbul team's customers.
    assert ticket_search("demir", desk.olga.user) == []
    # Contact cases are not tickets.
    opened(desk, "status_check")
    assert ticket_search("mehmet", user) == [desk.ticket]


# --- open, answer, close --------------------------------------------------------


def test_a_status_check_on_time_closes_with_the_tag_on_both_timelines(desk: ContactDesk) -> None:
    contact = contact_open(desk.ticket.pk, "WHATSAPP", actor(desk.cem))
    case = Case.objects.get(pk=contact.case_id)
    assert (case.state, case.status, case.playbook.key) == (
        "in_contact",
        "OPEN",
        "test-contact-desk",
    )
    assert (contact.ticket_id, contact.customer_id, contact.agent_id, contact.status) == (
        desk.ticket.pk,
        desk.ticket.customer_id,
        desk.cem.pk,
        "OPEN",
    )
    assert list(
        TimelineEvent.objects.filter(case=desk.ticket, type="CONTACT_OPENED").values_list(
            "actor", "payload"
        )
    ) == [
        (
            "user:cem",
            {"contact_id": contact.pk, "contact_case": case.number, "channel": "WHATSAPP"},
        )
    ]
    assert contact_run(contact) is None

    contact_reason(contact.pk, "status_check", actor(desk.cem))
    run = contact_answer(contact.pk, "on_time", "keep", actor(desk.cem))
    assert run.end is not None and run.end.tag == "Inbound >> Enquiry >> Status given"

    closed = contact_close(
        contact.pk, remarks=" told the date ", preferred_at=None, actor=actor(desk.cem)
    )
    assert (closed.status, closed.tag, closed.resolution, closed.action, closed.remarks) == (
        "CLOSED",
        "Inbound >> Enquiry >> Status given",
        "resolved",
        "none",
        "told the date",
    )
    assert closed.path == [
        {"node": "state", "kind": "check", "branch": "otherwise", "answer": ""},
        {"node": "on_time", "kind": "ask", "branch": "", "answer": "keep"},
        {"node": "informed", "kind": "end", "branch": "", "answer": ""},
    ]
    assert (closed.spd_breached, closed.within_warranty, closed.safety) == (False, False, False)
    assert closed.answers == {"on_time": "keep"}
    case.refresh_from_db()
    assert (case.state, case.status) == ("closed", "CLOSED")
    payload = {
        "contact_id": contact.pk,
        "tag": "Inbound >> Enquiry >> Status given",
        "resolution": "resolved",
        "action": "none",
        "remarks": "told the date",
    }
    for on in (case, desk.ticket):
        assert list(
            TimelineEvent.objects.filter(case=on, type="CONTACT_CLOSED").values_list(
                "actor", "payload"
            )
        ) == [("user:cem", payload)]
    # The ticket itself did not move.
    assert Case.objects.get(pk=desk.ticket.pk).state == "scheduled"
    with pytest.raises(Conflict):
        contact_close(contact.pk, remarks="", preferred_at=None, actor=actor(desk.cem))


def test_a_breached_spd_leads_to_the_delay_complaint_which_needs_remarks(
    desk: ContactDesk,
) -> None:
    WorkOrder.objects.filter(case=desk.ticket).update(promise_date=dt.date(2026, 10, 27))
    contact = opened(desk, "status_check")
    run = contact_run(contact)
    assert run is not None
    assert (run.waiting, run.question) == ("breached", "Does the customer want a new date?")
    assert run.path[0].branch == "spd_breached"
    contact_answer(contact.pk, "breached", "complain", actor(desk.cem))

    errors = refused(
        lambda: contact_close(contact.pk, remarks="  ", preferred_at=None, actor=actor(desk.cem))
    )
    assert errors == {"remarks": ["required for this outcome"]}
    assert Contact.objects.get(pk=contact.pk).status == "OPEN"

    closed = contact_close(
        contact.pk, remarks="waited a week", preferred_at=None, actor=actor(desk.cem)
    )
    assert (closed.tag, closed.resolution, closed.spd_breached) == (BREACHED, "unresolved", True)


def test_changing_an_earlier_answer_drops_the_answers_the_new_path_does_not_ask(
    desk: ContactDesk,
) -> None:
    contact = opened(desk, "complaint", ("kind", "address"))
    run = contact_answer(contact.pk, "kind", "escalate", actor(desk.cem))
    assert run.end is not None and run.end.action == "escalate"
    assert Contact.objects.get(pk=contact.pk).answers == {"kind": "escalate"}
    # A new reason starts afresh.
    contact_reason(contact.pk, "status_check", actor(desk.cem))
    assert Contact.objects.get(pk=contact.pk).answers == {}


def test_every_refusal_changes_nothing(desk: ContactDesk) -> None:
    who = actor(desk.cem)
    assert refused(lambda: contact_open(desk.ticket.pk, "FAX", who)) == {
        "channel": ["one of CALL, WHATSAPP, EMAIL"]
    }
    assert refused(lambda: contact_open("case_nope", "CALL", who)) == {
        "ticket_id": ["no such ticket"]
    }
    contact = contact_open(desk.ticket.pk, "CALL", who)
    assert refused(lambda: contact_open(contact.case_id, "CALL", who)) == {
        "ticket_id": [f"{contact.case.number} is not a service order"]
    }
    assert refused(
        lambda: contact_close(contact.pk, remarks="x", preferred_at=None, actor=who)
    ) == {"reason": ["choose a reason first"]}
    assert refused(lambda: contact_answer(contact.pk, "on_time", "keep", who)) == {
        "reason": ["choose a reason first"]
    }
    assert refused(lambda: contact_reason(contact.pk, "billing", who)) == {
        "reason": ["one of status_check, complaint"]
    }
    contact_reason(contact.pk, "status_check", who)
    assert refused(lambda: contact_answer(contact.pk, "breached", "complain", who)) == {
        "step": ["'breached' is not a question on this path"]
    }
    assert refused(lambda: contact_answer(contact.pk, "on_time", "maybe", who)) == {
        "answer": ["on_time: 'maybe' is not an answer (one of keep, move, cancel)"]
    }
    assert refused(
        lambda: contact_close(contact.pk, remarks="x", preferred_at=None, actor=who)
    ) == {"answer": ["the script is waiting for 'Does the customer keep the visit?'"]}
    contact_answer(contact.pk, "on_time", "move", who)
    assert refused(lambda: contact_close(contact.pk, remarks="", preferred_at=None, actor=who)) == {
        "preferred_at": ["the customer's preferred date and time are required"]
    }
    far = dt.datetime(2027, 6, 1, 7, 0, tzinfo=dt.UTC)
    assert refused(lambda: contact_close(contact.pk, remarks="", preferred_at=far, actor=who)) == {
        "preferred_at": ["no free slot at or after this time"]
    }
    assert Contact.objects.get(pk=contact.pk).status == "OPEN"
    assert Appointment.objects.get(case=desk.ticket, status="BOOKED").start == VISIT


# --- the actions ----------------------------------------------------------------


def test_reschedule_books_the_first_free_slot_at_or_after_the_preferred_time(
    desk: ContactDesk,
) -> None:
    contact = opened(desk, "status_check", ("on_time", "move"))
    wanted = NEW_SLOT - dt.timedelta(minutes=30)  # 13:30 Istanbul: the 14:00 slot is next
    closed = contact_close(contact.pk, remarks="", preferred_at=wanted, actor=actor(desk.cem))
    assert (closed.tag, closed.action, closed.preferred_at) == (
        "Inbound >> Request >> Reschedule",
        "reschedule",
        wanted,
    )
    rows = list(
        Appointment.objects.filter(case=desk.ticket)
        .order_by("created_at", "-status")
        .values_list("start", "status")
    )
    assert rows == [(VISIT, "CANCELLED"), (NEW_SLOT, "BOOKED")]
    assert Case.objects.get(pk=desk.ticket.pk).state == "scheduled"
    types = list(
        TimelineEvent.objects.filter(case=desk.ticket)
        .order_by("-id")
        .values_list("type", "actor")[:1]
    )
    assert types == [("CONTACT_CLOSED", "user:cem")]
    assert TimelineEvent.objects.filter(
        case=desk.ticket, type="APPOINTMENT_BOOKED", actor="user:cem"
    ).exists()


def test_cancel_cancels_the_ticket(desk: ContactDesk) -> None:
    contact = opened(desk, "status_check", ("on_time", "cancel"))
    contact_close(contact.pk, remarks="", preferred_at=None, actor=actor(desk.cem))
    ticket = Case.objects.get(pk=desk.ticket.pk)
    assert (ticket.state, ticket.status) == ("cancelled", "CLOSED")
    assert Appointment.objects.get(case=ticket).status == "CANCELLED"


def test_a_closed_ticket_takes_the_closed_branch(desk: ContactDesk, frozen_clock: Any) -> None:
    contact = opened(desk, "status_check", ("on_time", "cancel"))
    customer_cancel(desk.ticket.pk, frozen_clock.now())  # meanwhile, through the link
    closed = contact_close(contact.pk, remarks="", preferred_at=None, actor=actor(desk.cem))
    assert (closed.tag, closed.action) == ("Inbound >> Enquiry >> Closed ticket", "none")


def test_reopen_opens_a_task_on_the_ticket_for_its_teams_manager(desk: ContactDesk) -> None:
    contact = opened(desk, "complaint", ("kind", "reopen"))
    contact_close(contact.pk, remarks="no signal since", preferred_at=None, actor=actor(desk.cem))
    task = Task.objects.get()
    assert (task.case_id, task.title, task.priority, task.assignee_id, task.description) == (
        desk.ticket.pk,
        f"Reopen {desk.ticket.number}: Inbound >> Request >> Reopen",
        "HIGH",
        desk.mona.pk,
        "no signal since",
    )


def test_reopen_of_a_closed_ticket_opens_a_task_on_the_customer(
    desk: ContactDesk, frozen_clock: Any
) -> None:
    contact = opened(desk, "complaint", ("kind", "reopen"))
    customer_cancel(desk.ticket.pk, frozen_clock.now())
    contact_close(contact.pk, remarks="wants it back", preferred_at=None, actor=actor(desk.cem))
    task = Task.objects.get()
    assert (task.case_id, task.customer_id, task.assignee_id, task.status) == (
        None,
        desk.ticket.customer_id,
        desk.mona.pk,
        "OPEN",
    )


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        ("escalate", "Escalation {}: Inbound >> Request >> Escalation"),
        ("address", "Change address {}: Inbound >> Request >> Change of address"),
    ],
)
def test_escalations_go_urgently_to_the_manager_of_the_escalation_team(
    desk: ContactDesk, answer: str, title: str
) -> None:
    from opsdesk.cases.playbooks import playbook_install

    # Without a team the contact case has no manager: refused, nothing written.
    contact = opened(desk, "complaint", ("kind", answer))
    assert refused(
        lambda: contact_close(contact.pk, remarks="", preferred_at=None, actor=actor(desk.cem))
    ) == {"action": ["the contact's team has no manager to take this"]}

    source = DESK.read_text().replace("version: 1", "version: 2")
    source = source.replace("catalogs:\n", "catalogs:\n  escalation_team: Istanbul COBO\n")
    playbook_install(source)
    contact = opened(desk, "complaint", ("kind", answer))
    contact_close(contact.pk, remarks="", preferred_at=None, actor=actor(desk.cem))
    task = Task.objects.get()
    assert (task.case_id, task.title, task.priority, task.assignee_id) == (
        desk.ticket.pk,
        title.format(desk.ticket.number),
        "URGENT",
        desk.mona.pk,
    )


def test_safety_goes_to_the_safety_desk_and_out_of_other_teams_sight(desk: ContactDesk) -> None:
    contact = opened(desk, "complaint", ("kind", "safety"))
    closed = contact_close(
        contact.pk, remarks="the technician was rude", preferred_at=None, actor=actor(desk.cem)
    )
    assert (closed.safety, closed.tag, closed.action) == (
        True,
        "Inbound >> Complaint >> Safety",
        "safety",
    )
    case = Case.objects.select_related("team").get(pk=contact.case_id)
    assert (case.team.name, case.agent_id, case.status) == ("Safety desk", None, "CLOSED")
    assert TimelineEvent.objects.filter(
        case=case, type="TEAM_CHANGED", payload={"team": "Safety desk"}
    ).exists()
    # The desk follows it up: the open task is also what lets Sena see the customer.
    task = Task.objects.get()
    assert (task.case_id, task.title, task.priority, task.assignee_id) == (
        desk.ticket.pk,
        f"Safety {desk.ticket.number}: Inbound >> Complaint >> Safety",
        "URGENT",
        desk.sena.pk,
    )
    customer = case.customer
    assert can(desk.sena.user, "customer.view", customer)
    assert not can(desk.olga.user, "customer.view", customer)
    # The team rule hides the whole customer from the ticket's team too.
    assert not can(desk.cem.user, "customer.view", customer)


def test_safety_without_a_safety_desk_is_refused(desk: ContactDesk) -> None:
    Team.objects.filter(name="Safety desk").update(name="Safety")
    contact = opened(desk, "complaint", ("kind", "safety"))
    assert refused(
        lambda: contact_close(contact.pk, remarks="x", preferred_at=None, actor=actor(desk.cem))
    ) == {"action": ["there is no team named 'Safety desk'"]}


def test_a_second_ticket_is_its_own(desk: ContactDesk, frozen_clock: Any) -> None:
    other = confirm(receive_order(desk.channel, "TS-3", phone="+90 533 765 43 21"), VISIT)
    contact = contact_open(other.pk, "EMAIL", actor(desk.cem))
    assert Contact.objects.get(pk=contact.pk).ticket_id == other.pk
