"""Timers and the outbox, worked by one in-process worker pass at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.runtime.models import OutboxItem, Timer
from opsdesk.runtime.worker import Worker
from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud

pytestmark = pytest.mark.django_db


def onboard(**changes: Any) -> Any:
    data: dict[str, Any] = {
        "given_name": "Mehmet",
        "family_name": "Kaya",
        "phone": "+905321234567",
        "whatsapp": True,
        "email": "mehmet@example.com",
        "nationality": "TR",
        "language": "tr",
        "fields": {"service_type": "immigration"},
    }
    data.update(changes)
    return customer_create(CustomerInput(**data), Actor("test"))


def test_messages_go_out_through_the_whatsapp_cloud_api(
    onboarding: Any, staff: Any, frozen_clock: Any, whatsapp_adapter: FakeWhatsAppCloud
) -> None:
    customer = onboard()
    assert Worker().run_once() == 3
    welcome, documents, expectations = whatsapp_adapter.requests
    assert welcome == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "905321234567",
        "type": "template",
        "template": {
            "name": "onboarding_welcome",
            "language": {"code": "tr"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Mehmet"},
                        {"type": "text", "text": "Ayşe Yılmaz"},
                    ],
                }
            ],
        },
        "biz_opaque_callback_data": Message.objects.get(template="welcome").pk,
    }
    # A new customer has not written yet: outside WhatsApp's 24-hour window only
    # approved templates go through, so the list travels as a template parameter.
    assert documents["type"] == "template"
    assert documents["template"]["name"] == "onboarding_missing_documents"
    assert documents["template"]["components"][0]["parameters"] == [
        {
            "type": "text",
            "text": "Passport (all pages), Biometric photo, Residence permit card, "
            "Rental contract or proof of address, Health insurance policy",
        }
    ]
    assert expectations["type"] == "template"
    assert expectations["template"]["name"] == "onboarding_expectations"
    statuses = set(Message.objects.filter(customer=customer).values_list("status", flat=True))
    assert statuses == {"SENT"}
    assert all(m.provider_message_id.startswith("wamid.") for m in Message.objects.all())
    assert set(OutboxItem.objects.values_list("status", flat=True)) == {"DONE"}
    case = Case.objects.get(customer=customer)
    assert customer.timeline.filter(type="MESSAGE_SENT", case=case).count() == 3
    assert Worker().run_once() == 0  # nothing left, nothing sent twice
    assert len(whatsapp_adapter.requests) == 3


def test_a_provider_error_is_retried_with_backoff(
    onboarding: Any, staff: Any, frozen_clock: Any, whatsapp_adapter: FakeWhatsAppCloud
) -> None:
    onboard()
    whatsapp_adapter.fail_next(status=500)
    Worker().run_once()
    first = OutboxItem.objects.order_by("pk").first()
    assert first is not None
    assert (first.status, first.attempts) == ("PENDING", 1)
    assert first.next_attempt_at > frozen_clock.now()
    assert Message.objects.get(pk=first.message_id).status == "QUEUED"
    frozen_clock.set_now(frozen_clock.now() + dt.timedelta(minutes=5))
    Worker().run_once()
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("DONE", 2)
    assert len(whatsapp_adapter.requests) == 3


def test_a_permanent_error_is_a_visible_dead_letter(
    onboarding: Any, staff: Any, frozen_clock: Any, whatsapp_adapter: FakeWhatsAppCloud
) -> None:
    customer = onboard()
    whatsapp_adapter.fail_next(status=400, code=131047, message="Re-engagement message")
    Worker().run_once()
    dead = OutboxItem.objects.get(status="DEAD")
    assert dead.attempts == 1
    assert dead.last_error.startswith("131047: ")
    message = Message.objects.get(pk=dead.message_id)
    assert message.status == "FAILED"
    failed = customer.timeline.get(type="MESSAGE_FAILED")
    assert failed.payload["message_id"] == message.pk
    # A failed welcome no longer counts as sent for the intake task's checks.
    frozen_clock.set_now(frozen_clock.now() + dt.timedelta(hours=1))
    assert Worker().run_once() == 0


def test_a_due_timer_fires_once_and_sends_the_reminder(
    onboarding: Any, staff: Any, frozen_clock: Any
) -> None:
    customer = onboard()
    case = Case.objects.get(customer=customer)
    timer = Timer.objects.get(case=case)
    assert timer.due_at == dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC) + dt.timedelta(days=1)
    Worker().run_once()  # sends the three intake messages; the timer is not due yet
    assert Timer.objects.get(pk=timer.pk).status == "PENDING"

    frozen_clock.set_now(timer.due_at)
    Worker().run_once()
    timer.refresh_from_db()
    assert timer.status == "FIRED"
    reminder = Message.objects.get(customer=customer, template="document_reminder")
    assert reminder.body.startswith("Merhaba Mehmet, başvurunuz için şu belgeler hâlâ eksik:")
    # The next reminder is set three business days on: Tue 3 Nov 18:00 -> Fri 6 Nov 18:00.
    nxt = Timer.objects.get(case=case, status="PENDING")
    assert nxt.due_at == dt.datetime(2026, 11, 6, 15, 0, tzinfo=dt.UTC)
    Worker().run_once()
    assert customer.timeline.filter(type="TIMER_FIRED").count() == 1
    assert Message.objects.filter(template="document_reminder").count() == 1
