"""Inbound webhooks refuse forged requests, process a replay once, and handle stale ones.

For each webhook (WhatsApp Cloud API, Twilio SMS/voice/status, the test payment
provider, the mail relay): a missing or wrong signature is refused and writes nothing
(the row count of every model before and after); the same valid request delivered
twice, one after the other and (WhatsApp, payments) at the same moment, is processed
once and the second answer is still a 2xx, so the provider stops retrying; a stale
request is refused where the provider signs a timestamp. docs/security.md, "Webhooks".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.test import Client

from opsdesk.billing.models import Payment, PaymentLink
from opsdesk.billing.providers import TOLERANCE_SECONDS, sign_test_webhook
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.cases.playbooks import playbook_install
from opsdesk.cases.services import case_transition
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer
from opsdesk.customers.services import CustomerInput, customer_create
from tests.billing.conftest import tour_quote
from tests.billing.conftest import webhook_body as payment_body
from tests.conftest import BEFORE_REPUBLIC_DAY
from tests.fakes.twilio import signed_callback
from tests.fakes.whatsapp_cloud import hub_signature, message_webhook, webhook_body
from tests.races import race

PLAYBOOK = Path(__file__).resolve().parents[1] / "data" / "reply-playbook.yaml"
NOW = BEFORE_REPUBLIC_DAY  # Wednesday 28 October 2026, 10:00 in Istanbul
WHATSAPP_SECRET = "whatsapp-app-secret"
TWILIO_TOKEN = "twilio-auth-token"
PAYMENT_SECRET = "payment-test-secret"
EMAIL_SECRET = "relay-shared-secret"
PUBLIC = "https://ops.example.com"
WHATSAPP_URL = "/api/v1/webhooks/whatsapp"
PAYMENT_URL = "/api/v1/payments/webhooks/test"
EMAIL_URL = "/api/v1/webhooks/email"
SMS_URL = "/api/v1/webhooks/twilio/sms"
CONFIRMED = ["MESSAGE_RECEIVED", "CUSTOMER_REPLIED", "FIELD_SET", "STATE_CHANGED", "CASE_CLOSED"]


@pytest.fixture(autouse=True)
def secrets(settings: Any) -> None:
    settings.WHATSAPP_APP_SECRET = WHATSAPP_SECRET
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.OPSDESK_PUBLIC_URL = PUBLIC
    settings.OPSDESK_TEST_PAYMENT_SECRET = PAYMENT_SECRET
    settings.OPSDESK_PAYMENT_PROVIDER = "test"
    settings.OPSDESK_INBOUND_EMAIL_SECRET = EMAIL_SECRET


@pytest.fixture
def customer(db: Any) -> Iterator[Customer]:
    """Mehmet, asked on WhatsApp to confirm (the reply playbook, case in `waiting`)."""
    clock.set_now(NOW)
    playbook_install(PLAYBOOK.read_text())
    made = customer_create(
        CustomerInput(
            given_name="Mehmet",
            family_name="Kaya",
            phone="+905321234567",
            whatsapp=True,
            email="mehmet@example.com",
            nationality="TR",
            language="tr",
        ),
        Actor("api:sales"),
    )
    yield made
    clock.set_now(None)


def counts() -> dict[str, int]:
    """The row count of every model, as tests/security/harness.py counts them (the rate
    limiter's counters are the request itself, not data it changes)."""
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.managed
        and not m._meta.proxy
        and m._meta.label not in {"sessions.Session", "access.RateCounter"}
    }


def types_from_message(customer: Customer) -> list[str]:
    rows = list(customer.timeline.order_by("at", "id").values_list("type", flat=True))
    return rows[rows.index("MESSAGE_RECEIVED") :] if "MESSAGE_RECEIVED" in rows else []


# --- WhatsApp Cloud API: X-Hub-Signature-256 over the raw body ------------------------------


def confirm_button(wamid: str = "wamid.HBgMOTA1MzIxMjM0NTY3FQ", at: dt.datetime = NOW) -> bytes:
    return message_webhook(
        {
            "context": {"from": "15550783881", "id": "wamid.ASK1"},
            "from": "905321234567",
            "id": wamid,
            "timestamp": str(int(at.timestamp())),
            "type": "button",
            "button": {"payload": "confirm", "text": "Onaylıyorum"},
        }
    )


