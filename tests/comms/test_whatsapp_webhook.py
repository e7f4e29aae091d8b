from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest

from opsdesk.comms.adapters.whatsapp_webhook import (
    InboundMessage,
    StatusUpdate,
    parse_webhook,
    verify_handshake,
    verify_signature,
)

SECRET = "app-secret-123"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'
WAMID_IN = "wamid.HBgMOTA1NTUxMjM0NTY3FQIAEhggQjM5RkQ2QkE5NjhGRjE0QTIA"
WAMID_OUT = "wamid.HBgMOTA1NTUxMjM0NTY3FQIAERgSNzdBMkFCQzIxRTU2QkY1REIA"
AT = dt.datetime(2025, 3, 14, 9, 26, 40, tzinfo=dt.UTC)  # 1741944400


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _envelope(value: dict[str, Any]) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "908505551111", "phone_number_id": "106540352242922"},
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }


def _inbound(message: dict[str, Any]) -> dict[str, Any]:
    return _envelope(
        {
            "contacts": [{"profile": {"name": "Ayşe"}, "wa_id": "905551234567"}],
            "messages": [
                {"from": "905551234567", "id": WAMID_IN, "timestamp": "1741944400", **message}
            ],
        }
    )


# --- signature ---------------------------------------------------------------


def test_signature_valid() -> None:
    assert verify_signature(BODY, _sign(BODY), SECRET) is True


def test_signature_accepts_uppercase_hex() -> None:
    assert verify_signature(BODY, "sha256=" + _sign(BODY)[7:].upper(), SECRET) is True


@pytest.mark.parametrize(
    "header",
    [
        _sign(BODY, "other-secret"),
        _sign(BODY + b" "),
        None,
        "",
        _sign(BODY)[7:],  # no "sha256=" prefix
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
        "sha256=",
        "sha256=zz" + _sign(BODY)[9:],  # not hex
        "sha256=" + _sign(BODY)[7:-2],  # truncated
        "sha256=ğğğ",  # non-ASCII
    ],
    ids=[
        "wrong-secret",
        "tampered-body",
        "missing",
        "empty",
        "no-prefix",
        "sha1",
        "empty-digest",
        "not-hex",
        "truncated",
        "non-ascii",
    ],
)
def test_signature_invalid(header: str | None) -> None:
    assert verify_signature(BODY, header, SECRET) is False


def test_signature_refused_when_app_secret_unset() -> None:
    # HMAC with an empty key is computable by anyone, so it must not pass.
    assert verify_signature(BODY, _sign(BODY, ""), "") is False


# --- handshake ---------------------------------------------------------------


def test_handshake_returns_challenge() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"}
    assert verify_handshake(params, "vt") == "1158201444"


@pytest.mark.parametrize(
    ("params", "verify_token"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}, "vt"),
        ({"hub.mode": "unsubscribe", "hub.verify_token": "vt", "hub.challenge": "1"}, "vt"),
        ({"hub.verify_token": "vt", "hub.challenge": "1"}, "vt"),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, "vt"),
        ({"hub.mode": "subscribe", "hub.verify_token": "vt"}, "vt"),
        ({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, ""),
    ],
    ids=["wrong-token", "wrong-mode", "no-mode", "no-token", "no-challenge", "token-unset"],
)
def test_handshake_refused(params: dict[str, str], verify_token: str) -> None:
    assert verify_handshake(params, verify_token) is None


# --- parsing -----------------------------------------------------------------


def test_parse_inbound_text() -> None:
    payload = _inbound({"type": "text", "text": {"body": "Saat kaçta gelecek?"}})

    assert parse_webhook(payload) == [
        InboundMessage(
            wa_id="905551234567",
            from_phone="+905551234567",
            provider_message_id=WAMID_IN,
            timestamp=AT,
            kind="text",
            text="Saat kaçta gelecek?",
            payload="",
            context_message_id="",
        )
    ]


def test_parse_template_quick_reply_button() -> None:
    payload = _inbound(
        {
            "context": {"from": "908505551111", "id": WAMID_OUT},
            "type": "button",
            "button": {"payload": "CONFIRM_APPOINTMENT", "text": "Onaylıyorum"},
        }
    )

    (event,) = parse_webhook(payload)

    assert isinstance(event, InboundMessage)
    assert (event.kind, event.text, event.payload) == (
        "button",
        "Onaylıyorum",
        "CONFIRM_APPOINTMENT",
    )
    assert event.context_message_id == WAMID_OUT


def test_parse_interactive_button_reply() -> None:
    payload = _inbound(
        {
            "context": {"from": "908505551111", "id": WAMID_OUT},
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": "reschedule", "title": "Reschedule"},
            },
        }
    )

    (event,) = parse_webhook(payload)

    assert event == InboundMessage(
        wa_id="905551234567",
        from_phone="+905551234567",
        provider_message_id=WAMID_IN,
        timestamp=AT,
        kind="interactive",
        text="Reschedule",
        payload="reschedule",
        context_message_id=WAMID_OUT,
    )


