from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from opsdesk.comms.adapters.base import (
    OutboundMessage,
    PermanentError,
    RetryableError,
    SendResult,
    WhatsAppTemplate,
)
from opsdesk.comms.adapters.whatsapp_cloud import WhatsAppCloudAdapter
from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud


@pytest.fixture
def adapter(whatsapp_server: FakeWhatsAppCloud) -> Iterator[WhatsAppCloudAdapter]:
    adapter = WhatsAppCloudAdapter(
        whatsapp_server.url, whatsapp_server.phone_number_id, whatsapp_server.token, timeout=2.0
    )
    yield adapter
    adapter.close()


def _text(**overrides: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "idempotency_key": "msg_abc123",
        "channel": "WHATSAPP",
        "to": "+905551234567",
        "body": "Your technician arrives at 14:00.",
    }
    fields.update(overrides)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


def test_text_message_has_exact_wire_shape(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud
) -> None:
    result = adapter.send(_text())

    assert whatsapp_server.requests == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "905551234567",
            "type": "text",
            "text": {"preview_url": False, "body": "Your technician arrives at 14:00."},
            "biz_opaque_callback_data": "msg_abc123",
        }
    ]
    (request,) = whatsapp_server.received
    assert request.headers["authorization"] == "Bearer test-access-token"
    assert request.headers["content-type"] == "application/json"
    assert result.provider_message_id.startswith("wamid.")
    assert result == SendResult(provider_message_id=result.provider_message_id, delivered=False)


def test_template_message_has_exact_wire_shape(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud
) -> None:
    template = WhatsAppTemplate("appointment_reminder", "tr", ("Ayşe", "14:00"))
    result = adapter.send(_text(whatsapp_template=template, language="tr"))

    assert whatsapp_server.requests == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "905551234567",
            "type": "template",
            "template": {
                "name": "appointment_reminder",
                "language": {"code": "tr"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Ayşe"},
                            {"type": "text", "text": "14:00"},
                        ],
                    }
                ],
            },
            "biz_opaque_callback_data": "msg_abc123",
        }
    ]
    assert result.provider_message_id.startswith("wamid.")


def test_template_without_params_omits_components(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud
) -> None:
    adapter.send(_text(whatsapp_template=WhatsAppTemplate("hello_world", "en_US")))

    (body,) = whatsapp_server.requests
    assert body["template"] == {"name": "hello_world", "language": {"code": "en_US"}}


def test_each_send_gets_its_own_wamid(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud
) -> None:
    first = adapter.send(_text(idempotency_key="msg_1"))
    second = adapter.send(_text(idempotency_key="msg_2"))

    assert first.provider_message_id != second.provider_message_id
    assert [r["biz_opaque_callback_data"] for r in whatsapp_server.requests] == ["msg_1", "msg_2"]


def test_server_error_is_retryable(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud
) -> None:
    whatsapp_server.fail_next(status=500)

    with pytest.raises(RetryableError) as caught:
        adapter.send(_text())

    assert caught.value.retryable is True
    assert caught.value.code == "131000"
    assert caught.value.retry_after is None
    assert whatsapp_server.requests == []
    # The failure is consumed: the retry goes through.
    assert adapter.send(_text()).provider_message_id.startswith("wamid.")
    assert len(whatsapp_server.requests) == 1


def test_rate_limit_is_retryable_with_retry_after(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud
) -> None:
    whatsapp_server.fail_next(status=429, code=130429, retry_after=30)

    with pytest.raises(RetryableError) as caught:
        adapter.send(_text())

    assert caught.value.code == "130429"
    assert caught.value.retry_after == 30.0
    assert whatsapp_server.requests == []


@pytest.mark.parametrize("code", [4, 80007, 131048, 131056])
def test_rate_limit_codes_on_400_are_retryable(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud, code: int
) -> None:
    whatsapp_server.fail_next(status=400, code=code, message="Rate limit")

    with pytest.raises(RetryableError) as caught:
        adapter.send(_text())

    assert caught.value.code == str(code)
    assert caught.value.retry_after is None


