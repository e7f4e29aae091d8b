"""Twilio adapters: SMS (POST .../Messages.json) and voice calls (POST .../Calls.json).

Wire format: https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
             https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource
Errors: https://www.twilio.com/docs/api/errors; bodies are
{"code": 21211, "message": ..., "more_info": ..., "status": 400}.

A call only dials: when it is answered Twilio fetches its TwiML from our voice
webhook, and reports progress to our status webhook; both URLs carry the
message's idempotency key so the views can find the message without a lookup
by Twilio's sid.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx

from opsdesk.comms.adapters.base import (
    AdapterError,
    OutboundMessage,
    PermanentError,
    RetryableError,
    SendResult,
)
from opsdesk.comms.adapters.http import error_for
from opsdesk.comms.adapters.twiml import confirmation_twiml

API_VERSION = "2010-04-01"
VOICE_WEBHOOK_PATH = "/api/v1/webhooks/twilio/voice/"
STATUS_WEBHOOK_PATH = "/api/v1/webhooks/twilio/status/"
# Sent as repeated StatusCallbackEvent fields; without them Twilio reports only "completed".
CALL_STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")

# 20429: too many concurrent requests. Twilio never processed the request, so retrying is safe.
RATE_LIMIT_CODES = frozenset({"20429"})

SMS_MAX_BODY = 1600  # longer bodies are refused with 21617
TWIML_MAX_LENGTH = 4000  # Calls.json's limit on the inline Twiml parameter

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def voice_webhook_url(callback_base: str, idempotency_key: str) -> str:
    """Where Twilio fetches a call's TwiML (and POSTs <Gather> answers)."""
    return callback_base.rstrip("/") + VOICE_WEBHOOK_PATH + quote(idempotency_key, safe="")


def status_webhook_url(callback_base: str, idempotency_key: str) -> str:
    """Where Twilio POSTs a message's or a call's status changes."""
    return callback_base.rstrip("/") + STATUS_WEBHOOK_PATH + quote(idempotency_key, safe="")


