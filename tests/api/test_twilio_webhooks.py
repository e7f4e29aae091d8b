"""Twilio's voice and status callbacks, signed as Twilio signs them.

The call is placed by the real adapter against the fake Twilio, and every
callback goes to the URL the adapter gave Twilio, with the form Twilio sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client

from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_install
from opsdesk.cases.services import case_transition
from opsdesk.common.actors import Actor
from opsdesk.comms.adapters.twiml import confirmation_twiml, outcome_twiml
from opsdesk.comms.models import Message
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.runtime.worker import Worker
from opsdesk.tasks.models import Task
from tests.fakes.twilio import (
    Created,
    FakeTwilio,
    call_callback,
    signed_callback,
    sms_status_callback,
)

pytestmark = pytest.mark.django_db
PLAYBOOK = Path(__file__).resolve().parents[1] / "data" / "reply-playbook.yaml"
PUBLIC = "https://ops.example.com"
PROMPT = "Merhaba, yarınki randevunuz için arıyoruz."
ACCOUNT = "AC" + "3f7c2a9e1b5d4c8a" * 2  # the fake's account


@pytest.fixture
def twilio(settings: Any) -> Iterator[FakeTwilio]:
    with FakeTwilio(account_sid=ACCOUNT) as server:
        settings.OPSDESK_CHANNEL_ADAPTERS = {
            **settings.OPSDESK_CHANNEL_ADAPTERS,
            "VOICE": "twilio_voice",
            "SMS": "twilio_sms",
        }
        settings.TWILIO_API_BASE = server.url
        settings.TWILIO_ACCOUNT_SID = server.account_sid
        settings.TWILIO_AUTH_TOKEN = server.auth_token
        settings.TWILIO_FROM_NUMBER = server.from_number
        settings.OPSDESK_PUBLIC_URL = PUBLIC
        yield server


@pytest.fixture
def call(twilio: FakeTwilio, frozen_clock: Any) -> tuple[Message, Created]:
    """The case moved to `calling`; the worker placed the call through the fake."""
    playbook_install(PLAYBOOK.read_text())
    customer = customer_create(
        CustomerInput(
            given_name="Mehmet",
            family_name="Kaya",
            phone="+905321234567",
            nationality="TR",
            language="tr",
        ),
        Actor("api:sales"),
    )
    case = Case.objects.get(customer=customer)
    case_transition(case.pk, "calling", Actor("user:ayse"))
    Worker().run_once()
    message = Message.objects.get(customer=customer, channel="VOICE")
    (placed,) = [r for r in twilio.requests if r.resource == "Calls"]
    assert message.status == "SENT"
    assert placed.get("Url") == f"{PUBLIC}/api/v1/webhooks/twilio/voice/{message.pk}"
    return message, placed


def post(
    client: Client, url: str, params: dict[str, str], token: str = "test-auth-token", **kw: Any
) -> HttpResponse:
    """POST `params` to the absolute `url` as Twilio would, signed with `token`."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = signed_callback(url, params, token)
    headers.update(kw)
    return client.post(
        path, urlencode(params), content_type="application/x-www-form-urlencoded", headers=headers
    )


def voice_url(message: Message, retry: int | None = None) -> str:
    url = f"{PUBLIC}/api/v1/webhooks/twilio/voice/{message.pk}"
    return url if retry is None else f"{url}?retry={retry}"


def state(message: Message) -> str:
    return Case.objects.get(pk=message.case_id).state


def replied(message: Message) -> list[dict[str, Any]]:
    rows = message.customer.timeline.filter(type="CUSTOMER_REPLIED")
    return list(rows.values_list("payload", flat=True))


def test_the_call_asks_twice_then_says_goodbye(client: Client, call: Any) -> None:
    message, placed = call
    params = call_callback(placed, ACCOUNT)
    first = post(client, placed.get("Url"), params)
    assert first.status_code == 200
    assert first["Content-Type"] == "text/xml; charset=utf-8"
    assert first.content.decode() == confirmation_twiml(
        "tr", PROMPT, voice_url(message, 1), retries_left=1
    )
    # No input: Twilio follows the <Redirect> to the action URL, with no answer.
    second = post(client, voice_url(message, 1), params)
    assert second.content.decode() == confirmation_twiml(
        "tr", PROMPT, voice_url(message, 2), retries_left=0
    )
    assert "<Redirect" not in second.content.decode()
    late = post(client, voice_url(message, 2), params)
    assert late.content.decode() == outcome_twiml("tr", "Yanıtınızı alamadık. İyi günler.")
    assert replied(message) == []
    assert state(message) == "calling"


