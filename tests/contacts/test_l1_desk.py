"""The shipped L1 desk (playbooks/l1-installation-maintenance.yaml) on real
tickets of the service-order playbook: the facts come from the ticket's work
order, the tag goes on the ticket's timeline, the actions change the ticket."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.contacts.models import Contact
from opsdesk.contacts.services import contact_answer, contact_close, contact_open, contact_reason
from opsdesk.field.models import WorkOrder
from opsdesk.scheduling.models import Appointment
from tests.contacts.conftest import L1, OUT_OF_SPD, VISIT
from tests.portal.helpers import confirm, install_desk, receive_order


@pytest.fixture
def ticket(db: Any, frozen_clock: Any) -> Case:
    from opsdesk.cases.playbooks import playbook_install

    channel = install_desk()
    playbook_install(L1.read_text())
    case = confirm(receive_order(channel, "TS-9"), VISIT)
    assert case.state == "scheduled"  # allocated, in the SOP's words
    return case


def cem() -> Actor:
    from opsdesk.staff.models import Agent

    return Actor.of_user(Agent.objects.get(user__username="cem").user)


def test_an_allocated_ticket_past_its_spd_is_a_delay_complaint_with_remarks(ticket: Case) -> None:
    WorkOrder.objects.filter(case=ticket).update(promise_date=dt.date(2026, 10, 27))
    contact = contact_open(ticket.pk, "CALL", cem())
    contact_reason(contact.pk, "status_check", cem())
    rows = TimelineEvent.objects.filter(case=ticket).count()
    with pytest.raises(ValidationFailed) as refused:
        contact_close(contact.pk, remarks="", preferred_at=None, actor=cem())
    assert refused.value.errors == {"remarks": ["required for this outcome"]}
    assert TimelineEvent.objects.filter(case=ticket).count() == rows
    contact_close(contact.pk, remarks="Visit a week late", preferred_at=None, actor=cem())
    closed = Contact.objects.get(pk=contact.pk)
    assert (closed.tag, closed.resolution, closed.action, closed.spd_breached) == (
        OUT_OF_SPD,
        "unresolved",
        "none",
        True,
    )
    assert closed.answers == {}  # only facts: nothing was asked
    row = TimelineEvent.objects.get(case=ticket, type="CONTACT_CLOSED")
    assert (row.payload["tag"], row.payload["resolution"]) == (OUT_OF_SPD, "unresolved")
    assert Case.objects.get(pk=closed.case_id).state == "closed"


def test_an_allocated_ticket_within_its_spd_is_rescheduled_to_the_preferred_date(
    ticket: Case,
) -> None:
    WorkOrder.objects.filter(case=ticket).update(promise_date=dt.date(2026, 11, 20))
    contact = contact_open(ticket.pk, "WHATSAPP", cem())
    contact_reason(contact.pk, "status_check", cem())
    preferred = dt.datetime(2026, 11, 5, 10, 30, tzinfo=dt.UTC)  # Thu 13:30 in Istanbul
    contact_close(
        contact.pk, remarks="Prefers Thursday afternoon", preferred_at=preferred, actor=cem()
    )
    closed = Contact.objects.get(pk=contact.pk)
    assert (closed.tag, closed.action) == (
        "Inbound >> Request >> Reschedule of service",
        "reschedule",
    )
    booked = Appointment.objects.get(case=ticket, status="BOOKED")
    assert booked.start == dt.datetime(2026, 11, 5, 11, 0, tzinfo=dt.UTC)  # the 14:00 slot


def test_a_customer_who_cancels_an_open_ticket_cancels_it(db: Any, frozen_clock: Any) -> None:
    from opsdesk.cases.playbooks import playbook_install

    channel = install_desk()
    playbook_install(L1.read_text())
    open_ticket = receive_order(channel, "TS-10")
    assert open_ticket.state == "confirming"  # open, in the SOP's words
    contact = contact_open(open_ticket.pk, "CALL", cem())
    contact_reason(contact.pk, "status_check", cem())
    contact_answer(contact.pk, "open_intent", "cancel", cem())
    contact_close(contact.pk, remarks="", preferred_at=None, actor=cem())
    assert Contact.objects.get(pk=contact.pk).tag == "Inbound >> Request >> Cancellation of service"
    assert Case.objects.get(pk=open_ticket.pk).state == "cancelled"