def test_reengagement_error_is_permanent_with_code(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud
) -> None:
    whatsapp_server.fail_next(status=400, code=131047, message="Re-engagement message")

    with pytest.raises(PermanentError) as caught:
        adapter.send(_text())

    assert caught.value.retryable is False
    assert caught.value.code == "131047"
    assert "Re-engagement message" in caught.value.message
    assert "24 hours" in caught.value.message  # error_data.details is kept for the operator
    assert caught.value.retry_after is None
    assert whatsapp_server.requests == []


def test_bad_token_is_permanent(whatsapp_server: FakeWhatsAppCloud) -> None:
    adapter = WhatsAppCloudAdapter(
        whatsapp_server.url, whatsapp_server.phone_number_id, "expired-token"
    )

    with pytest.raises(PermanentError) as caught:
        adapter.send(_text())
    adapter.close()

    assert caught.value.code == "190"
    assert "expired-token" not in str(caught.value)
    assert len(whatsapp_server.received) == 1
    assert whatsapp_server.requests == []


def test_timeout_is_retryable(whatsapp_server: FakeWhatsAppCloud) -> None:
    adapter = WhatsAppCloudAdapter(
        whatsapp_server.url, whatsapp_server.phone_number_id, whatsapp_server.token, timeout=0.2
    )
    whatsapp_server.delay_next(2.0)

    with pytest.raises(RetryableError) as caught:
        adapter.send(_text())
    adapter.close()

    assert caught.value.code == ""
    assert "Timeout" in caught.value.message


def test_connection_refused_is_retryable() -> None:
    with socket.socket() as sock:  # grab a free port, then close it so nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = WhatsAppCloudAdapter(f"http://127.0.0.1:{port}/v21.0", "1", "t", timeout=1.0)

    with pytest.raises(RetryableError):
        adapter.send(_text())
    adapter.close()


def test_non_json_gateway_error_is_retryable() -> None:
    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>", headers={"Retry-After": "5"})

    client = httpx.Client(transport=httpx.MockTransport(gateway))
    adapter = WhatsAppCloudAdapter("https://graph.example/v21.0", "1", "t", client=client)

    with pytest.raises(RetryableError) as caught:
        adapter.send(_text())

    assert caught.value.code == ""
    assert caught.value.retry_after == 5.0


def test_success_without_wamid_is_permanent_not_retried() -> None:
    calls: list[httpx.Request] = []

    def odd(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={"messaging_product": "whatsapp", "messages": []})

    client = httpx.Client(transport=httpx.MockTransport(odd))
    adapter = WhatsAppCloudAdapter("https://graph.example/v21.0", "1", "t", client=client)

    with pytest.raises(PermanentError):
        adapter.send(_text())
    assert len(calls) == 1


@pytest.mark.parametrize(
    "message",
    [
        _text(to=""),
        _text(to="+90 555 123 4567"),
        _text(to="ayse@example.com"),
        _text(body="   "),
        _text(channel="SMS"),
    ],
    ids=["no-recipient", "spaces", "email", "empty-body", "wrong-channel"],
)
def test_refuses_locally_without_calling_meta(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud, message: OutboundMessage
) -> None:
    with pytest.raises(PermanentError):
        adapter.send(message)

    assert whatsapp_server.received == []


def test_reuses_one_connection_across_sends(
    adapter: WhatsAppCloudAdapter, whatsapp_server: FakeWhatsAppCloud
) -> None:
    adapter.send(_text())
    adapter.send(_text())

    first, second = whatsapp_server.received
    assert first.client_port == second.client_port


