"""POST /api/v1/webhooks/email: raw RFC 5322 messages from the mail relay."""

from __future__ import annotations

import hashlib
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.actors import Actor
from opsdesk.comms.email_inbound import InboundEmail
from opsdesk.comms.models import Message
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.orders.models import SalesChannel

pytestmark = pytest.mark.django_db
PLAYBOOK = Path(__file__).resolve().parents[1] / "data" / "reply-playbook.yaml"
EMAILS = Path(__file__).resolve().parents[1] / "comms" / "emails"
URL = "/api/v1/webhooks/email"
SECRET = "relay-shared-secret"
INTAKE_MODULE = "opsdesk.orders.email_intake"

# A customer's answer from Gmail: multipart, quoted-printable UTF-8, quoting our message.
REPLY = (
    b"Return-Path: <mehmet.kaya@example.com>\r\n"
    b"Received: by 2002:a05:6a10:8e0c:b0:4f1:2c3d with SMTP id a12csp99812pxb;\r\n"
    b"        Wed, 28 Oct 2026 00:20:12 -0700 (PDT)\r\n"
    b"MIME-Version: 1.0\r\n"
    b"From: Mehmet Kaya <mehmet.kaya@EXAMPLE.com>\r\n"
    b"Date: Wed, 28 Oct 2026 10:20:11 +0300\r\n"
    b"Message-ID: <CAHq7=8xZp1Lk2mQ9dE4rT@mail.gmail.com>\r\n"
    b"Subject: Re: Randevunuz\r\n"
    b"To: Ikamet <bildirim@opsdesk.example>\r\n"
    b"In-Reply-To: <msg_0123456789abcdef@opsdesk.example>\r\n"
    b'Content-Type: multipart/alternative; boundary="000000000000f1e2d3c4b5a69788"\r\n'
    b"\r\n"
    b"--000000000000f1e2d3c4b5a69788\r\n"
    b'Content-Type: text/plain; charset="UTF-8"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Yar=C4=B1n olmaz, cuma 14:00 olabilir mi?\r\n"
    b"Mehmet\r\n"
    b"\r\n"
    b"On Wed, 28 Oct 2026 at 10:00, Ikamet <bildirim@opsdesk.example> wrote:\r\n"
    b"> Merhaba Mehmet, randevunuzu onayl=C4=B1yor musunuz? =C4=B0ptal i=C3=A7in =\r\n"
    b"hay=C4=B1r yaz=C4=B1n.\r\n"
    b"\r\n"
    b"--000000000000f1e2d3c4b5a69788\r\n"
    b'Content-Type: text/html; charset="UTF-8"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b'<div dir=3D"ltr">Yar=C4=B1n olmaz, cuma 14:00 olabilir mi?<br>Mehmet</div>\r\n'
    b"\r\n"
    b"--000000000000f1e2d3c4b5a69788--\r\n"
)
REPLY_TEXT = (
    "Yarın olmaz, cuma 14:00 olabilir mi?\n"
    "Mehmet\n"
    "\n"
    "On Wed, 28 Oct 2026 at 10:00, Ikamet <bildirim@opsdesk.example> wrote:\n"
    "> Merhaba Mehmet, randevunuzu onaylıyor musunuz? İptal için hayır yazın."
)


@pytest.fixture(autouse=True)
def relay_secret(settings: Any) -> None:
    settings.OPSDESK_INBOUND_EMAIL_SECRET = SECRET


@pytest.fixture
def customer(frozen_clock: Any) -> Any:
    playbook_install(PLAYBOOK.read_text())
    return customer_create(
        CustomerInput(
            given_name="Mehmet",
            family_name="Kaya",
            email="Mehmet.Kaya@example.com",
            nationality="TR",
            language="tr",
        ),
        Actor("api:sales"),
    )


def post(client: Client, raw: bytes, secret: str | None = SECRET) -> Any:
    headers = {} if secret is None else {"X-Opsdesk-Inbound-Secret": secret}
    return client.post(URL, raw, content_type="message/rfc822", headers=headers)


def replied(customer: Any) -> list[dict[str, Any]]:
    rows = customer.timeline.filter(type="CUSTOMER_REPLIED")
    return list(rows.values_list("payload", flat=True))


