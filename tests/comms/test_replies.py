"""customer.replied: inbound answers read (buttons, free text) and routed by the playbook.

The WhatsApp answers arrive as signed Cloud API webhook posts; SMS through
`message_receive`, as its webhook would call it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.comms.replies import Answer, read_answer, reply_part
from opsdesk.comms.services import message_receive
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.tasks.models import Task
from tests.conftest import BEFORE_REPUBLIC_DAY
from tests.fakes.whatsapp_cloud import hub_signature, message_webhook

PLAYBOOK = Path(__file__).resolve().parents[1] / "data" / "reply-playbook.yaml"
SECRET = "app-secret-for-tests"
URL = "/api/v1/webhooks/whatsapp"
NOW = BEFORE_REPUBLIC_DAY  # Wednesday 28 October 2026, 10:00 in Istanbul
IST = "Europe/Istanbul"


# --- reading, pure ---------------------------------------------------------------------------


def test_button_payloads_are_their_intent_and_others_are_for_a_person() -> None:
    assert read_answer("WHATSAPP", "Onaylıyorum", "confirm", now=NOW, timezone=IST) == Answer(
        "WHATSAPP", "confirm", None, "Onaylıyorum", "confirm", 'button "confirm"'
    )
    assert read_answer("WHATSAPP", "Başka gün", "reschedule", now=NOW, timezone=IST) == Answer(
        "WHATSAPP", "reschedule", None, "Başka gün", "reschedule", 'button "reschedule"'
    )
    assert read_answer("WHATSAPP", "★★★★★", "rating_5", now=NOW, timezone=IST) == Answer(
        "WHATSAPP", None, None, "★★★★★", "rating_5", 'button "rating_5"'
    )


def test_free_text_is_read_in_the_customers_timezone() -> None:
    answer = read_answer("SMS", "yarın 10:00'da gelebilirsiniz", "", now=NOW, timezone=IST)
    assert (answer.intent, answer.proposed_at, answer.payload) == (
        "reschedule",
        "2026-10-29T07:00:00+00:00",  # 10:00 in Istanbul
        "",
    )
    london = read_answer(
        "SMS", "yarın 10:00'da gelebilirsiniz", "", now=NOW, timezone="Europe/London"
    )
    assert london.proposed_at == "2026-10-29T10:00:00+00:00"


def test_doubtful_or_unreadable_text_has_no_intent() -> None:
    doubtful = read_answer("WHATSAPP", "next Monday morning works", "", now=NOW, timezone=IST)
    assert doubtful == Answer(
        "WHATSAPP",
        None,
        None,
        "next Monday morning works",
        "",
        "for an agent (low confidence): reschedule (a date or time, no keyword); "
        'proposed Mon 2 Nov 2026 morning 09:00 ("next Monday morning")',
    )
    unreadable = read_answer("SMS", "Merhaba, kimsiniz?", "", now=NOW, timezone=IST)
    assert (unreadable.intent, unreadable.proposed_at) == (None, None)
    assert unreadable.reason.startswith("for an agent (low confidence): unclear")


def test_an_email_is_read_without_the_message_it_quotes() -> None:
    body = (
        "Yes, that works for me.\n"
        "Mehmet\n"
        "\n"
        "On Wed, 28 Oct 2026 at 10:00, Ikamet <bildirim@opsdesk.example>\n"
        "wrote:\n"
        "> Hello Mehmet, do you confirm your appointment?\n"
        "> To cancel, reply no.\n"
    )
    assert reply_part(body) == "Yes, that works for me.\nMehmet"
    answer = read_answer("EMAIL", body, "", now=NOW, timezone=IST)
    assert (answer.intent, answer.text) == ("confirm", "Yes, that works for me.\nMehmet")
    turkish = (
        "Evet, uygun.\n\n28 Eki 2026 Çar, 10:00 tarihinde Ikamet şunu yazdı:\n"
        "> İptal için hayır yazın"
    )
    assert reply_part(turkish) == "Evet, uygun."
    outlook = "Olur.\n\n-----Original Message-----\nFrom: Ikamet\nCancel?"
    assert reply_part(outlook) == "Olur."
    assert reply_part("> only a quote") == "> only a quote"  # nothing else: kept as is


# --- through the webhook and message_receive ------------------------------------------------


@pytest.fixture(autouse=True)
def whatsapp_secret(settings: Any) -> None:
    settings.WHATSAPP_APP_SECRET = SECRET


@pytest.fixture
def customer(db: Any, frozen_clock: Any) -> Any:
    playbook_install(PLAYBOOK.read_text())
    return customer_create(
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


def post_whatsapp(client: Client, message: dict[str, Any]) -> None:
    body = message_webhook(message)
    r = client.post(
        URL,
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=hub_signature(body, SECRET),
    )
    assert r.status_code == 200


def button(payload: str, text: str, wamid: str = "wamid.BTN1") -> dict[str, Any]:
    return {
        "context": {"from": "15550783881", "id": "wamid.ASK1"},
        "from": "905321234567",
        "id": wamid,
        "timestamp": str(int(NOW.timestamp())),
        "type": "button",
        "button": {"payload": payload, "text": text},
    }


def text(body: str, wamid: str = "wamid.TXT1") -> dict[str, Any]:
    return {
        "from": "905321234567",
        "id": wamid,
        "timestamp": str(int(NOW.timestamp())),
        "type": "text",
        "text": {"body": body},
    }


def replied(customer: Any) -> list[dict[str, Any]]:
    return list(customer.timeline.filter(type="CUSTOMER_REPLIED").values_list("payload", flat=True))


def types_after_message(customer: Any) -> list[str]:
    rows = list(customer.timeline.order_by("at", "id").values_list("type", flat=True))
    return rows[rows.index("MESSAGE_RECEIVED") :]


@pytest.mark.django_db
def test_confirm_button_confirms_the_case(client: Client, customer: Any) -> None:
    case = Case.objects.get(customer=customer)
    assert case.state == "waiting"
    post_whatsapp(client, button("confirm", "Onaylıyorum"))
    case.refresh_from_db()
    assert (case.state, case.status) == ("confirmed", "CLOSED")
    assert case.fields["reply_channel"] == "WHATSAPP"
    inbound = Message.objects.get(direction="INBOUND")
    assert (inbound.body, inbound.provider_message_id) == ("Onaylıyorum", "wamid.BTN1")
    assert replied(customer) == [
        {
            "message_id": inbound.pk,
            "channel": "WHATSAPP",
            "intent": "confirm",
            "proposed_at": None,
            "text": "Onaylıyorum",
            "payload": "confirm",
            "reason": 'button "confirm"',
        }
    ]
    assert types_after_message(customer) == [
        "MESSAGE_RECEIVED",
        "CUSTOMER_REPLIED",
        "FIELD_SET",
        "STATE_CHANGED",
        "CASE_CLOSED",
    ]
    # Meta retries the delivery: the answer is read once.
    post_whatsapp(client, button("confirm", "Onaylıyorum"))
    assert len(replied(customer)) == 1


@pytest.mark.django_db
def test_reject_button_rejects(client: Client, customer: Any) -> None:
    post_whatsapp(client, button("reject", "Hayır"))
    assert Case.objects.get(customer=customer).state == "rejected"
    assert [p["intent"] for p in replied(customer)] == ["reject"]


@pytest.mark.django_db
def test_other_button_payload_goes_to_a_person(client: Client, customer: Any) -> None:
    post_whatsapp(client, button("rating_5", "★★★★★"))
    case = Case.objects.get(customer=customer)
    assert (case.state, case.status) == ("needs_agent", "OPEN")
    (payload,) = replied(customer)
    assert (payload["intent"], payload["payload"], payload["text"]) == (None, "rating_5", "★★★★★")
    task = Task.objects.get(case=case)
    assert (task.title, task.description, task.status) == (
        "Read Mehmet Kaya's reply",
        "★★★★★",
        "OPEN",
    )


@pytest.mark.django_db
def test_turkish_free_text_proposes_a_new_time(client: Client, customer: Any) -> None:
    post_whatsapp(client, text("yarın 10:00'da gelebilirsiniz"))
    case = Case.objects.get(customer=customer)
    assert (case.state, case.status) == ("rescheduling", "OPEN")
    assert case.fields["proposed_at"] == "2026-10-29T07:00:00+00:00"
    (payload,) = replied(customer)
    assert payload == {
        "message_id": Message.objects.get(direction="INBOUND").pk,
        "channel": "WHATSAPP",
        "intent": "reschedule",
        "proposed_at": "2026-10-29T07:00:00+00:00",
        "text": "yarın 10:00'da gelebilirsiniz",
        "payload": "",
        "reason": 'reschedule; proposed Thu 29 Oct 2026 10:00 ("yarın 10:00\'da"); '
        'read "gelebilirsiniz" (offer)',
    }


@pytest.mark.django_db
def test_doubtful_english_text_goes_to_a_person(client: Client, customer: Any) -> None:
    post_whatsapp(client, text("next Monday morning works"))
    case = Case.objects.get(customer=customer)
    assert case.state == "needs_agent"
    assert case.fields["proposed_at"] is None
    (payload,) = replied(customer)
    assert (payload["intent"], payload["proposed_at"]) == (None, None)
    assert payload["reason"].startswith("for an agent (low confidence): reschedule")
    assert Task.objects.get(case=case).description == "next Monday morning works"


@pytest.mark.django_db
def test_clear_english_text_confirms_with_the_named_time(client: Client, customer: Any) -> None:
    post_whatsapp(client, text("next Monday morning works for me"))
    case = Case.objects.get(customer=customer)
    assert (case.state, case.fields["reply_channel"]) == ("confirmed", "WHATSAPP")
    (payload,) = replied(customer)
    assert (payload["intent"], payload["proposed_at"]) == ("confirm", "2026-11-02T06:00:00+00:00")


@pytest.mark.django_db
def test_sms_answer(customer: Any, frozen_clock: Any) -> None:
    message_receive(
        channel="SMS",
        from_address="+905321234567",
        body="Evet",
        provider_message_id="SM" + "a" * 32,
        at=frozen_clock.now(),
        actor=Actor("twilio"),
    )
    case = Case.objects.get(customer=customer)
    assert (case.state, case.fields["reply_channel"]) == ("confirmed", "SMS")
    assert [(p["channel"], p["intent"]) for p in replied(customer)] == [("SMS", "confirm")]


@pytest.mark.django_db
def test_each_case_reads_the_time_in_its_playbooks_timezone(
    customer: Any, frozen_clock: Any
) -> None:
    london = PLAYBOOK.read_text().replace("key: reply", "key: reply-london")
    playbook_install(london.replace("timezone: Europe/Istanbul", "timezone: Europe/London"))
    other = customer_create(
        CustomerInput(given_name="Ali", family_name="Demir", phone="+905329876543", whatsapp=True),
        Actor("api:sales"),
    )
    assert Case.objects.filter(customer=other).count() == 2
    message_receive(
        channel="WHATSAPP",
        from_address="+905329876543",
        body="Can we do tomorrow at 10:00 instead?",
        provider_message_id="wamid.TZ1",
        at=frozen_clock.now(),
        actor=Actor("whatsapp"),
    )
    proposed = dict(
        Case.objects.filter(customer=other).values_list("playbook__key", "fields__proposed_at")
    )
    assert proposed == {
        "reply": "2026-10-29T07:00:00+00:00",
        "reply-london": "2026-10-29T10:00:00+00:00",
    }


@pytest.mark.django_db
def test_no_open_case_no_reply(customer: Any, frozen_clock: Any) -> None:
    message_receive(
        channel="WHATSAPP",
        from_address="+905321234567",
        body="Evet",
        provider_message_id="wamid.A",
        at=frozen_clock.now(),
        actor=Actor("whatsapp"),
    )
    assert Case.objects.get(customer=customer).status == "CLOSED"
    message_receive(
        channel="WHATSAPP",
        from_address="+905321234567",
        body="Teşekkürler",
        provider_message_id="wamid.B",
        at=frozen_clock.now() + dt.timedelta(minutes=1),
        actor=Actor("whatsapp"),
    )
    assert Message.objects.filter(direction="INBOUND").count() == 2
    assert len(replied(customer)) == 1
