"""Pure helpers for WhatsApp Cloud API webhooks: signature, handshake, parsing.

No Django here, so the view stays a thin shell and these are tested on plain data.
Payload reference:
https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

_SIGNATURE_PREFIX = "sha256="
_STATUSES = frozenset({"sent", "delivered", "read", "failed"})
_CAPTIONED = frozenset({"image", "video", "document"})


@dataclass(frozen=True)
class InboundMessage:
    wa_id: str
    from_phone: str  # E.164 with "+"
    provider_message_id: str
    timestamp: dt.datetime  # aware, UTC
    kind: Literal["text", "button", "interactive", "other"]
    text: str
    payload: str  # button payload or interactive reply id, else ""
    context_message_id: str  # the wamid this replies to, else ""


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str
    status: Literal["sent", "delivered", "read", "failed"]
    timestamp: dt.datetime
    recipient_id: str
    error_code: str
    error_title: str
    biz_opaque_callback_data: str  # our idempotency key, echoed back by Meta


WebhookEvent = InboundMessage | StatusUpdate


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """Check `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`."""
    # An empty secret would make the HMAC computable by anyone, so it proves nothing.
    if not app_secret or not header or not header.startswith(_SIGNATURE_PREFIX):
        return False
    try:
        given = bytes.fromhex(header[len(_SIGNATURE_PREFIX) :])
    except ValueError:
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).digest()
    return hmac.compare_digest(given, expected)


def verify_handshake(params: Mapping[str, str], verify_token: str) -> str | None:
    """Answer Meta's subscription GET: the challenge when mode and token match, else None."""
    token = params.get("hub.verify_token")
    challenge = params.get("hub.challenge")
    if not verify_token or params.get("hub.mode") != "subscribe" or token is None:
        return None
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return challenge or None


def parse_webhook(payload: dict[str, Any]) -> list[WebhookEvent]:
    """Flatten one webhook delivery into events, in payload order.

    Unknown fields, change kinds and status values are skipped so Meta adding
    things never breaks intake; a wrong envelope or an item missing its ids
    raises ValueError, because silently dropping a customer message is worse.
    """
    if not isinstance(payload, dict):
        raise ValueError("webhook payload must be a JSON object")
    if payload.get("object") != "whatsapp_business_account":
        raise ValueError(
            f"webhook object must be 'whatsapp_business_account', got {payload.get('object')!r}"
        )
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise ValueError("webhook payload has no 'entry' list")
    events: list[WebhookEvent] = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes", []), list):
            raise ValueError("webhook entry must be an object with a 'changes' list")
        for change in entry.get("changes", []):
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue  # template status, account updates, ...: not ours
            value = change.get("value")
            if not isinstance(value, dict):
                raise ValueError("'messages' change has no 'value' object")
            events.extend(_message(m) for m in _items(value, "messages"))
            events.extend(s for s in map(_status, _items(value, "statuses")) if s is not None)
    return events


def _items(value: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = value.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"'{key}' must be a list of objects")
    return items


def _message(raw: dict[str, Any]) -> InboundMessage:
    wa_id = _required(raw, "from", "message")
    kind: Literal["text", "button", "interactive", "other"] = "other"
    text = payload = ""
    msg_type = raw.get("type")
    if msg_type == "text":
        kind, text = "text", _str(_obj(raw, "text").get("body"))
    elif msg_type == "button":  # quick-reply button on a template
        button = _obj(raw, "button")
        kind, text, payload = "button", _str(button.get("text")), _str(button.get("payload"))
    elif msg_type == "interactive":
        interactive = _obj(raw, "interactive")
        reply = _obj(interactive, str(interactive.get("type", "")))  # button_reply | list_reply
        kind, text, payload = "interactive", _str(reply.get("title")), _str(reply.get("id"))
    elif msg_type in _CAPTIONED:
        text = _str(_obj(raw, str(msg_type)).get("caption"))
    return InboundMessage(
        wa_id=wa_id,
        from_phone="+" + wa_id,
        provider_message_id=_required(raw, "id", "message"),
        timestamp=_timestamp(raw, "message"),
        kind=kind,
        text=text,
        payload=payload,
        context_message_id=_str(_obj(raw, "context").get("id")),
    )


def _status(raw: dict[str, Any]) -> StatusUpdate | None:
    status = raw.get("status")
    if status not in _STATUSES:
        return None  # e.g. "deleted"/"warning": nothing for opsdesk to do
    errors = raw.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    return StatusUpdate(
        provider_message_id=_required(raw, "id", "status"),
        status=status,
        timestamp=_timestamp(raw, "status"),
        recipient_id=_str(raw.get("recipient_id")),
        error_code=_str(first.get("code")),
        error_title=_str(first.get("title") or first.get("message")),
        biz_opaque_callback_data=_str(raw.get("biz_opaque_callback_data")),
    )


def _required(raw: dict[str, Any], key: str, what: str) -> str:
    value = _str(raw.get(key))
    if not value:
        raise ValueError(f"webhook {what} is missing '{key}'")
    return value


def _timestamp(raw: dict[str, Any], what: str) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(raw["timestamp"]), tz=dt.UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"webhook {what} has no valid unix 'timestamp'") from exc


def _obj(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    # Meta sends ids and codes as strings or ints depending on the field.
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value)