def _post(server: FakeWhatsAppCloud, body: object, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {server.token}"}
    return httpx.post(server.messages_url, json=body, headers=headers, **kwargs)  # type: ignore[arg-type]


_GOOD_TEXT = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "905551234567",
    "type": "text",
    "text": {"preview_url": False, "body": "hi"},
}
_GOOD_TEMPLATE = {
    "messaging_product": "whatsapp",
    "to": "905551234567",
    "type": "template",
    "template": {
        "name": "t",
        "language": {"code": "tr"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "x"}]}],
    },
}


def _without(body: dict[str, object], key: str) -> dict[str, object]:
    return {k: v for k, v in body.items() if k != key}


@pytest.mark.parametrize(
    "body",
    [
        _without(_GOOD_TEXT, "messaging_product"),
        {**_GOOD_TEXT, "messaging_product": "sms"},
        {**_GOOD_TEXT, "to": "+905551234567"},
        _without(_GOOD_TEXT, "to"),
        {**_GOOD_TEXT, "text": {"body": ""}},
        {**_GOOD_TEXT, "text": {"body": 42}},
        {**_GOOD_TEXT, "text": "hi"},
        {**_GOOD_TEXT, "type": "carrier_pigeon"},
        {**_GOOD_TEXT, "body": "typo at top level"},
        {**_GOOD_TEMPLATE, "template": {"name": "t", "language": "tr"}},
        {**_GOOD_TEMPLATE, "template": {"name": "", "language": {"code": "tr"}}},
        {**_GOOD_TEMPLATE, "template": {"name": "t", "language": {"code": "tr"}, "components": {}}},
        {
            **_GOOD_TEMPLATE,
            "template": {
                "name": "t",
                "language": {"code": "tr"},
                "components": [{"type": "body", "parameters": ["x"]}],
            },
        },
        ["not", "an", "object"],
    ],
)
def test_fake_rejects_malformed_bodies(whatsapp_server: FakeWhatsAppCloud, body: object) -> None:
    response = _post(whatsapp_server, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert set(error) >= {"message", "type", "code", "fbtrace_id"}
    assert whatsapp_server.requests == []


@pytest.mark.parametrize("body", [_GOOD_TEXT, _GOOD_TEMPLATE])
def test_fake_accepts_well_formed_bodies(whatsapp_server: FakeWhatsAppCloud, body: object) -> None:
    response = _post(whatsapp_server, body)

    assert response.status_code == 200
    assert response.json()["messages"][0]["id"].startswith("wamid.")
    assert whatsapp_server.requests == [body]


def test_fake_rejects_wrong_route_method_auth_and_content_type(
    whatsapp_server: FakeWhatsAppCloud,
) -> None:
    url = whatsapp_server.messages_url
    good = {"Authorization": f"Bearer {whatsapp_server.token}"}

    wrong_phone = httpx.post(
        url.replace("/106540352242922/", "/999/"), json=_GOOD_TEXT, headers=good
    )
    wrong_method = httpx.get(url, headers=good)
    no_token = httpx.post(url, json=_GOOD_TEXT)
    bad_token = httpx.post(url, json=_GOOD_TEXT, headers={"Authorization": "Bearer nope"})
    form = httpx.post(url, data={"to": "905551234567"}, headers=good)

    assert [r.status_code for r in (wrong_phone, wrong_method, form)] == [400, 400, 400]
    assert [r.json()["error"]["code"] for r in (wrong_phone, wrong_method, form)] == [100] * 3
    assert [r.status_code for r in (no_token, bad_token)] == [401, 401]
    assert [r.json()["error"]["code"] for r in (no_token, bad_token)] == [190, 190]
    assert len(whatsapp_server.received) == 5
    assert whatsapp_server.requests == []


def test_fake_clear_forgets_everything(whatsapp_server: FakeWhatsAppCloud) -> None:
    _post(whatsapp_server, _GOOD_TEXT)
    whatsapp_server.fail_next(status=500, count=3)

    whatsapp_server.clear()

    assert whatsapp_server.requests == []
    assert whatsapp_server.received == []
    assert _post(whatsapp_server, _GOOD_TEXT).status_code == 200
