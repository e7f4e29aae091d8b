"""A provider that times out, answers 500 or rate-limits, on the fake WhatsApp Cloud API.

The worker retries with a growing backoff (a Retry-After as long as the provider
asks), gives up after OPSDESK_MAX_SEND_ATTEMPTS with the message FAILED and a
MESSAGE_FAILED row, and sends nothing more. Once the provider is back, an operator
retries the dead letter from the dead-letter page and the customer gets the message
exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from opsdesk.cases.models import TimelineEvent
from opsdesk.comms.adapters import registry
from opsdesk.comms.adapters.whatsapp_cloud import WhatsAppCloudAdapter
from opsdesk.comms.models import Message
from opsdesk.runtime.models import OutboxItem
from opsdesk.runtime.worker import Worker
from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud
from tests.runtime.test_worker import onboard

pytestmark = pytest.mark.django_db

MAX_ATTEMPTS = 4
TIMEOUT = 0.3  # the adapter's HTTP timeout in these tests, in seconds
RETRY_AFTER = 15  # seconds a rate-limited answer asks for

ERRORS = {
    "timeout": "WhatsApp request failed: ReadTimeout: timed out",
    "500": "131000: WhatsApp HTTP 500 error 131000: Something went wrong",
    "429": "130429: WhatsApp HTTP 429 error 130429: Rate limit hit",
}


@pytest.fixture
def provider(settings: Any, whatsapp_server: FakeWhatsAppCloud) -> Iterator[FakeWhatsAppCloud]:
    """WHATSAPP through the Cloud API adapter with a short HTTP timeout, at the fake."""
    registry.register(
        "whatsapp_cloud_short_timeout",
        lambda: WhatsAppCloudAdapter(
            api_base=whatsapp_server.url,
            phone_number_id=whatsapp_server.phone_number_id,
            access_token=whatsapp_server.token,
            timeout=TIMEOUT,
        ),
    )
    settings.OPSDESK_CHANNEL_ADAPTERS = {
        **settings.OPSDESK_CHANNEL_ADAPTERS,
        "WHATSAPP": "whatsapp_cloud_short_timeout",
    }
    settings.OPSDESK_MAX_SEND_ATTEMPTS = MAX_ATTEMPTS
    yield whatsapp_server
    registry.unregister("whatsapp_cloud_short_timeout")


def fail_next(server: FakeWhatsAppCloud, fault: str) -> None:
    if fault == "timeout":
        server.hang_next(TIMEOUT * 5)  # the adapter gives up first; the message never went out
    elif fault == "500":
        server.fail_next(status=500)
    else:
        server.fail_next(status=429, retry_after=RETRY_AFTER)


def sent_to_provider(server: FakeWhatsAppCloud, message_id: str) -> int:
    return sum(r["biz_opaque_callback_data"] == message_id for r in server.requests)


@pytest.mark.parametrize("fault", ["timeout", "500", "429"])
def test_a_failing_provider_is_retried_then_dead_then_sent_once_after_an_operator_retry(
    fault: str, onboarding: Any, staff: Any, frozen_clock: Any, provider: FakeWhatsAppCloud
) -> None:
    customer = onboard()
    fail_next(provider, fault)
    assert Worker().run_once() == 3  # the welcome fails, the two other messages go out
    item = OutboxItem.objects.get(message__template="welcome")
    message = Message.objects.get(pk=item.message_id)

    delays: list[float] = []
    for attempt in range(1, MAX_ATTEMPTS):
        item.refresh_from_db()
        assert (item.status, item.attempts, item.last_error) == ("PENDING", attempt, ERRORS[fault])
        assert Message.objects.get(pk=message.pk).status == "QUEUED"
        delays.append((item.next_attempt_at - frozen_clock.now()).total_seconds())
        # Not before its time: a pass just short of it leaves the item alone.
        frozen_clock.set_now(item.next_attempt_at - dt.timedelta(seconds=1))
        assert Worker().run_once() == 0
        frozen_clock.set_now(item.next_attempt_at)
        fail_next(provider, fault)
        assert Worker().run_once() == 1

    # Backoff: 5 s doubling (each within ±20%), a Retry-After as long as it asks.
    if fault == "429":
        assert all(d >= RETRY_AFTER for d in delays)
        assert delays == sorted(delays)
        assert delays[:2] == [RETRY_AFTER, RETRY_AFTER]  # longer than 5 s and 10 s
    else:
        assert [round(d / (5 * 2**i), 1) >= 0.8 for i, d in enumerate(delays)] == [True] * 3
        assert [round(d / (5 * 2**i), 1) <= 1.2 for i, d in enumerate(delays)] == [True] * 3
        assert delays == sorted(delays) and len(set(delays)) == 3

    item.refresh_from_db()
    message.refresh_from_db()
    assert (item.status, item.attempts, item.last_error) == ("DEAD", MAX_ATTEMPTS, ERRORS[fault])
    assert (message.status, message.error) == ("FAILED", ERRORS[fault])
    failed = TimelineEvent.objects.get(type="MESSAGE_FAILED", customer=customer)
    assert failed.payload == {"message_id": message.pk, "error": ERRORS[fault]}
    assert failed.actor == "worker"
    assert sent_to_provider(provider, message.pk) == 0
    tried = len(provider.received)
    frozen_clock.set_now(frozen_clock.now() + dt.timedelta(hours=2))
    assert Worker().run_once() == 0  # a dead letter is not tried again on its own
    assert len(provider.received) == tried

    # The provider is back; the manager retries from the dead-letter page.
    client = Client()
    client.force_login(staff.manager.user)
    listing = client.get(reverse("web:dead_letters"))
    assert listing.status_code == 200
    assert f'id="dead-{item.pk}"' in listing.content.decode()
    response = client.post(reverse("web:dead_letter_retry"), {"item": str(item.pk)})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:dead_letters")
    item.refresh_from_db()
    assert (item.status, item.attempts, item.next_attempt_at) == ("PENDING", 0, frozen_clock.now())
    assert Message.objects.get(pk=message.pk).status == "QUEUED"

    assert Worker().run_once() == 1
    item.refresh_from_db()
    message.refresh_from_db()
    assert (item.status, item.attempts, item.last_error) == ("DONE", 1, "")
    assert (message.status, message.error) == ("SENT", "")
    assert sent_to_provider(provider, message.pk) == 1
    assert Worker().run_once() == 0
    assert sent_to_provider(provider, message.pk) == 1  # exactly once
    types = list(
        TimelineEvent.objects.filter(customer=customer, payload__message_id=message.pk)
        .order_by("pk")
        .values_list("type", "actor")
    )
    assert types == [
        ("MESSAGE_QUEUED", "test"),
        ("MESSAGE_FAILED", "worker"),
        ("MESSAGE_RETRIED", "user:maria"),
        ("MESSAGE_SENT", "worker"),
    ]
    retried = TimelineEvent.objects.get(type="MESSAGE_RETRIED", customer=customer)
    assert retried.payload == {
        "message_id": message.pk,
        "channel": "WHATSAPP",
        "template": "welcome",
        "error": ERRORS[fault],
        "delivery_unknown": False,
    }


def test_a_permanent_refusal_is_dead_at_once_and_an_operator_retry_sends_it(
    onboarding: Any, staff: Any, frozen_clock: Any, provider: FakeWhatsAppCloud
) -> None:
    onboard()
    provider.fail_next(status=400, code=131026, message="Message undeliverable")
    Worker().run_once()
    item = OutboxItem.objects.get(status="DEAD")
    assert (item.attempts, item.last_error) == (
        1,
        "131026: WhatsApp HTTP 400 error 131026: Message undeliverable",
    )
    client = Client()
    client.force_login(staff.manager.user)
    assert client.post(reverse("web:dead_letter_retry"), {"item": item.pk}).status_code == 302
    Worker().run_once()
    assert OutboxItem.objects.get(pk=item.pk).status == "DONE"
    assert sent_to_provider(provider, item.message_id) == 1
