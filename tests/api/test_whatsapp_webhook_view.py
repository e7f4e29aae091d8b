"""POST /api/v1/webhooks/whatsapp: signed inbound messages and delivery reports."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.customers.services import CustomerInput, customer_create
from tests.fakes.whatsapp_cloud import hub_signature, message_webhook, webhook_body

pytestmark = pytest.mark.django_db
SECRET = "app-secret-for-tests"
URL = "/api/v1/webhooks/whatsapp"


@pytest.fixture(autouse=True)
def whatsapp_secrets(settings: Any) -> None:
    settings.WHATSAPP_APP_SECRET = SECRET
    settings.WHATSAPP_VERIFY_TOKEN = "verify-me"


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"HTTP_X_HUB_SIGNATURE_256": hub_signature(body, secret)}


def inbound(text: str, wamid: str = "wamid.IN1") -> bytes:
    return message_webhook(
        {
            "from": "905321234567",
            "id": wamid,
            "timestamp": "1793347200",
            "type": "text",
            "text": {"body": text},
        }
    )


@pytest.fixture
def customer(onboarding: Any, staff: Any) -> Any:
    return customer_create(
        CustomerInput(
            given_name="Mehmet",
            family_name="Kaya",
            phone="+905321234567",
            whatsapp=True,
            email="mehmet@example.com",
            nationality="TR",
            language="tr",
            fields={"service_type": "immigration"},
        ),
        Actor("test"),
    )


def test_handshake(client: Client) -> None:
    ok = client.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"}
    )
    assert (ok.status_code, ok.content) == (200, b"42")
    bad = client.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"}
    )
    assert bad.status_code == 403


def test_signed_inbound_message_lands_on_the_customer(client: Client, customer: Any) -> None:
    body = inbound("Pasaportumu yarın gönderiyorum")
    r = client.post(URL, body, content_type="application/json", **signed(body))
    assert r.status_code == 200
    message = Message.objects.get(direction="INBOUND")
    assert (message.customer_id, message.channel, message.status) == (
        customer.pk,
        "WHATSAPP",
        "RECEIVED",
    )
    assert message.body == "Pasaportumu yarın gönderiyorum"
    assert customer.timeline.filter(type="MESSAGE_RECEIVED").count() == 1
    # Meta retries deliveries: the same message id is recorded once.
    client.post(URL, body, content_type="application/json", **signed(body))
    assert Message.objects.filter(direction="INBOUND").count() == 1


def test_forged_or_unsigned_requests_change_nothing(client: Client, customer: Any) -> None:
    body = inbound("forged")
    assert (
        client.post(URL, body, content_type="application/json", **signed(body, "wrong")).status_code
        == 403
    )
    assert client.post(URL, body, content_type="application/json").status_code == 403
    assert not Message.objects.filter(direction="INBOUND").exists()


def test_delivery_report_moves_the_message_forward_only(client: Client, customer: Any) -> None:
    welcome = Message.objects.get(customer=customer, template="welcome")

    def report(status: str) -> None:
        body = webhook_body(
            {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": "1"},
                "statuses": [
                    {
                        "id": "wamid.OUT1",
                        "status": status,
                        "timestamp": "1793347260",
                        "recipient_id": "905321234567",
                        "biz_opaque_callback_data": welcome.pk,
                    }
                ],
            }
        )
        assert (
            client.post(URL, body, content_type="application/json", **signed(body)).status_code
            == 200
        )

    report("read")
    welcome.refresh_from_db()
    assert (welcome.status, welcome.provider_message_id) == ("READ", "wamid.OUT1")
    report("delivered")  # late and out of order: ignored
    welcome.refresh_from_db()
    assert welcome.status == "READ"