def test_a_customers_email_answer_moves_the_case(client: Client, customer: Any) -> None:
    r = post(client, REPLY)
    assert (r.status_code, r.content) == (200, b"ok")
    message = Message.objects.get(direction="INBOUND")
    assert (
        message.customer_id,
        message.channel,
        message.status,
        message.provider_message_id,
        message.body,
        message.created_at.isoformat(),
    ) == (
        customer.pk,
        "EMAIL",
        "RECEIVED",
        "<CAHq7=8xZp1Lk2mQ9dE4rT@mail.gmail.com>",
        REPLY_TEXT,
        "2026-10-28T07:20:11+00:00",
    )
    case = Case.objects.get(customer=customer)
    assert (case.state, case.fields["reply_channel"], case.fields["proposed_at"]) == (
        "rescheduling",
        "EMAIL",
        "2026-10-30T11:00:00+00:00",  # Friday 14:00 in Istanbul
    )
    assert replied(customer) == [
        {
            "message_id": message.pk,
            "channel": "EMAIL",
            "intent": "reschedule",
            "proposed_at": "2026-10-30T11:00:00+00:00",
            "text": "Yarın olmaz, cuma 14:00 olabilir mi?\nMehmet",
            "payload": "",
            "reason": 'reschedule; cannot make Thu 29 Oct 2026, no time ("Yarın"); '
            'proposed Fri 30 Oct 2026 14:00 ("cuma 14:00"); '
            'read "olmaz" (not yes), "olabilir mi" (question)',
        }
    ]
    assert customer.timeline.filter(type="MESSAGE_RECEIVED").get().payload == {
        "message_id": message.pk,
        "channel": "EMAIL",
    }
    # The relay retries: the same Message-ID is recorded once.
    assert post(client, REPLY).status_code == 200
    assert Message.objects.filter(direction="INBOUND").count() == 1
    assert len(replied(customer)) == 1


def test_without_message_id_the_raw_message_identifies_a_retry(
    client: Client, customer: Any
) -> None:
    raw = REPLY.replace(b"Message-ID: <CAHq7=8xZp1Lk2mQ9dE4rT@mail.gmail.com>\r\n", b"")
    assert post(client, raw).status_code == 200
    assert post(client, raw).status_code == 200
    message = Message.objects.get(direction="INBOUND")
    assert message.provider_message_id == (
        f"<sha256.{hashlib.sha256(raw).hexdigest()}@opsdesk.invalid>"
    )


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
def test_a_wrong_secret_changes_nothing(client: Client, customer: Any, secret: str | None) -> None:
    timeline = customer.timeline.count()
    r = post(client, REPLY, secret)
    assert r.status_code == 403
    assert not Message.objects.filter(direction="INBOUND").exists()
    assert customer.timeline.count() == timeline
    assert Case.objects.get(customer=customer).state == "waiting"


def test_no_secret_configured_refuses_everything(
    client: Client, customer: Any, settings: Any
) -> None:
    settings.OPSDESK_INBOUND_EMAIL_SECRET = ""
    assert post(client, REPLY, "").status_code == 403
    assert post(client, REPLY, SECRET).status_code == 403
    assert not Message.objects.filter(direction="INBOUND").exists()


def test_not_an_email_is_400(client: Client, customer: Any) -> None:
    r = post(client, b"Subject: no sender\r\n\r\nhello\r\n")
    assert r.status_code == 400
    assert r.content == b"bad email: not an email: no From header"
    assert not Message.objects.filter(direction="INBOUND").exists()


def test_unknown_sender_is_accepted_and_ignored(client: Client, customer: Any) -> None:
    raw = REPLY.replace(b"mehmet.kaya@EXAMPLE.com", b"someone@else.example")
    assert post(client, raw).status_code == 200
    assert not Message.objects.filter(direction="INBOUND").exists()


@pytest.fixture
def sales_channel(frozen_clock: Any) -> SalesChannel:
    user = get_user_model().objects.create(username="channel-bayi")
    return SalesChannel.objects.create(
        key="bayi",
        name="Bayi siparişleri",
        user=user,
        inbound_email="Siparis@opsdesk.example",
        created_at=frozen_clock.now(),
    )


def test_mail_to_a_sales_channels_intake_address_is_an_order(
    client: Client, sales_channel: SalesChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[tuple[SalesChannel, InboundEmail]] = []
    intake = types.ModuleType(INTAKE_MODULE)
    intake.order_from_email = lambda channel, email: received.append((channel, email))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, INTAKE_MODULE, intake)
    raw = (EMAILS / "gmail_alternative.eml").read_bytes()
    r = post(client, raw)
    assert (r.status_code, r.content) == (200, b"ok")
    ((channel, email),) = received
    assert channel.pk == sales_channel.pk
    assert (email.from_address, email.to_addresses, email.message_id) == (
        "ayse.yilmaz@gmail.com",
        ["siparis@opsdesk.example"],
        "<CAKx9z3V8p2mQ+Lh1_5dUwYgJ8r=Fq0T2bXk@mail.gmail.com>",
    )
    assert not Message.objects.exists()

    # An inactive channel's address is not an intake address.
    sales_channel.active = False
    sales_channel.save(update_fields=["active"])
    assert post(client, raw).status_code == 200
    assert len(received) == 1


def test_without_the_order_intake_module_the_mail_is_read_as_a_message(
    client: Client, sales_channel: SalesChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, INTAKE_MODULE, None)  # not importable
    customer_create(
        CustomerInput(given_name="Ayşe", family_name="Yılmaz", email="ayse.yilmaz@gmail.com"),
        Actor("api:sales"),
    )
    raw = (EMAILS / "gmail_alternative.eml").read_bytes()
    assert post(client, raw).status_code == 200
    message = Message.objects.get(direction="INBOUND")
    assert (message.channel, message.provider_message_id) == (
        "EMAIL",
        "<CAKx9z3V8p2mQ+Lh1_5dUwYgJ8r=Fq0T2bXk@mail.gmail.com>",
    )