def test_parse_interactive_list_reply() -> None:
    payload = _inbound(
        {
            "type": "interactive",
            "interactive": {
                "type": "list_reply",
                "list_reply": {"id": "slot_2", "title": "Tue 10:00", "description": "Morning"},
            },
        }
    )

    (event,) = parse_webhook(payload)

    assert isinstance(event, InboundMessage)
    assert (event.kind, event.text, event.payload) == ("interactive", "Tue 10:00", "slot_2")


def test_parse_other_kinds_keep_caption() -> None:
    payload = _inbound(
        {
            "type": "image",
            "image": {"caption": "the leak", "mime_type": "image/jpeg", "id": "1234"},
        }
    )

    (event,) = parse_webhook(payload)

    assert isinstance(event, InboundMessage)
    assert (event.kind, event.text, event.payload) == ("other", "the leak", "")


def test_parse_statuses_including_failed() -> None:
    payload = _envelope(
        {
            "statuses": [
                {
                    "id": WAMID_OUT,
                    "status": "delivered",
                    "timestamp": "1741944400",
                    "recipient_id": "905551234567",
                    "biz_opaque_callback_data": "msg_abc123",
                    "conversation": {"id": "c1", "origin": {"type": "utility"}},
                    "pricing": {"billable": True, "pricing_model": "CBP", "category": "utility"},
                },
                {
                    "id": WAMID_OUT,
                    "status": "failed",
                    "timestamp": 1741944460,
                    "recipient_id": "905551234567",
                    "biz_opaque_callback_data": "msg_abc123",
                    "errors": [
                        {
                            "code": 131047,
                            "title": "Re-engagement message",
                            "message": "Re-engagement message",
                            "error_data": {"details": "more than 24 hours have passed"},
                        }
                    ],
                },
            ]
        }
    )

    assert parse_webhook(payload) == [
        StatusUpdate(
            provider_message_id=WAMID_OUT,
            status="delivered",
            timestamp=AT,
            recipient_id="905551234567",
            error_code="",
            error_title="",
            biz_opaque_callback_data="msg_abc123",
        ),
        StatusUpdate(
            provider_message_id=WAMID_OUT,
            status="failed",
            timestamp=AT + dt.timedelta(seconds=60),
            recipient_id="905551234567",
            error_code="131047",
            error_title="Re-engagement message",
            biz_opaque_callback_data="msg_abc123",
        ),
    ]


def test_parse_flattens_entries_and_changes_in_order_skipping_other_fields() -> None:
    text = _inbound({"type": "text", "text": {"body": "one"}})
    status = _envelope({"statuses": [{"id": WAMID_OUT, "status": "read", "timestamp": "1"}]})
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "1", "changes": [*text["entry"][0]["changes"], {"field": "account_update"}]},
            {
                "id": "2",
                "changes": [
                    {"field": "message_template_status_update", "value": {"event": "APPROVED"}},
                    *status["entry"][0]["changes"],
                ],
            },
        ],
    }

    events = parse_webhook(payload)

    assert [type(e).__name__ for e in events] == ["InboundMessage", "StatusUpdate"]
    assert events[1] == StatusUpdate(
        provider_message_id=WAMID_OUT,
        status="read",
        timestamp=dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC),
        recipient_id="",
        error_code="",
        error_title="",
        biz_opaque_callback_data="",
    )


def test_parse_skips_unknown_status_values() -> None:
    payload = _envelope({"statuses": [{"id": WAMID_OUT, "status": "deleted", "timestamp": "1"}]})
    assert parse_webhook(payload) == []


def test_parse_round_trips_through_json_bytes() -> None:
    # What the view will do: verify the raw bytes, then parse them.
    raw = json.dumps(_inbound({"type": "text", "text": {"body": "x"}})).encode()
    assert verify_signature(raw, _sign(raw), SECRET)
    assert len(parse_webhook(json.loads(raw))) == 1


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ([], "JSON object"),
        ({"object": "page", "entry": []}, "whatsapp_business_account"),
        ({"entry": []}, "whatsapp_business_account"),
        ({"object": "whatsapp_business_account"}, "entry"),
        ({"object": "whatsapp_business_account", "entry": {}}, "entry"),
        ({"object": "whatsapp_business_account", "entry": ["x"]}, "changes"),
        (
            {
                "object": "whatsapp_business_account",
                "entry": [{"changes": [{"field": "messages"}]}],
            },
            "value",
        ),
        (_envelope({"messages": {"from": "1"}}), "messages"),
        (_envelope({"messages": [{"id": "w", "timestamp": "1", "type": "text"}]}), "from"),
        (_envelope({"messages": [{"from": "1", "id": "w", "timestamp": "soon"}]}), "timestamp"),
        (_envelope({"statuses": [{"status": "sent", "timestamp": "1"}]}), "id"),
    ],
)
def test_parse_rejects_wrong_shape(payload: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_webhook(payload)
