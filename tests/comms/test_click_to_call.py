"""Click-to-call: POST /api/v1/customers/{id}/call rings the agent, then the customer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from opsdesk.access.tokens import token_create
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Refused
from opsdesk.comms.models import Message
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.runtime.deadletters import dead_letters_retry
from opsdesk.runtime.models import OutboxItem
from opsdesk.runtime.worker import Worker
from opsdesk.staff.models import Agent
from tests.fakes.twilio import FakeTwilio

pytestmark = pytest.mark.django_db


@pytest.fixture
def twilio(settings: Any) -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        settings.OPSDESK_CLICK_TO_CALL = "twilio"
        settings.TWILIO_API_BASE = server.url
        settings.TWILIO_ACCOUNT_SID = server.account_sid
        settings.TWILIO_AUTH_TOKEN = server.auth_token
        settings.TWILIO_FROM_NUMBER = server.from_number
        yield server


@pytest.fixture
def customer(staff: Any, onboarding: Any) -> Any:
    return customer_create(
        CustomerInput(
            given_name="Mehmet",
            family_name="Kaya",
            phone="+90 532 123 45 67",
            whatsapp=True,
            email="mehmet@example.com",
            fields={"service_type": "immigration"},
        ),
        Actor.of_user(staff.ayse.user),
    )


def bearer(agent: Any) -> dict[str, str]:
    _, secret = token_create(agent.user, "calls")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_agent_is_rung_first_and_twilio_dials_the_customer(
    staff: Any, customer: Any, twilio: FakeTwilio
) -> None:
    Agent.objects.filter(pk=staff.ayse.pk).update(phone="+905329998877")
    response = Client().post(
        f"/api/v1/customers/{customer.pk}/call",
        {},
        content_type="application/json",
        **bearer(staff.ayse),
    )
    assert response.status_code == 201, response.content
    call = Message.objects.get(pk=response.json()["id"])
    assert (call.channel, call.direction, call.status, call.to_address) == (
        "VOICE",
        "OUTBOUND",
        "QUEUED",
        "+905321234567",
    )
    Worker().run_once()
    (created,) = twilio.requests
    assert (created.resource, created.get("To"), created.get("From")) == (
        "Calls",
        "+905329998877",
        twilio.from_number,
    )
    assert created.get("Twiml") == (
        "<Response><Say>Connecting you to the customer.</Say>"
        f'<Dial callerId="{twilio.from_number}"><Number>+905321234567</Number></Dial></Response>'
    )
    call.refresh_from_db()
    assert (call.status, call.provider_message_id) == ("SENT", created.sid)


def test_a_refused_call_is_failed_at_once_and_never_rings_later(
    staff: Any, customer: Any, twilio: FakeTwilio
) -> None:
    Agent.objects.filter(pk=staff.ayse.pk).update(phone="+905329998877")
    twilio.fail_next(503)
    response = Client().post(
        f"/api/v1/customers/{customer.pk}/call", {}, content_type="application/json",
        **bearer(staff.ayse),
    )  # fmt: skip
    Worker().run_once()
    Worker().run_once()
    call = Message.objects.get(pk=response.json()["id"])
    assert call.status == "FAILED"
    assert OutboxItem.objects.get(kind="call.connect").status == "DEAD"
    assert twilio.requests == []

    # Nor from the dead-letter page: the agent presses Call again instead.
    item = OutboxItem.objects.get(kind="call.connect")
    before = (item.status, item.attempts, item.last_error, item.next_attempt_at)
    with pytest.raises(Refused, match="a call is never placed late; press Call on the case"):
        dead_letters_retry([item.pk], Actor("user:root"))
    item.refresh_from_db()
    assert (item.status, item.attempts, item.last_error, item.next_attempt_at) == before
    call.refresh_from_db()
    assert call.status == "FAILED"
    Worker().run_once()
    assert twilio.requests == []


def test_an_agent_without_a_phone_gets_422_and_nothing_is_queued(staff: Any, customer: Any) -> None:
    before = Message.objects.count()
    response = Client().post(
        f"/api/v1/customers/{customer.pk}/call", {}, content_type="application/json",
        **bearer(staff.ayse),
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "agent_phone": ["Ayşe Yılmaz has no phone number with a country code to ring first"]
    }
    assert Message.objects.count() == before
    assert not OutboxItem.objects.filter(kind="call.connect").exists()
