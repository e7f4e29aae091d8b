"""A local stand-in for the WhatsApp Cloud API's POST /{phone_number_id}/messages.

It checks requests as strictly as Meta does (stricter on unknown keys), answers
with Meta-shaped bodies, and can be told to fail or stall, so adapter and worker
tests exercise the real wire format without leaving the machine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from tests.fakes.http_provider import FakeJsonProvider, Received, Reply

_TOP_LEVEL_KEYS = frozenset(
    {
        "messaging_product",
        "recipient_type",
        "to",
        "type",
        "text",
        "template",
        "context",
        "biz_opaque_callback_data",
    }
)
_COMPONENT_TYPES = frozenset({"header", "body", "button", "footer"})
_BUTTON_SUB_TYPES = frozenset({"quick_reply", "url"})
_MAX_BUTTONS = 10
_DEFAULT_FAILURES: dict[int, tuple[int, str]] = {
    400: (100, "Invalid parameter"),
    401: (190, "Invalid OAuth access token - Cannot parse access token"),
    429: (130429, "Rate limit hit"),
    500: (131000, "Something went wrong"),
    503: (131016, "Service unavailable"),
}


class BadRequest(Exception):
    """A request shape the Cloud API would reject with code 100."""


class FakeWhatsAppCloud(FakeJsonProvider):
    DEFAULT_FAILURES = _DEFAULT_FAILURES
    CONTENT_TYPE = "application/json; charset=UTF-8"

    def __init__(
        self,
        *,
        phone_number_id: str = "106540352242922",
        token: str = "test-access-token",
        version: str = "v21.0",
    ) -> None:
        super().__init__()
        self.phone_number_id = phone_number_id
        self.token = token
        self.version = version
        self.requests: list[dict[str, Any]] = []  # parsed bodies of accepted (200) requests
        self._hangs: list[float] = []  # see hang_next

    @property
    def url(self) -> str:
        """The API base to configure the adapter with, e.g. http://127.0.0.1:PORT/v21.0."""
        return f"{self.origin}/{self.version}"

    @property
    def messages_url(self) -> str:
        return f"{self.url}/{self.phone_number_id}/messages"

    def hang_next(self, seconds: float, *, count: int = 1) -> None:
        """Stall the next `count` requests for `seconds`, then drop them unsent (a
        504 nobody reads): a client timeout where the message never went out.
        (`delay_next` stalls and then sends: a timeout after the provider took it.)"""
        with self._lock:
            self._hangs.extend([seconds] * count)

    def _hang(self, received: Received) -> bool:
        with self._lock:
            seconds = self._hangs.pop(0) if self._hangs else None
            if seconds is not None:
                self.received.append(received)
        if seconds is None:
            return False
        self._stopping.wait(seconds)
        return True

    def handle(self, received: Received) -> Reply:
        method, path, headers, raw = received.method, received.path, received.headers, received.body
        if self._hang(received):
            return Reply(504, _error(131016, "Gateway timeout"))
        if not self.arrive(received):
            return Reply(503, _error(131016, "Service unavailable"))
        try:
            self._check_route(method, path)
            if headers.get("authorization") != f"Bearer {self.token}":
                return Reply(401, _error(190, _DEFAULT_FAILURES[401][1]))
            body = self._check_body(headers, raw)
        except BadRequest as exc:
            return Reply(400, _error(100, f"(#100) {exc}"))
        failure = self.accept(body)
        if failure is not None:
            extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            return Reply(failure.status, _error(failure.code, failure.message), extra)
        return Reply(200, _accepted(body))

    def _check_route(self, method: str, path: str) -> None:
        expected = f"/{self.version}/{self.phone_number_id}/messages"
        if path != expected:
            raise BadRequest(f"Unsupported request: no endpoint at {path}")
        if method != "POST":
            raise BadRequest(f"Unsupported {method} request on {path}")

    def _check_body(self, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
        content_type = headers.get("content-type", "").split(";")[0].strip()
        if content_type != "application/json":
            raise BadRequest(f"Content-Type must be application/json, got {content_type!r}")
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest("request body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise BadRequest("request body must be a JSON object")
        check_message_body(body)
        return body


def check_message_body(body: dict[str, Any]) -> None:
    """Raise BadRequest unless `body` is a well-formed text or template message."""
    unknown = set(body) - _TOP_LEVEL_KEYS
    if unknown:
        raise BadRequest(f"Unexpected key(s): {', '.join(sorted(unknown))}")
    if body.get("messaging_product") != "whatsapp":
        raise BadRequest("The parameter messaging_product is required and must be 'whatsapp'")
    if body.get("recipient_type", "individual") != "individual":
        raise BadRequest("recipient_type must be 'individual'")
    to = body.get("to")
    if not isinstance(to, str) or not re.fullmatch(r"[0-9]{1,15}", to):
        raise BadRequest(f"Invalid parameter 'to': {to!r}")
    opaque = body.get("biz_opaque_callback_data")
    if opaque is not None and (not isinstance(opaque, str) or len(opaque) > 512):
        raise BadRequest("biz_opaque_callback_data must be a string of at most 512 characters")
    kind = body.get("type", "text")  # Meta defaults type to text
    if kind == "text":
        _check_text(body)
    elif kind == "template":
        _check_template(body)
    else:
        raise BadRequest(f"Unsupported message type {kind!r}")


def _check_text(body: dict[str, Any]) -> None:
    text = body.get("text")
    if "template" in body or not isinstance(text, dict):
        raise BadRequest("The parameter text is required for a text message")
    if set(text) - {"body", "preview_url"}:
        raise BadRequest(
            f"Unexpected key(s) in text: {sorted(set(text) - {'body', 'preview_url'})}"
        )
    if not isinstance(text.get("body"), str) or not text["body"].strip():
        raise BadRequest("The parameter text['body'] is required and must be a non-empty string")
    if len(text["body"]) > 4096:
        raise BadRequest("text['body'] is longer than 4096 characters")
    if not isinstance(text.get("preview_url", False), bool):
        raise BadRequest("text['preview_url'] must be a boolean")


def _check_template(body: dict[str, Any]) -> None:
    template = body.get("template")
    if "text" in body or not isinstance(template, dict):
        raise BadRequest("The parameter template is required for a template message")
    if set(template) - {"name", "language", "components"}:
        raise BadRequest("Unexpected key(s) in template")
    if not isinstance(template.get("name"), str) or not template["name"]:
        raise BadRequest("The parameter template['name'] is required")
    language = template.get("language")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        raise BadRequest("The parameter template['language']['code'] is required")
    if not language["code"] or set(language) - {"code", "policy"}:
        raise BadRequest("template['language'] is malformed")
    components = template.get("components", [])
    if not isinstance(components, list):
        raise BadRequest("template['components'] must be a list")
    button_indexes: list[str] = []
    for component in components:
        if not isinstance(component, dict) or component.get("type") not in _COMPONENT_TYPES:
            raise BadRequest("each template component needs a valid 'type'")
        parameters = component.get("parameters", [])
        if not isinstance(parameters, list):
            raise BadRequest("component['parameters'] must be a list")
        if component["type"] == "button":
            button_indexes.append(_check_button(component, parameters))
            continue
        if set(component) - {"type", "parameters"}:
            raise BadRequest(f"Unexpected key(s) in a {component['type']} component")
        for param in parameters:
            if not isinstance(param, dict) or param.get("type") != "text":
                raise BadRequest("this fake only supports text parameters")
            if not isinstance(param.get("text"), str) or not param["text"]:
                raise BadRequest("a text parameter needs a non-empty 'text'")
    if len(button_indexes) > _MAX_BUTTONS:
        raise BadRequest(f"a template has at most {_MAX_BUTTONS} buttons")
    if len(set(button_indexes)) != len(button_indexes):
        raise BadRequest(f"button indexes must be unique, got {button_indexes}")


def _check_button(component: dict[str, Any], parameters: list[Any]) -> str:
    """A button component: `sub_type`, `index` (a string "0".."9") and one parameter;
    a quick_reply's is a `payload`, a url button's the `text` appended to its URL."""
    if set(component) - {"type", "sub_type", "index", "parameters"}:
        raise BadRequest("Unexpected key(s) in a button component")
    sub_type = component.get("sub_type")
    if sub_type not in _BUTTON_SUB_TYPES:
        raise BadRequest(f"button sub_type must be one of {sorted(_BUTTON_SUB_TYPES)}")
    index = component.get("index")
    if not isinstance(index, str) or not re.fullmatch(r"[0-9]", index):
        raise BadRequest(f"button index must be a string from '0' to '9', got {index!r}")
    if len(parameters) != 1 or not isinstance(parameters[0], dict):
        raise BadRequest("a button component takes exactly one parameter")
    param = parameters[0]
    if sub_type == "quick_reply":
        if set(param) != {"type", "payload"} or param["type"] != "payload":
            raise BadRequest("a quick_reply parameter is {'type': 'payload', 'payload': ...}")
        payload = param["payload"]
        if not isinstance(payload, str) or not payload or len(payload) > 1000:
            raise BadRequest("a quick_reply payload must be 1 to 1000 characters")
    elif set(param) != {"type", "text"} or param["type"] != "text" or not param["text"]:
        raise BadRequest("a url button parameter is {'type': 'text', 'text': ...}")
    return index


def _error(code: int, message: str) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if code == 131047:
        error["error_data"] = {
            "messaging_product": "whatsapp",
            "details": "Message failed to send because more than 24 hours have passed",
        }
    error["fbtrace_id"] = "A" + secrets.token_hex(10)
    return {"error": error}


def _accepted(body: dict[str, Any]) -> dict[str, Any]:
    # Real wamids are base64 of a small protobuf-ish blob; the shape is what matters.
    blob = b"\x15\x02\x00\x11\x18\x12" + secrets.token_bytes(18)
    message: dict[str, Any] = {"id": "wamid." + base64.b64encode(blob).decode()}
    if body.get("type") == "template":
        message["message_status"] = "accepted"
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": body["to"], "wa_id": body["to"]}],
        "messages": [message],
    }


# --- webhooks Meta sends to us ------------------------------------------------------------

PHONE_NUMBER_ID = "106540352242922"


def webhook_body(value: dict[str, Any]) -> bytes:
    """The Cloud API's webhook envelope around one `messages` change."""
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}
            ],
        }
    ).encode()


def message_webhook(
    *messages: dict[str, Any], name: str = "Mehmet", wa_id: str = "905321234567"
) -> bytes:
    """A webhook delivering customer messages (each a Cloud API `messages[]` item)."""
    return webhook_body(
        {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": "15550783881",
                "phone_number_id": PHONE_NUMBER_ID,
            },
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": list(messages),
        }
    )


def hub_signature(body: bytes, app_secret: str) -> str:
    """`X-Hub-Signature-256` as Meta computes it."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
