"""Quick-reply buttons on WhatsApp templates: the Cloud API wire format, end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.actors import Actor
from opsdesk.comms.adapters.base import OutboundMessage, PermanentError, WhatsAppTemplate
from opsdesk.comms.adapters.whatsapp_cloud import WhatsAppCloudAdapter, build_payload
from opsdesk.comms.models import Message
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.runtime.worker import Worker
from tests.fakes.whatsapp_cloud import BadRequest, FakeWhatsAppCloud, check_message_body

PLAYBOOK = Path(__file__).resolve().parents[1] / "data" / "reply-playbook.yaml"


@pytest.fixture
def adapter(whatsapp_server: FakeWhatsAppCloud) -> Iterator[WhatsAppCloudAdapter]:
    adapter = WhatsAppCloudAdapter(
        whatsapp_server.url, whatsapp_server.phone_number_id, whatsapp_server.token, timeout=2.0
    )
    yield adapter
    adapter.close()


def _template(params: tuple[str, ...], buttons: tuple[str, ...]) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="msg_btn1",
        channel="WHATSAPP",
        to="+905321234567",
        body="Randevunuzu onaylıyor musunuz?",
        language="tr",
        whatsapp_template=WhatsAppTemplate("appointment_confirm", "tr", params, buttons),
    )


def test_buttons_follow_the_body_parameters(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud
) -> None:
    adapter.send(_template(("Mehmet",), ("confirm", "reject", "reschedule")))
    assert whatsapp_server.requests == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "905321234567",
            "type": "template",
            "template": {
                "name": "appointment_confirm",
                "language": {"code": "tr"},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": "Mehmet"}]},
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": "0",
                        "parameters": [{"type": "payload", "payload": "confirm"}],
                    },
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": "1",
                        "parameters": [{"type": "payload", "payload": "reject"}],
                    },
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": "2",
                        "parameters": [{"type": "payload", "payload": "reschedule"}],
                    },
                ],
            },
            "biz_opaque_callback_data": "msg_btn1",
        }
    ]


def test_buttons_without_body_parameters(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud
) -> None:
    adapter.send(_template((), ("rating_5",)))
    (request,) = whatsapp_server.requests
    assert request["template"]["components"] == [
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": "rating_5"}],
        }
    ]


def test_no_buttons_no_components(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud
) -> None:
    adapter.send(_template((), ()))
    (request,) = whatsapp_server.requests
    assert request["template"] == {"name": "appointment_confirm", "language": {"code": "tr"}}


def test_too_many_or_empty_payloads_are_refused_locally() -> None:
    with pytest.raises(PermanentError, match="11 buttons; Meta allows 10"):
        build_payload(_template((), tuple(f"b{i}" for i in range(11))))
    with pytest.raises(PermanentError, match="quick-reply payload 1 must be 1 to 1000"):
        build_payload(_template((), ("confirm", "")))


@pytest.mark.parametrize(
    ("button", "error"),
    [
        ({"sub_type": "quick_reply", "index": 0}, "index must be a string"),
        ({"sub_type": "quick_reply", "index": "10"}, "index must be a string"),
        ({"sub_type": "reply", "index": "0"}, "sub_type must be one of"),
        (
            {
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "text", "text": "confirm"}],
            },
            "a quick_reply parameter is",
        ),
        ({"sub_type": "quick_reply", "index": "0", "parameters": []}, "exactly one parameter"),
    ],
)
def test_the_fake_refuses_malformed_buttons(button: dict[str, Any], error: str) -> None:
    body = build_payload(_template((), ("confirm",)))
    (component,) = body["template"]["components"]
    component.update(button)
    with pytest.raises(BadRequest, match=error):
        check_message_body(body)


def test_the_fake_refuses_repeated_indexes() -> None:
    body = build_payload(_template((), ("confirm", "reject")))
    body["template"]["components"][1]["index"] = "0"
    with pytest.raises(BadRequest, match="indexes must be unique"):
        check_message_body(body)


@pytest.mark.django_db
def test_a_playbook_templates_buttons_reach_whatsapp(
    whatsapp_adapter: FakeWhatsAppCloud, frozen_clock: Any
) -> None:
    playbook_install(PLAYBOOK.read_text())
    customer = customer_create(
        CustomerInput(
            given_name="Mehmet",
            family_name="Kaya",
            phone="+905321234567",
            whatsapp=True,
            language="tr",
        ),
        Actor("api:sales"),
    )
    ask = Message.objects.get(customer=customer, template="ask")
    assert (ask.whatsapp_template, ask.whatsapp_buttons) == (
        "appointment_confirm",
        ["confirm", "reject", "reschedule"],
    )
    Worker().run_once()
    ask.refresh_from_db()
    assert ask.status == "SENT"
    (request,) = whatsapp_adapter.requests
    assert request["template"]["components"][1:] == [
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": str(i),
            "parameters": [{"type": "payload", "payload": payload}],
        }
        for i, payload in enumerate(["confirm", "reject", "reschedule"])
    ]
    assert request["template"]["components"][0] == {
        "type": "body",
        "parameters": [{"type": "text", "text": "Mehmet"}],
    }