def test_pressing_1_confirms(client: Client, call: Any) -> None:
    message, placed = call
    r = post(client, voice_url(message, 1), call_callback(placed, ACCOUNT, Digits="1"))
    assert r.status_code == 200
    assert r["Content-Type"] == "text/xml; charset=utf-8"
    assert r.content.decode() == outcome_twiml(
        "tr", "Teşekkür ederiz, yanıtınızı kaydettik. İyi günler."
    )
    case = Case.objects.get(pk=message.case_id)
    assert (case.state, case.status, case.fields["reply_channel"]) == (
        "confirmed",
        "CLOSED",
        "VOICE",
    )
    assert replied(message) == [
        {
            "message_id": message.pk,
            "channel": "VOICE",
            "intent": "confirm",
            "proposed_at": None,
            "text": "1",
            "payload": "",
            "reason": "voice menu: confirm",
        }
    ]
    rows = list(message.customer.timeline.order_by("at", "id").values_list("type", flat=True))
    assert rows[rows.index("CUSTOMER_REPLIED") :] == [
        "CUSTOMER_REPLIED",
        "FIELD_SET",
        "STATE_CHANGED",
        "CASE_CLOSED",
    ]
    # Twilio posting the same answer again records nothing more.
    again = post(client, voice_url(message, 1), call_callback(placed, ACCOUNT, Digits="1"))
    assert again.status_code == 200
    assert len(replied(message)) == 1


def test_a_spoken_answer_to_inline_twiml(client: Client, call: Any) -> None:
    """With inline TwiML the answer goes to the plain voice URL, without `retry`."""
    message, placed = call
    params = call_callback(placed, ACCOUNT, SpeechResult="Hayır.")
    r = post(client, placed.get("Url"), params)
    assert r.status_code == 200
    assert state(message) == "rejected"
    assert [(p["intent"], p["text"]) for p in replied(message)] == [("reject", "Hayır.")]


def test_an_unreadable_answer_is_asked_again_once_then_left_to_a_person(
    client: Client, call: Any
) -> None:
    message, placed = call
    unclear = call_callback(placed, ACCOUNT, SpeechResult="Bilmiyorum, belki")
    again = post(client, voice_url(message, 1), unclear)
    assert again.content.decode() == confirmation_twiml(
        "tr", PROMPT, voice_url(message, 2), retries_left=0
    )
    assert replied(message) == []
    assert state(message) == "calling"

    last = post(client, voice_url(message, 2), unclear)
    assert last.content.decode() == outcome_twiml(
        "tr", "Teşekkür ederiz. Ekibimizden biri sizi geri arayacak. İyi günler."
    )
    assert state(message) == "needs_agent"
    assert replied(message) == [
        {
            "message_id": message.pk,
            "channel": "VOICE",
            "intent": None,
            "proposed_at": None,
            "text": "Bilmiyorum, belki",
            "payload": "",
            "reason": "voice menu: not understood",
        }
    ]
    task = Task.objects.get(case_id=message.case_id)
    assert (task.title, task.description) == ("Read Mehmet Kaya's reply", "Bilmiyorum, belki")


def test_english_call_thanks_in_english(client: Client, call: Any) -> None:
    message, placed = call
    Message.objects.filter(pk=message.pk).update(language="en")
    r = post(client, voice_url(message, 1), call_callback(placed, ACCOUNT, Digits="3"))
    assert r.content.decode() == outcome_twiml(
        "en", "Thank you, we have recorded your answer. Goodbye."
    )
    assert state(message) == "rescheduling"


