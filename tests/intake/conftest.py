"""A small request playbook (not shipped) for the intake tests: all four channels,
a required choice, two dates with an order check, and a receipt that goes back the
way the request came."""

from __future__ import annotations

from typing import Any

import pytest

from opsdesk.cases.playbooks import playbook_install

PLAYBOOK = """
key: trips
version: 1
title: Trip requests
case_prefix: TRP
languages: [en, tr]
default_language: en
calendar: {country: TR, timezone: Europe/Istanbul}
trigger: {events: [request.received]}
intake:
  title: Plan your trip
  channels: [PHONE, WEB, WHATSAPP, EMAIL]
  email: trips@opsdesk.example
  form: [service_type, departure, return_date, travellers, notes]
  checks:
    - field: return_date
      when: >-
        fields.return_date is none or fields.departure is none
        or fields.return_date >= fields.departure
      message: "the return date is before the departure date"
fields:
  service_type:
    type: choice
    label: Type of service
    required: true
    choices: [visa_help, airport_transfer]
  departure:
    type: date
    label: Travel date (from)
  return_date:
    type: date
    label: Travel date (until)
  travellers:
    type: number
    label: Travellers
  notes:
    type: text
    label: Notes
templates:
  receipt:
    channels: [WHATSAPP, SMS, EMAIL]
    prefer: "intake.reply_channel"
    subject:
      en: "We have your request {{ case.number }}"
      tr: "Talebiniz alındı: {{ case.number }}"
    text:
      en: >-
        Hello {{ customer.given_name }}, we have your request {{ case.number }}
        ({{ intake.channel }}).
      tr: >-
        Merhaba {{ customer.given_name }}, talebiniz {{ case.number }} alındı
        ({{ intake.channel }}).
states:
  received:
    initial: true
    on_enter:
      - send: receipt
    transitions:
      - {on: manual, to: done, label: Done}
  done:
    final: true
"""


@pytest.fixture
def trips(staff: Any, frozen_clock: Any) -> Any:
    version, _ = playbook_install(PLAYBOOK)
    return version