def status_report(message: Message, status: str, wamid: str = "wamid.OUT1") -> bytes:
    report: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(int(NOW.timestamp())),
        "recipient_id": "905321234567",
        "biz_opaque_callback_data": message.pk,
    }
    if status == "failed":
        report["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
    return webhook_body(
        {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "1"},
            "statuses": [report],
        }
    )


def post_whatsapp(body: bytes, signature: str | None = "") -> HttpResponse:
    """POST `body`, signed with the app secret unless a `signature` (None: no header)."""
    headers = {}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature or hub_signature(body, WHATSAPP_SECRET)
    return Client().post(WHATSAPP_URL, body, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_whatsapp_forged_requests_are_refused_and_write_nothing(
    customer: Customer, settings: Any
) -> None:
    body = confirm_button()
    before = counts()
    forged = [
        post_whatsapp(body, signature=None),  # no signature
        post_whatsapp(body, signature="sha256=" + "0" * 64),  # a wrong one
        post_whatsapp(body, signature=hub_signature(body, "someone-elses-secret")),
        post_whatsapp(body, signature=hub_signature(body, WHATSAPP_SECRET)[7:]),  # no prefix
        post_whatsapp(body, signature="sha256=not-hex"),
        # Signed, then altered: the signature covers every byte of the body.
        post_whatsapp(body.replace(b"confirm", b"reject_"), hub_signature(body, WHATSAPP_SECRET)),
    ]
    settings.WHATSAPP_APP_SECRET = ""  # not configured: an empty key proves nothing
    forged.append(post_whatsapp(body, signature=hub_signature(body, "")))
    assert [(r.status_code, r.content) for r in forged] == [(403, b"bad signature")] * 7
    assert counts() == before
    assert Case.objects.get(customer=customer).state == "waiting"


@pytest.mark.django_db
def test_whatsapp_message_replayed_is_recorded_once(customer: Customer) -> None:
    body = confirm_button()
    first = post_whatsapp(body)
    assert (first.status_code, first.content) == (200, b"ok")
    after_first = counts()
    again = post_whatsapp(body)
    assert (again.status_code, again.content) == (200, b"ok")  # Meta stops retrying
    assert counts() == after_first
    (inbound,) = Message.objects.filter(direction="INBOUND")
    assert (inbound.provider_message_id, inbound.body) == (
        "wamid.HBgMOTA1MzIxMjM0NTY3FQ",
        "Onaylıyorum",
    )
    assert types_from_message(customer) == CONFIRMED
    case = Case.objects.get(customer=customer)
    assert (case.state, case.status) == ("confirmed", "CLOSED")


@pytest.mark.django_db
def test_whatsapp_old_message_is_recorded_once_not_refused(customer: Customer) -> None:
    """Meta retries a failed delivery for up to 7 days and signs no timestamp: the
    message's own `timestamp` (inside the signed body) is kept as when it was sent,
    and the message is not refused, or a real answer would be lost. The replay key
    (the wamid) makes a replay of an old delivery harmless."""
    sent = NOW - dt.timedelta(days=6, hours=23)
    body = confirm_button("wamid.OLD1", at=sent)
    assert post_whatsapp(body).status_code == 200
    (inbound,) = Message.objects.filter(direction="INBOUND")
    assert (inbound.provider_message_id, inbound.created_at) == ("wamid.OLD1", sent)
    assert types_from_message(customer) == CONFIRMED
    after = counts()
    assert post_whatsapp(body).status_code == 200
    assert counts() == after


@pytest.mark.django_db
def test_whatsapp_status_replayed_moves_the_message_once(customer: Customer) -> None:
    """A delivery report's key is the message (wamid / our id) and its status: a status
    only moves forward, so the same report again, or an older one, changes nothing."""
    (ask,) = Message.objects.filter(customer=customer, direction="OUTBOUND")
    assert post_whatsapp(status_report(ask, "delivered")).status_code == 200
    ask.refresh_from_db()
    assert (ask.status, ask.provider_message_id) == ("DELIVERED", "wamid.OUT1")
    stamped = ask.updated_at
    clock.set_now(NOW + dt.timedelta(minutes=5))
    before = counts()
    for status in ("delivered", "sent"):  # the same report again, then an older one
        assert post_whatsapp(status_report(ask, status)).status_code == 200
    ask.refresh_from_db()
    assert (ask.status, ask.updated_at) == ("DELIVERED", stamped)
    assert counts() == before

    failed = status_report(ask, "failed")
    assert post_whatsapp(failed).status_code == 200
    after_failed = counts()
    assert post_whatsapp(failed).status_code == 200
    assert counts() == after_failed
    ask.refresh_from_db()
    assert (ask.status, ask.error) == ("FAILED", "131026: Message undeliverable")
    assert customer.timeline.filter(type="MESSAGE_FAILED").count() == 1


@pytest.mark.django_db(transaction=True)
def test_whatsapp_message_delivered_twice_at_once_is_processed_once(customer: Customer) -> None:
    body = confirm_button()
    outcomes = race(
        lambda: post_whatsapp(body).status_code, lambda: post_whatsapp(body).status_code
    )
    assert outcomes == [200, 200]
    assert Message.objects.filter(direction="INBOUND").count() == 1
    assert types_from_message(customer) == CONFIRMED  # one reply, one decision
    case = Case.objects.get(customer=customer)
    assert (case.state, case.status) == ("confirmed", "CLOSED")


@pytest.mark.django_db(transaction=True)
def test_whatsapp_failure_report_delivered_twice_at_once_is_recorded_once(
    customer: Customer,
) -> None:
    (ask,) = Message.objects.filter(customer=customer, direction="OUTBOUND")
    body = status_report(ask, "failed")
    assert race(
        lambda: post_whatsapp(body).status_code, lambda: post_whatsapp(body).status_code
    ) == [200, 200]
    ask.refresh_from_db()
    assert ask.status == "FAILED"
    assert customer.timeline.filter(type="MESSAGE_FAILED").count() == 1


# --- Twilio: X-Twilio-Signature over the public URL and the form ----------------------------


def post_twilio(
    path: str, params: dict[str, str], token: str | None = TWILIO_TOKEN, url: str = ""
) -> HttpResponse:
    """POST the form to `path` as Twilio does, signed for `url` (default: PUBLIC + path)."""
    headers = signed_callback(url or PUBLIC + path, params, token) if token is not None else {}
    return Client().post(
        path, urlencode(params), content_type="application/x-www-form-urlencoded", headers=headers
    )


def sms(sid: str = "SM" + "4d7a1c9e0b2f6a83" * 2, body: str = "Evet") -> dict[str, str]:
    return {
        "AccountSid": "AC" + "3f7c2a9e1b5d4c8a" * 2,
        "ApiVersion": "2010-04-01",
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "From": "+905321234567",
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
    }


def call_status(message: Message, status: str) -> tuple[str, dict[str, str]]:
    return f"/api/v1/webhooks/twilio/status/{message.pk}", {
        "AccountSid": "AC" + "3f7c2a9e1b5d4c8a" * 2,
        "CallSid": "CA" + "9b1e5f3a7c2d8e40" * 2,
        "CallStatus": status,
        "Direction": "outbound-api",
        "From": "+15005550006",
        "To": "+905321234567",
    }


@pytest.fixture
def call(customer: Customer, settings: Any) -> Message:
    """The case moved to `calling`: the voice message Twilio will call about."""
    settings.OPSDESK_CHANNEL_ADAPTERS = {
        **settings.OPSDESK_CHANNEL_ADAPTERS,
        "VOICE": "twilio_voice",
        "SMS": "twilio_sms",
    }
    case_transition(Case.objects.get(customer=customer).pk, "calling", Actor("user:ayse"))
    return Message.objects.get(customer=customer, channel="VOICE")


@pytest.mark.django_db
def test_twilio_forged_requests_are_refused_and_write_nothing(call: Message, settings: Any) -> None:
    voice = f"/api/v1/webhooks/twilio/voice/{call.pk}?retry=1"
    answer = {**call_status(call, "in-progress")[1], "Digits": "1"}
    status_path, completed = call_status(call, "busy")
    ask = Message.objects.get(customer=call.customer, channel="WHATSAPP")
    before = counts()
    forged = [
        post_twilio(SMS_URL, sms(), token=None),  # no signature
        post_twilio(SMS_URL, sms(), token="someone-elses-token"),
        post_twilio(SMS_URL, sms(), url="https://evil.example.com" + SMS_URL),  # another URL
        post_twilio(voice, answer, token=None),
        post_twilio(voice, answer, token="someone-elses-token"),
        # Signed for the first question (retry=1), replayed as another step (retry=2).
        post_twilio(voice.replace("retry=1", "retry=2"), answer, url=PUBLIC + voice),
        post_twilio(status_path, completed, token="someone-elses-token"),
        # Signed for this call's status URL, sent to another message's.
        post_twilio(
            f"/api/v1/webhooks/twilio/status/{ask.pk}", completed, url=PUBLIC + status_path
        ),
    ]
    settings.TWILIO_AUTH_TOKEN = ""  # not configured: an empty key proves nothing
    forged.append(post_twilio(SMS_URL, sms(), token=""))
    settings.TWILIO_AUTH_TOKEN, settings.OPSDESK_PUBLIC_URL = TWILIO_TOKEN, ""
    forged.append(post_twilio(SMS_URL, sms()))  # no public URL: nothing can match
    assert [(r.status_code, r.content) for r in forged] == [(403, b"bad signature")] * 10
    assert counts() == before
    call.refresh_from_db()
    ask.refresh_from_db()
    assert (call.status, ask.status) == ("QUEUED", "QUEUED")


@pytest.mark.django_db
def test_twilio_sms_replayed_is_recorded_once(customer: Customer) -> None:
    first = post_twilio(SMS_URL, sms())
    assert first.status_code == 200
    after_first = counts()
    again = post_twilio(SMS_URL, sms())
    assert (again.status_code, again.content) == (200, first.content)
    assert counts() == after_first
    (inbound,) = Message.objects.filter(direction="INBOUND")
    assert (inbound.channel, inbound.provider_message_id, inbound.body) == (
        "SMS",
        "SM" + "4d7a1c9e0b2f6a83" * 2,
        "Evet",
    )
    assert types_from_message(customer) == CONFIRMED


@pytest.mark.django_db
def test_twilio_voice_answer_replayed_is_recorded_once(call: Message) -> None:
    """The answer's key is the call (the message id in the signed URL, one answer per
    call); the `retry` step is signed with the URL. Questions without an answer write
    nothing, so their replays are harmless."""
    params = {**call_status(call, "in-progress")[1], "Digits": "1"}
    voice = f"/api/v1/webhooks/twilio/voice/{call.pk}"
    before = counts()
    assert post_twilio(voice, call_status(call, "in-progress")[1]).status_code == 200
    assert counts() == before  # the question: TwiML only
    assert post_twilio(voice + "?retry=1", params).status_code == 200
    after_first = counts()
    again = post_twilio(voice + "?retry=1", params)
    assert again.status_code == 200
    assert counts() == after_first
    customer = call.customer
    replies = customer.timeline.filter(type="CUSTOMER_REPLIED")
    assert [(r.payload["message_id"], r.payload["intent"]) for r in replies] == [
        (call.pk, "confirm")
    ]
    assert customer.timeline.filter(type="STATE_CHANGED", payload__to="confirmed").count() == 1


@pytest.mark.django_db
def test_twilio_status_replayed_is_recorded_once(call: Message) -> None:
    """A status callback's key is the call or SMS (CallSid / MessageSid, for the message
    in the URL) and its status: statuses only move forward."""
    path, ringing = call_status(call, "ringing")
    assert post_twilio(path, ringing).status_code == 204
    path, busy = call_status(call, "busy")
    assert post_twilio(path, busy).status_code == 204
    after_first = counts()
    for params in (busy, ringing):  # the same callback again, then an older one
        assert post_twilio(path, params).status_code == 204
    assert counts() == after_first
    call.refresh_from_db()
    assert (call.status, call.error, call.provider_message_id) == (
        "FAILED",
        "busy",
        "CA" + "9b1e5f3a7c2d8e40" * 2,
    )
    assert call.customer.timeline.filter(type="MESSAGE_FAILED").count() == 1


# --- The test payment provider: a signed timestamp, tolerance 300 s -------------------------


@pytest.fixture
def link(customer: Customer, staff: Any) -> PaymentLink:
    quote = tour_quote(customer, Case.objects.get(customer=customer))
    return PaymentLink.objects.get(quote=quote)


def post_payment(body: bytes, signature: str | None = "", at: dt.datetime | None = None) -> Any:
    """POST `body`, signed now (or `at`) unless a `signature` (None: no header)."""
    if signature == "":
        signature = sign_test_webhook(PAYMENT_SECRET, int((at or clock.now()).timestamp()), body)
    headers = {"X-Test-Signature": signature} if signature is not None else {}
    return Client().post(PAYMENT_URL, body, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_payment_forged_requests_are_refused_and_write_nothing(
    link: PaymentLink, settings: Any
) -> None:
    """The payment webhook answers 400 (its documented answer, docs/api.md)."""
    body = payment_body(link, "tpay_1")
    now = int(clock.now().timestamp())
    before = counts()
    forged = [
        post_payment(body, signature=None),
        post_payment(body, signature=sign_test_webhook("someone-elses-secret", now, body)),
        post_payment(body, signature=f"t={now},v1=" + "0" * 64),
        post_payment(body, signature="v1=" + sign_test_webhook(PAYMENT_SECRET, now, body)[-64:]),
        # Signed, then the amount raised.
        post_payment(
            payment_body(link, "tpay_1", amount="1.00"),
            signature=sign_test_webhook(PAYMENT_SECRET, now, body),
        ),
    ]
    settings.OPSDESK_TEST_PAYMENT_SECRET = ""
    forged.append(post_payment(body, signature=sign_test_webhook("", now, body)))
    assert [(r.status_code, r.json()["detail"]) for r in forged] == [(400, "bad signature")] * 6
    assert counts() == before


@pytest.mark.django_db
def test_payment_stale_or_future_signatures_are_refused(link: PaymentLink) -> None:
    body = payment_body(link, "tpay_1")
    before = counts()
    for skew in (TOLERANCE_SECONDS + 1, -(TOLERANCE_SECONDS + 1), 7 * 86400):
        r = post_payment(body, at=clock.now() - dt.timedelta(seconds=skew))
        assert (r.status_code, r.json()["errors"]) == (
            400,
            {"signature": ["signature timestamp outside the tolerance"]},
        )
    assert counts() == before
    # At the edge of the tolerance it is still taken.
    edge = post_payment(body, at=clock.now() - dt.timedelta(seconds=TOLERANCE_SECONDS))
    assert (edge.status_code, edge.json()["status"]) == (200, "SUCCEEDED")


@pytest.mark.django_db
def test_payment_replayed_is_recorded_once(link: PaymentLink) -> None:
    body = payment_body(link, "tpay_1")
    signature = sign_test_webhook(PAYMENT_SECRET, int(clock.now().timestamp()), body)
    first = post_payment(body, signature)
    assert first.status_code == 200, first.content
    after_first = counts()
    clock.set_now(clock.now() + dt.timedelta(seconds=60))  # within the tolerance
    again = post_payment(body, signature)  # the very same request
    assert (again.status_code, again.json()) == (200, first.json())
    assert counts() == after_first
    (payment,) = Payment.objects.all()
    assert (payment.provider_ref, payment.status, payment.amount) == (
        "tpay_1",
        "SUCCEEDED",
        link.amount,
    )
    assert TimelineEvent.objects.filter(type="PAYMENT_RECEIVED").count() == 1


@pytest.mark.django_db
def test_payment_pending_then_settled_is_one_payment(link: PaymentLink) -> None:
    pending = payment_body(link, "tpay_2", status="PENDING")
    succeeded = payment_body(link, "tpay_2")
    assert post_payment(pending).json()["status"] == "PENDING"
    assert post_payment(succeeded).json()["status"] == "SUCCEEDED"
    after = counts()
    for body in (pending, succeeded):  # both again: news about a settled payment
        r = post_payment(body)
        assert (r.status_code, r.json()["status"]) == (200, "SUCCEEDED")
    assert counts() == after
    assert Payment.objects.get().status == "SUCCEEDED"
    assert TimelineEvent.objects.filter(type="PAYMENT_RECEIVED").count() == 1


@pytest.mark.django_db(transaction=True)
def test_payment_delivered_twice_at_once_is_recorded_once(link: PaymentLink) -> None:
    body = payment_body(link, "tpay_3")
    signature = sign_test_webhook(PAYMENT_SECRET, int(clock.now().timestamp()), body)
    assert race(
        lambda: post_payment(body, signature).status_code,
        lambda: post_payment(body, signature).status_code,
    ) == [
        200,
        200,
    ]
    assert Payment.objects.filter(provider_ref="tpay_3").count() == 1
    assert TimelineEvent.objects.filter(type="PAYMENT_RECEIVED").count() == 1


# --- The mail relay: a shared secret; the Message-ID is the replay key ----------------------


def email(message_id: str = "<CAHq7=8xZp1Lk2mQ9dE4rT@mail.gmail.com>") -> bytes:
    return (
        "From: Mehmet Kaya <mehmet@example.com>\r\n"
        "To: Ikamet <bildirim@opsdesk.example>\r\n"
        "Date: Wed, 28 Oct 2026 10:20:11 +0300\r\n"
        f"Message-ID: {message_id}\r\n"
        "Subject: Re: Randevunuz\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Evet, onaylıyorum.\r\n"
    ).encode()


def post_email(raw: bytes, secret: str | None = EMAIL_SECRET) -> HttpResponse:
    headers = {"X-Opsdesk-Inbound-Secret": secret} if secret is not None else {}
    return Client().post(EMAIL_URL, raw, content_type="message/rfc822", headers=headers)


@pytest.mark.django_db
def test_email_without_the_relay_secret_is_refused_and_writes_nothing(
    customer: Customer, settings: Any
) -> None:
    before = counts()
    forged = [post_email(email(), None), post_email(email(), "guess"), post_email(email(), "")]
    settings.OPSDESK_INBOUND_EMAIL_SECRET = ""
    forged.append(post_email(email(), ""))
    assert [(r.status_code, r.content) for r in forged] == [(403, b"bad secret")] * 4
    assert counts() == before


@pytest.mark.django_db
def test_email_replayed_is_recorded_once(customer: Customer) -> None:
    assert post_email(email()).status_code == 200
    after_first = counts()
    assert post_email(email()).status_code == 200
    assert counts() == after_first
    (inbound,) = Message.objects.filter(direction="INBOUND")
    assert (inbound.channel, inbound.provider_message_id) == (
        "EMAIL",
        "<CAHq7=8xZp1Lk2mQ9dE4rT@mail.gmail.com>",
    )
    assert types_from_message(customer) == CONFIRMED


# --- What the replay key is: one inbound message per channel and provider id ---------------


@pytest.mark.django_db
def test_the_database_refuses_a_second_inbound_message_with_one_provider_id(
    customer: Customer,
) -> None:
    """The constraint behind message_receive's dedupe (two deliveries at once)."""
    assert post_whatsapp(confirm_button()).status_code == 200
    inbound = Message.objects.get(direction="INBOUND")
    row = {f.attname: getattr(inbound, f.attname) for f in Message._meta.concrete_fields} | {
        "id": "msg_0000000000000002"
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(**row)
    # Another channel, outbound messages, or inbound ones without a provider id: not repeats.
    others = [{"channel": "SMS"}] + [{"direction": "OUTBOUND"}, {"provider_message_id": ""}] * 2
    for n, changes in enumerate(others, start=3):
        Message.objects.create(**{**row, **changes, "id": f"msg_{n:016d}"})
