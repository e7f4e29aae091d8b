"""The demo's contact desk: contacts on the demo's tickets, three closed with their
tags (the contact report has figures) and one still open."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_demo_seeds_contacts_on_service_tickets(frozen_clock: Any) -> None:
    from opsdesk.cases.models import TimelineEvent
    from opsdesk.contacts.models import Contact

    call_command("demo", "--no-serve", stdout=io.StringIO())

    contacts = Contact.objects.order_by("opened_at")
    enquiry, complaint = "Inbound >> Enquiry >> ", "Inbound >> Complaint >> "
    assert [(c.reason, c.status, c.tag, c.resolution) for c in contacts] == [
        ("cancel_order", "CLOSED", enquiry + "Enquiry about the cancellation", "resolved"),
        (
            "damage_theft",
            "CLOSED",
            complaint + "Technician damaged customers property",
            "unresolved",
        ),
        ("extra_part_invoice", "CLOSED", complaint + "Bill Not Given By Technician", "unresolved"),
        ("status_check", "OPEN", "", ""),
    ]
    assert {c.ticket.playbook.key for c in contacts} == {"service-order"}
    assert TimelineEvent.objects.filter(type="CONTACT_CLOSED").count() == 6  # ticket + contact
