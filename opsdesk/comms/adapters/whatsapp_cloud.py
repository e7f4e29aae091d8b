"""WhatsApp Cloud API adapter (Meta Graph API, POST /{phone_number_id}/messages).

Wire format: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
Error codes: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
"""

from __future__ import annotations

from typing import Any

import httpx

from opsdesk.comms.adapters.base import (
    AdapterError,
    OutboundMessage,
    PermanentError,
    RetryableError,
    SendResult,
)
from opsdesk.comms.adapters.http import error_for

# Throttling codes: the request was fine, Meta just wants us to slow down.
# 4 app-level rate limit, 80007 WABA rate limit, 130429 throughput limit,
# 131048 spam rate limit, 131056 pair (sender, recipient) rate limit.
RATE_LIMIT_CODES = frozenset({"4", "80007", "130429", "131048", "131056"})

_MAX_E164_DIGITS = 15
# A template has at most 10 buttons; Meta caps a quick-reply payload at 1000 characters.
MAX_BUTTONS = 10
MAX_BUTTON_PAYLOAD = 1000


class WhatsAppCloudAdapter:
    name = "whatsapp_cloud"
    resend_safe = False  # the Cloud API has no idempotency key: a resend may deliver twice

    def __init__(
        self,
        api_base: str,
        phone_number_id: str,
        access_token: str,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        self._url = f"{api_base.rstrip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        # One client per adapter so the worker reuses the TLS connection across sends.
        # A client passed in (tests, custom transports) keeps its own timeout settings.
        self._client = client if client is not None else httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def send(self, message: OutboundMessage) -> SendResult:
        payload = build_payload(message)
        try:
            response = self._client.post(self._url, json=payload, headers=self._headers)
        except httpx.TransportError as exc:
            # Timeouts included: the request may or may not have landed, and
            # biz_opaque_callback_data lets status webhooks tie it back either way.
            raise RetryableError(f"WhatsApp request failed: {type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return SendResult(provider_message_id=_wamid(response))
        raise classify_error(response)


def build_payload(message: OutboundMessage) -> dict[str, Any]:
    """The JSON body for one message; refuses locally what Meta would refuse."""
    if message.channel != "WHATSAPP":
        raise PermanentError(f"WhatsApp adapter cannot send a {message.channel} message")
    to = message.to.strip().removeprefix("+")
    if not (to.isascii() and to.isdigit() and len(to) <= _MAX_E164_DIGITS):
        raise PermanentError(f"recipient {message.to!r} is not an E.164 phone number")
    payload: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
    }
    template = message.whatsapp_template
    if template is None:
        if not message.body.strip():
            raise PermanentError("text message has an empty body")
        payload["type"] = "text"
        payload["text"] = {"preview_url": False, "body": message.body}
    else:
        body: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
        components: list[dict[str, Any]] = []
        if template.body_params:
            params = [{"type": "text", "text": p} for p in template.body_params]
            components.append({"type": "body", "parameters": params})
        if len(template.button_payloads) > MAX_BUTTONS:
            raise PermanentError(
                f"template has {len(template.button_payloads)} buttons; Meta allows {MAX_BUTTONS}"
            )
        components += [_quick_reply(i, p) for i, p in enumerate(template.button_payloads)]
        if components:
            body["components"] = components
        payload["type"] = "template"
        payload["template"] = body
    payload["biz_opaque_callback_data"] = message.idempotency_key
    return payload


def _quick_reply(index: int, payload: str) -> dict[str, Any]:
    """The payload of the template's `index`-th quick-reply button (0-based, as Meta counts):
    a tap comes back on the webhook as a "button" message carrying this payload."""
    if not payload or len(payload) > MAX_BUTTON_PAYLOAD:
        raise PermanentError(
            f"quick-reply payload {index} must be 1 to {MAX_BUTTON_PAYLOAD} characters"
        )
    return {
        "type": "button",
        "sub_type": "quick_reply",
        "index": str(index),
        "parameters": [{"type": "payload", "payload": payload}],
    }


def classify_error(response: httpx.Response) -> AdapterError:
    """Map a non-2xx Cloud API response to a retryable or permanent error."""
    error = _error_body(response)
    code = "" if error.get("code") is None else str(error["code"])
    text = f"WhatsApp HTTP {response.status_code}"
    if code:
        text += f" error {code}"
    if error.get("message"):
        text += f": {error['message']}"
    details = (error.get("error_data") or {}).get("details")
    if isinstance(details, str) and details:
        text += f" ({details})"
    return error_for(response, code=code, text=text, rate_limit_codes=RATE_LIMIT_CODES)


def _wamid(response: httpx.Response) -> str:
    try:
        wamid = response.json()["messages"][0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        wamid = None
    if not isinstance(wamid, str) or not wamid:
        # Not retryable: a 2xx means Meta may have accepted it, and a retry could double-send.
        raise PermanentError(f"WhatsApp answered {response.status_code} without a message id")
    return wamid


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}  # e.g. an HTML 502 from a proxy
    return error if isinstance(error, dict) else {}