class _TwilioRest:
    """One authenticated REST client per adapter; `_create` is the one provider call."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base: str,
        timeout: float,
        client: httpx.Client | None,
    ) -> None:
        self._accounts_url = (
            f"{api_base.rstrip('/')}/{API_VERSION}/Accounts/{quote(account_sid, safe='')}"
        )
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        # One client per adapter so the worker reuses the TLS connection across sends.
        # A client passed in (tests, custom transports) keeps its own timeout settings.
        self._client = client if client is not None else httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def _create(self, resource: str, form: dict[str, str | list[str]]) -> SendResult:
        url = f"{self._accounts_url}/{resource}.json"
        try:
            response = self._client.post(url, data=form, auth=self._auth)
        except httpx.TransportError as exc:
            # Timeouts included: Twilio may have accepted it; the status webhook,
            # keyed by our idempotency key, tells us either way.
            raise RetryableError(f"Twilio request failed: {type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return SendResult(provider_message_id=_sid(response))
        raise classify_error(response)


class TwilioSmsAdapter(_TwilioRest):
    name = "twilio_sms"
    resend_safe = False  # Messages.json has no idempotency key: a resend may deliver twice

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        api_base: str = "https://api.twilio.com",
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        callback_base: str = "",
    ) -> None:
        super().__init__(account_sid, auth_token, api_base, timeout, client)
        self._from = from_number
        self._callback_base = callback_base  # "" sends no StatusCallback

    def send(self, message: OutboundMessage) -> SendResult:
        return self._create("Messages", self.build_form(message))

    def build_form(self, message: OutboundMessage) -> dict[str, str | list[str]]:
        """The form fields for one SMS; refuses locally what Twilio would refuse."""
        _check(message, "SMS")
        if len(message.body) > SMS_MAX_BODY:
            raise PermanentError(
                f"SMS body is {len(message.body)} characters; Twilio takes at most {SMS_MAX_BODY}"
            )
        form: dict[str, str | list[str]] = {
            "To": message.to.strip(),
            "From": self._from,
            "Body": message.body,
        }
        if self._callback_base:
            form["StatusCallback"] = status_webhook_url(
                self._callback_base, message.idempotency_key
            )
        return form


class TwilioVoiceAdapter(_TwilioRest):
    name = "twilio_voice"
    resend_safe = False  # Calls.json has no idempotency key: a resend may ring twice

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        callback_base: str,
        api_base: str = "https://api.twilio.com",
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        *,
        ring_timeout: int = 30,
        inline_twiml: bool = False,
    ) -> None:
        if not re.match(r"https?://[^/]", callback_base):
            # Twilio only calls absolute URLs; a relative one fails every call.
            raise ValueError(
                f"callback_base must be an absolute http(s) URL, not {callback_base!r}"
            )
        super().__init__(account_sid, auth_token, api_base, timeout, client)
        self._from = from_number
        self._callback_base = callback_base
        self._ring_timeout = ring_timeout  # seconds to let it ring before "no-answer"
        # Inline TwiML saves the first webhook round trip once the call is answered;
        # the answer still goes to the voice webhook.
        self._inline_twiml = inline_twiml

    def send(self, message: OutboundMessage) -> SendResult:
        return self._create("Calls", self.build_form(message))

    def build_form(self, message: OutboundMessage) -> dict[str, str | list[str]]:
        """The form fields for one call; refuses locally what Twilio would refuse."""
        _check(message, "VOICE")
        voice_url = voice_webhook_url(self._callback_base, message.idempotency_key)
        form: dict[str, str | list[str]] = {"To": message.to.strip(), "From": self._from}
        if self._inline_twiml:
            twiml = confirmation_twiml(message.language, message.body, voice_url)
            if len(twiml) > TWIML_MAX_LENGTH:
                raise PermanentError(
                    f"call TwiML is {len(twiml)} characters; Twilio takes at most "
                    f"{TWIML_MAX_LENGTH} inline"
                )
            form["Twiml"] = twiml
        else:
            form["Url"] = voice_url
        form["StatusCallback"] = status_webhook_url(self._callback_base, message.idempotency_key)
        form["StatusCallbackEvent"] = list(CALL_STATUS_EVENTS)
        form["Timeout"] = str(self._ring_timeout)
        return form


def classify_error(response: httpx.Response) -> AdapterError:
    """Map a non-2xx Twilio response to a retryable or permanent error."""
    error = _error_body(response)
    code = "" if error.get("code") is None else str(error["code"])
    text = f"Twilio HTTP {response.status_code}"
    if code:
        text += f" error {code}"
    if error.get("message"):
        text += f": {error['message']}"
    if isinstance(error.get("more_info"), str) and error["more_info"]:
        text += f" ({error['more_info']})"
    # Permanent, e.g. 21211 invalid To, 21610 unsubscribed (STOP), 21408 region, 20003 auth.
    return error_for(response, code=code, text=text, rate_limit_codes=RATE_LIMIT_CODES)


def _check(message: OutboundMessage, channel: str) -> None:
    if message.channel != channel:
        raise PermanentError(f"Twilio {channel} adapter cannot send a {message.channel} message")
    if not _E164.fullmatch(message.to.strip()):
        raise PermanentError(f"recipient {message.to!r} is not an E.164 phone number")
    if not message.body.strip():
        raise PermanentError(f"{channel} message has an empty body")


def _sid(response: httpx.Response) -> str:
    try:
        sid = response.json()["sid"]
    except (ValueError, KeyError, TypeError):
        sid = None
    if not isinstance(sid, str) or not sid:
        # Not retryable: a 2xx means Twilio may have accepted it, and a retry could double-send.
        raise PermanentError(f"Twilio answered {response.status_code} without a sid")
    return sid


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        error = response.json()
    except ValueError:
        return {}  # e.g. an HTML 502 from a proxy
    return error if isinstance(error, dict) else {}
