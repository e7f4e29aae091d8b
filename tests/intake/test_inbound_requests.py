"""Requests from messages: a WhatsApp message from someone without an open case,
and mail to a playbook's intake address, through the providers' webhooks."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_install
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer
from opsdesk.intake.models import Request
from tests.fakes.whatsapp_cloud import hub_signature, message_webhook
from tests.intake.conftest import PLAYBOOK
from tests.intake.helpers import counts

pytestmark = pytest.mark.django_db
WA_SECRET = "app-secret-for-tests"
MAIL_SECRET = "relay-shared-secret"
AT = "1793170500"  # 2026-10-28 06:55 UTC, five minutes before the frozen clock


@pytest.fixture(autouse=True)
def secrets(settings: Any) -> None:
    settings.WHATSAPP_APP_SECRET = WA_SECRET
    settings.OPSDESK_INBOUND_EMAIL_SECRET = MAIL_SECRET


def whatsapp(client: Client, text: str, wamid: str = "wamid.REQ1") -> Any:
    body = message_webhook(
        {
            "from": "905321234567",
            "id": wamid,
            "timestamp": AT,
            "type": "text",
            "text": {"body": text},
        }
    )
    return client.post(
        "/api/v1/webhooks/whatsapp",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=hub_signature(body, WA_SECRET),
    )


def mail(
    client: Client, body: str, *, to: str = "trips@opsdesk.example", msgid: str = "<m1@example.com>"
) -> Any:
    raw = (
        "From: Mehmet Kaya <mehmet.kaya@example.com>\r\n"
        f"To: Trips <{to}>\r\n"
        "Subject: Trip to Berlin\r\n"
        "Date: Wed, 28 Oct 2026 09:50:00 +0300\r\n"
        f"Message-ID: {msgid}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n" + body
    ).encode()
    return client.post(
        "/api/v1/webhooks/email",
        raw,
        content_type="message/rfc822",
        headers={"X-Opsdesk-Inbound-Secret": MAIL_SECRET},
    )


def test_a_whatsapp_message_from_a_stranger_opens_a_request(client: Client, trips: Any) -> None:
    r = whatsapp(client, "Hi, I need an airport transfer on Friday")
    assert r.status_code == 200
    customer = Customer.objects.get()
    assert (
        customer.given_name,
        customer.family_name,
        customer.phone,
        customer.whatsapp,
        customer.language,
        customer.source,
    ) == ("WhatsApp", "+905321234567", "+905321234567", True, "en", "WHATSAPP")
    case = Case.objects.get()
    # Nothing could be read from a chat message: a person completes the sheet.
    assert (case.number, case.state, case.fields) == ("TRP-2026-000001", "received", {})
    inbound = Message.objects.get(direction="INBOUND")
    assert (inbound.case_id, inbound.channel, inbound.body, inbound.provider_message_id) == (
        case.pk,
        "WHATSAPP",
        "Hi, I need an airport transfer on Friday",
        "wamid.REQ1",
    )
    req = Request.objects.get()
    assert (req.case_id, req.channel, req.text, req.message_id, req.created_by) == (
        case.pk,
        "WHATSAPP",
        "Hi, I need an airport transfer on Friday",
        inbound.pk,
        "whatsapp",
    )
    receipt = Message.objects.get(direction="OUTBOUND")
    rows = list(customer.timeline.order_by("id").values_list("type", "case_id", "payload"))
    assert rows == [
        ("CUSTOMER_CREATED", None, {"source": "WHATSAPP"}),
        ("REQUEST_RECEIVED", None, {"channel": "WHATSAPP", "request_id": req.pk}),
        ("CASE_OPENED", case.pk, {"number": "TRP-2026-000001", "playbook": "trips v1"}),
        (
            "MESSAGE_QUEUED",
            case.pk,
            {"template": "receipt", "channel": "WHATSAPP", "message_id": receipt.pk},
        ),
        ("MESSAGE_RECEIVED", case.pk, {"message_id": inbound.pk, "channel": "WHATSAPP"}),
    ]
    # The customer just wrote: free text goes back on WhatsApp within the window.
    assert (receipt.channel, receipt.to_address, receipt.body) == (
        "WHATSAPP",
        "+905321234567",
        "Hello WhatsApp, we have your request TRP-2026-000001 (WHATSAPP).",
    )
    # Meta retries the delivery: nothing new.
    before = counts()
    assert whatsapp(client, "Hi, I need an airport transfer on Friday").status_code == 200
    assert counts() == before


def test_a_known_customer_without_an_open_case_is_reused(client: Client, trips: Any) -> None:
    from opsdesk.common.actors import Actor
    from opsdesk.intake.services import request_receive

    first = request_receive(
        playbook="trips",
        channel="PHONE",
        customer={"given_name": "Mehmet", "family_name": "Kaya", "phone": "+905321234567"},
        fields={"service_type": "visa_help"},
        text="",
        actor=Actor("user:ayse"),
    )
    Case.objects.filter(pk=first.pk).update(status="CLOSED")
    assert whatsapp(client, "Another trip please").status_code == 200
    assert Customer.objects.count() == 1
    customer = Customer.objects.get()
    assert (customer.given_name, customer.whatsapp) == ("Mehmet", False)  # unchanged
    second = Case.objects.exclude(pk=first.pk).get()
    assert Request.objects.get(case=second).text == "Another trip please"


def test_a_whatsapp_message_to_an_open_case_is_an_ordinary_message(
    client: Client, trips: Any
) -> None:
    whatsapp(client, "First")
    assert whatsapp(client, "Second", wamid="wamid.REQ2").status_code == 200
    assert (Case.objects.count(), Request.objects.count()) == (1, 1)
    second = Message.objects.get(provider_message_id="wamid.REQ2")
    assert second.case_id == Case.objects.get().pk


def test_without_a_whatsapp_playbook_a_strangers_message_is_dropped(
    client: Client, staff: Any, frozen_clock: Any
) -> None:
    playbook_install(
        PLAYBOOK.replace("channels: [PHONE, WEB, WHATSAPP, EMAIL]", "channels: [PHONE]")
    )
    before = counts()
    assert whatsapp(client, "Hello?").status_code == 200
    assert counts() == before


EMAIL_BODY = (
    "Hello,\n"
    "\n"
    "Type of service: Visa help\n"
    "Travel date (from): 01.12.2026\n"
    "Travel date (until): 10/12/2026\n"
    "Budget: 2000 EUR\n"
    "\n"
    "Mehmet\n"
)


def test_mail_to_the_intake_address_opens_a_request(client: Client, trips: Any) -> None:
    r = mail(client, EMAIL_BODY)
    assert (r.status_code, r.content) == (200, b"ok")
    customer = Customer.objects.get()
    assert (
        customer.given_name,
        customer.family_name,
        customer.email,
        customer.phone,
        customer.source,
    ) == ("Mehmet", "Kaya", "mehmet.kaya@example.com", "", "API")
    case = Case.objects.get()
    assert case.fields == {
        "service_type": "visa_help",
        "departure": "2026-12-01",
        "return_date": "2026-12-10",
    }
    inbound = Message.objects.get(direction="INBOUND")
    assert (inbound.case_id, inbound.channel, inbound.subject, inbound.body) == (
        case.pk,
        "EMAIL",
        "Trip to Berlin",
        EMAIL_BODY.rstrip("\n"),
    )
    req = Request.objects.get()
    assert (req.channel, req.text, req.message_id, req.created_by) == (
        "EMAIL",
        inbound.body,
        inbound.pk,
        "email",
    )
    assert customer.timeline.get(type="REQUEST_RECEIVED").payload == {
        "channel": "EMAIL",
        "request_id": req.pk,
    }
    receipt = Message.objects.get(direction="OUTBOUND")
    assert (receipt.channel, receipt.to_address, receipt.subject) == (
        "EMAIL",
        "mehmet.kaya@example.com",
        "We have your request TRP-2026-000001",
    )
    # The relay retries: still one request (the sender now has an open case).
    before = counts()
    assert mail(client, EMAIL_BODY).status_code == 200
    assert counts() == before


def test_a_mail_that_fails_a_check_leaves_that_field_empty(client: Client, trips: Any) -> None:
    body = "Type of service: airport transfer\nDeparture: 10.12.2026\nReturn date: 01.12.2026\n"
    assert mail(client, body).status_code == 200
    assert Case.objects.get().fields == {
        "service_type": "airport_transfer",
        "departure": "2026-12-10",
    }


def test_mail_from_a_sender_with_an_open_case_is_an_ordinary_message(
    client: Client, trips: Any
) -> None:
    mail(client, EMAIL_BODY)
    r = mail(client, "Can we add a hotel?", msgid="<m2@example.com>")
    assert r.status_code == 200
    case = Case.objects.get()
    assert Request.objects.count() == 1
    follow_up = Message.objects.get(provider_message_id="<m2@example.com>")
    assert (follow_up.case_id, follow_up.direction, follow_up.body) == (
        case.pk,
        "INBOUND",
        "Can we add a hotel?",
    )


def test_mail_to_another_address_is_not_a_request(client: Client, trips: Any) -> None:
    before = counts()
    assert mail(client, EMAIL_BODY, to="info@opsdesk.example").status_code == 200
    assert counts() == before  # an unknown sender's mail is dropped, as before