@pytest.mark.parametrize(
    "forge",
    [
        "wrong token",
        "answer changed after signing",
        "signed for another URL",
        "no signature",
    ],
)
def test_forged_answers_change_nothing(client: Client, call: Any, forge: str) -> None:
    message, placed = call
    params = call_callback(placed, ACCOUNT, Digits="2")
    timeline = message.customer.timeline.count()
    url = voice_url(message, 1)
    if forge == "wrong token":
        r = post(client, url, params, token="not-the-token")
    elif forge == "answer changed after signing":
        headers = signed_callback(url, params, "test-auth-token")
        r = client.post(
            f"/api/v1/webhooks/twilio/voice/{message.pk}?retry=1",
            urlencode({**params, "Digits": "1"}),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
    elif forge == "signed for another URL":
        headers = signed_callback(
            "https://evil.example.com" + urlsplit(url).path, params, "test-auth-token"
        )
        r = client.post(
            f"/api/v1/webhooks/twilio/voice/{message.pk}?retry=1",
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
    else:
        r = client.post(
            f"/api/v1/webhooks/twilio/voice/{message.pk}?retry=1",
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
        )
    assert r.status_code == 403
    assert message.customer.timeline.count() == timeline
    assert replied(message) == []
    case = Case.objects.get(pk=message.case_id)
    assert (case.state, case.status) == ("calling", "OPEN")


def test_without_a_public_url_every_callback_is_refused(
    client: Client, call: Any, settings: Any
) -> None:
    message, placed = call
    url = voice_url(message, 1)
    settings.OPSDESK_PUBLIC_URL = ""
    r = post(client, url, call_callback(placed, ACCOUNT, Digits="1"))
    assert r.status_code == 403
    assert replied(message) == []


def test_unknown_call_is_404(client: Client, call: Any) -> None:
    _, placed = call
    url = f"{PUBLIC}/api/v1/webhooks/twilio/voice/msg_doesnotexist0000"
    assert post(client, url, call_callback(placed, ACCOUNT)).status_code == 404


def test_call_progress_moves_the_message_forward(client: Client, call: Any) -> None:
    message, placed = call
    status_url = placed.get("StatusCallback")
    assert status_url == f"{PUBLIC}/api/v1/webhooks/twilio/status/{message.pk}"
    for status in ("initiated", "ringing", "in-progress"):
        r = post(client, status_url, call_callback(placed, ACCOUNT, status=status))
        assert r.status_code == 204
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == ("DELIVERED", placed.sid)
    post(client, status_url, call_callback(placed, ACCOUNT, status="completed"))
    message.refresh_from_db()
    assert (message.status, message.error) == ("DELIVERED", "")
    assert not message.customer.timeline.filter(type="MESSAGE_FAILED").exists()
    assert state(message) == "calling"


@pytest.mark.parametrize("ending", ["busy", "no-answer", "failed", "canceled"])
def test_an_unanswered_call_is_only_recorded(client: Client, call: Any, ending: str) -> None:
    message, placed = call
    status_url = placed.get("StatusCallback")
    post(client, status_url, call_callback(placed, ACCOUNT, status="ringing"))
    r = post(client, status_url, call_callback(placed, ACCOUNT, status=ending))
    assert r.status_code == 204
    message.refresh_from_db()
    assert (message.status, message.error) == ("FAILED", ending)
    failed = message.customer.timeline.get(type="MESSAGE_FAILED")
    assert failed.payload == {"message_id": message.pk, "error": ending}
    assert replied(message) == []
    case = Case.objects.get(pk=message.case_id)
    assert (case.state, case.status) == ("calling", "OPEN")


def test_forged_status_changes_nothing(client: Client, call: Any) -> None:
    message, placed = call
    timeline = message.customer.timeline.count()
    r = post(
        client,
        placed.get("StatusCallback"),
        call_callback(placed, ACCOUNT, status="no-answer"),
        token="guessed",
    )
    assert r.status_code == 403
    message.refresh_from_db()
    assert (message.status, message.error) == ("SENT", "")
    assert message.customer.timeline.count() == timeline


def test_sms_status_reports(client: Client, call: Any, twilio: FakeTwilio) -> None:
    message, _ = call
    sms = Message.objects.create(
        customer=message.customer,
        case=message.case,
        channel="SMS",
        direction="OUTBOUND",
        body="Randevunuz yarın 10:00'da.",
        to_address="+905321234567",
        status="SENT",
        provider_message_id="SM" + "1" * 32,
        actor="worker",
        created_at=message.created_at,
        updated_at=message.created_at,
    )
    created = Created(
        "Messages", sms.provider_message_id, [("From", twilio.from_number), ("To", sms.to_address)]
    )
    url = f"{PUBLIC}/api/v1/webhooks/twilio/status/{sms.pk}"
    post(client, url, sms_status_callback(created, twilio.account_sid, status="delivered"))
    sms.refresh_from_db()
    assert sms.status == "DELIVERED"
    post(client, url, sms_status_callback(created, twilio.account_sid, status="sent"))  # late
    sms.refresh_from_db()
    assert sms.status == "DELIVERED"

    sms.status = "SENT"
    sms.save(update_fields=["status"])
    post(
        client,
        url,
        sms_status_callback(created, twilio.account_sid, status="undelivered", error_code="30003"),
    )
    sms.refresh_from_db()
    assert (sms.status, sms.error) == ("FAILED", "30003")


def test_an_sms_from_the_customer_is_read_as_a_reply(
    client: Client, call: Any, twilio: FakeTwilio
) -> None:
    message, _ = call
    url = f"{PUBLIC}/api/v1/webhooks/twilio/sms"
    params = {
        "AccountSid": twilio.account_sid,
        "ApiVersion": "2010-04-01",
        "MessageSid": "SM" + "1" * 32,
        "SmsSid": "SM" + "1" * 32,
        "From": "+905321234567",
        "To": twilio.from_number,
        "Body": "Evet onaylıyorum",
        "NumMedia": "0",
    }
    forged = post(client, url, params, token="wrong-token")
    assert forged.status_code == 403
    assert Message.objects.filter(direction="INBOUND").count() == 0

    r = post(client, url, params)
    assert r.status_code == 200
    assert r.content.decode() == "<?xml version='1.0' encoding='UTF-8'?><Response/>"
    assert post(client, url, params).status_code == 200  # Twilio's retry: stored once
    (inbound,) = Message.objects.filter(direction="INBOUND")
    assert (inbound.channel, inbound.body, inbound.provider_message_id) == (
        "SMS",
        "Evet onaylıyorum",
        "SM" + "1" * 32,
    )
    assert [p["intent"] for p in replied(message)] == ["confirm"]
