"""The shipped L1 desk in Chromium: Cem takes a call, finds the ticket by the
caller's phone number, runs the status check on an open ticket (a technician
allocated) whose service promise date has passed and closes it as a delay
complaint (remarks required); a second contact on the same ticket, the SPD
moved, reschedules the visit to the customer's preferred time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from opsdesk.cases.models import Case
from opsdesk.contacts.models import Contact
from opsdesk.field.models import WorkOrder
from opsdesk.scheduling.models import Appointment
from tests.contacts.conftest import L1, OUT_OF_SPD, VISIT
from tests.portal.helpers import confirm, install_desk, receive_order

NEW_SLOT = dt.datetime(2026, 11, 5, 11, 0, tzinfo=dt.UTC)  # Thursday 14:00 in Istanbul
RESCHEDULE = "Inbound >> Request >> Reschedule of service"


@pytest.fixture
def ticket(db: Any, frozen_clock: Any) -> Case:
    from opsdesk.cases.playbooks import playbook_install

    channel = install_desk()
    playbook_install(L1.read_text())
    return confirm(receive_order(channel, "TS-1"), VISIT)


def start_contact(page: Page, base: str, query: str, number: str, channel: str) -> None:
    page.goto(base + "/contacts/new/")
    page.get_by_label("Ticket by phone, number or name").fill(query)
    page.get_by_role("button", name="Find").click()
    row = page.locator(f"#ticket-{number}")
    row.get_by_label("Channel").select_option(label=channel)
    row.get_by_role("button", name="Start contact").click()
    expect(page.locator("#facts")).to_be_visible()
    page.get_by_label("Reason for the contact").select_option(
        label="Status of the service (status check)"
    )
    page.get_by_role("button", name="Choose").click()


def test_an_agent_takes_a_call_and_closes_it_with_the_right_tag(
    live_server: Any, page: Page, ticket: Case
) -> None:
    WorkOrder.objects.filter(case=ticket).update(promise_date=dt.date(2026, 10, 27))
    base = live_server.url
    page.goto(base + "/contacts/new/")
    page.get_by_label("Username").fill("cem")
    page.get_by_label("Password").fill("pw-cem-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Take a contact")).to_be_visible()

    start_contact(page, base, "+90 532 123 45 67", ticket.number, "Call")
    facts = page.locator("#facts")
    expect(facts).to_contain_text("Spd breached")
    # The facts decide: no question is asked, the script ends at once.
    expect(page.locator("#question-text")).to_have_count(0)
    expect(page.locator("#end-tag")).to_have_text(OUT_OF_SPD)

    page.get_by_role("button", name="Close contact").click()
    expect(page.locator("#close")).to_contain_text("required for this outcome")
    assert Contact.objects.get().status == "OPEN"
    page.get_by_label("Remarks").fill("The visit is a week late")
    page.get_by_role("button", name="Close contact").click()
    expect(page.locator("#closed-tag")).to_have_text(OUT_OF_SPD)
    first = Contact.objects.get()
    assert (first.status, first.resolution, first.spd_breached, first.channel) == (
        "CLOSED",
        "unresolved",
        True,
        "CALL",
    )

    # The customer writes again on WhatsApp after the SPD was moved: a new date.
    WorkOrder.objects.filter(case=ticket).update(promise_date=dt.date(2026, 11, 20))
    start_contact(page, base, ticket.number, ticket.number, "WhatsApp")
    expect(page.locator("#end-tag")).to_have_text(RESCHEDULE)
    page.get_by_label("Remarks").fill("Prefers Thursday afternoon")
    page.get_by_label("Preferred date and time").fill("2026-11-05T13:30")
    page.get_by_role("button", name="Close contact").click()
    expect(page.locator("#closed-tag")).to_have_text(RESCHEDULE)
    booked = Appointment.objects.get(case=ticket, status="BOOKED")
    assert booked.start == NEW_SLOT
