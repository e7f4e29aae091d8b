"""Plain set-up functions for the feedback and priority client tests (tests/feedback,
tests/customers and the browser test): a small playbook that reacts to
`feedback.received` and `priority_client`, and customers with a case under it."""

from __future__ import annotations

from typing import Any

from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.customers.models import Customer
from opsdesk.customers.services import CustomerInput, customer_create

AGENT = Actor("user:ayse")

# `testimonial` is asked for on any good rating: whether the customer consented is
# the feedback app's check (it writes TESTIMONIAL_SKIPPED without consent).
PLAYBOOK = """
key: concierge-feedback
version: 1
title: Feedback test
case_prefix: FBK
languages: [tr, en]
default_language: en
calendar: {country: TR, timezone: Europe/Istanbul}
trigger: {events: [customer.created]}
fields:
  service_type:
    type: choice
    label: Service type
    choices: [immigration, insurance]
    required: true
tasks:
  complaint:
    title: "Call {{ customer.full_name }} about their complaint"
    description: "{{ event.comment }}"
    priority: HIGH
    assignee: case_agent
states:
  open:
    initial: true
    on_enter:
      - assign: {}
    transitions:
      - on: feedback.received
        do:
          - if: "event.rating >= 4"
            then:
              - testimonial: true
          - if: "event.rating <= 2"
            then:
              - open_task: complaint
      - on: manual
        to: priority
        label: Priority client
      - on: manual
        to: done
        label: Close
  priority:
    on_enter:
      - priority_client: {tier: repeat}
    transitions:
      - on: manual
        to: done
        label: Close
  done:
    final: true
"""


def install_playbook() -> Any:
    from opsdesk.cases.playbooks import playbook_install

    version, _ = playbook_install(PLAYBOOK)
    return version


def new_customer(given_name: str = "Deniz", family_name: str = "Aksoy", **changes: Any) -> Customer:
    data: dict[str, Any] = {
        "given_name": given_name,
        "family_name": family_name,
        "phone": "+905321234567",
        "whatsapp": True,
        "email": "deniz@example.com",
        "language": "en",
        "fields": {"service_type": "immigration"},
    }
    data.update(changes)
    return customer_create(CustomerInput(**data), AGENT)


def case_of(customer: Customer) -> Case:
    """The customer's newest case."""
    return Case.objects.filter(customer=customer).latest("opened_at", "number")
