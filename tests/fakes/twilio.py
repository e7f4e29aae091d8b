"""A local stand-in for Twilio's REST API (Messages.json and Calls.json), and signed callbacks.

It checks requests as Twilio does (basic auth, form encoding, required
parameters, E.164 numbers) and stricter on unknown or repeated parameters, which
Twilio ignores with warning 20001; answers with Twilio-shaped bodies; and can be
told to fail or stall, so adapter and worker tests exercise the real wire format
without leaving the machine. `signed_callback` signs webhook requests the way
Twilio does, independently of opsdesk's own verifier.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from opsdesk.common import clock
from tests.fakes.http_provider import FakeJsonProvider, Received, Reply

API_VERSION = "2010-04-01"
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_ABSOLUTE_URL = re.compile(r"https?://[^/\s]+\S*")
_MESSAGE_PARAMS = frozenset({"To", "From", "Body", "StatusCallback"})
_CALL_PARAMS = frozenset(
    {"To", "From", "Url", "Twiml", "StatusCallback", "StatusCallbackEvent", "Timeout"}
)
_REPEATABLE = frozenset({"StatusCallbackEvent"})
_CALL_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})
_DEFAULT_FAILURES: dict[int, tuple[int, str]] = {
    400: (21211, "Invalid 'To' Phone Number"),
    401: (20003, "Authenticate"),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


class BadRequest(Exception):
    """A request Twilio would refuse, with its error code and HTTP status."""

    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Created:
    """A message or call Twilio would have queued."""

    resource: str  # "Messages" | "Calls"
    sid: str
    params: list[tuple[str, str]]  # form fields in wire order

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name), None)


class FakeTwilio(FakeJsonProvider):
    DEFAULT_FAILURES = _DEFAULT_FAILURES
    FALLBACK_FAILURE = (20001, "Error")

    def __init__(
        self,
        *,
        account_sid: str = "AC" + "3f7c2a9e1b5d4c8a" * 2,
        auth_token: str = "test-auth-token",
        from_number: str = "+908505550000",
    ) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number  # the only number this account owns
        self.requests: list[Created] = []  # accepted (201) requests

    @property
    def url(self) -> str:
        """The API base to configure the adapter with, e.g. http://127.0.0.1:PORT."""
        return self.origin

    @property
    def messages_url(self) -> str:
        return f"{self.url}/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

    @property
    def calls_url(self) -> str:
        return f"{self.url}/{API_VERSION}/Accounts/{self.account_sid}/Calls.json"

    def handle(self, received: Received) -> Reply:
        if not self.arrive(received):
            return _error_reply(BadRequest(20503, "Service Unavailable", 503))
        try:
            if not self._authorized(received.headers.get("authorization", "")):
                raise BadRequest(20003, "Authenticate", 401)
            resource = self._route(received.method, received.path)
            params = _form(received.headers, received.body)
            if resource == "Messages":
                _check_message(params, self.from_number)
            else:
                _check_call(params, self.from_number)
        except BadRequest as exc:
            return _error_reply(exc)
        created = Created(resource, _sid("SM" if resource == "Messages" else "CA"), params)
        failure = self.accept(created)
        if failure is not None:
            extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            bad = BadRequest(failure.code, failure.message, failure.status)
            return _error_reply(bad, extra)
        return Reply(201, self._resource_body(created))

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        expected = (self.account_sid, self.auth_token)
        return hmac.compare_digest(f"{user}:{password}", ":".join(expected))

    def _route(self, method: str, path: str) -> str:
        match = re.fullmatch(rf"/{API_VERSION}/Accounts/([^/]+)/(Messages|Calls)\.json", path)
        if match is None or match.group(1) != self.account_sid:
            raise BadRequest(20404, f"The requested resource {path} was not found", 404)
        if method != "POST":
            raise BadRequest(20004, "Method not allowed", 405)  # lists are not faked
        return match.group(2)

    def _resource_body(self, created: Created) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/{created.resource}/{created.sid}"
        now = email.utils.format_datetime(clock.now(), usegmt=True)
        common: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "date_created": now,
            "date_updated": now,
            "direction": "outbound-api",
            "from": created.get("From"),
            "price": None,
            "price_unit": "USD",
            "sid": created.sid,
            "status": "queued",
            "to": created.get("To"),
            "uri": uri + ".json",
        }
        if created.resource == "Messages":
            return {
                **common,
                "body": created.get("Body"),
                "date_sent": None,
                "error_code": None,
                "error_message": None,
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": str(_segments(created.get("Body") or "")),
                "subresource_uris": {"media": uri + "/Media.json"},
            }
        return {
            **common,
            "answered_by": None,
            "caller_name": None,
            "duration": None,
            "end_time": None,
            "from_formatted": created.get("From"),
            "parent_call_sid": None,
            "queue_time": "0",
            "start_time": None,
            "to_formatted": created.get("To"),
            "subresource_uris": {"events": uri + "/Events.json"},
        }


def signed_callback(url: str, params: Mapping[str, str], auth_token: str) -> dict[str, str]:
    """The headers Twilio sends with a form POST of `params` to `url`.

    With Django's test client: ``client.post(path, urlencode(params),
    content_type="application/x-www-form-urlencoded", headers=signed_callback(url, params,
    token))``, where `url` is the absolute URL the view reconstructs.
    """
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return {"X-Twilio-Signature": base64.b64encode(digest).decode()}


def call_callback(
    call: Created,
    account_sid: str,
    *,
    status: str = "in-progress",
    **answer: str,
) -> dict[str, str]:
    """The form Twilio POSTs about an outbound call it placed: to the voice URL (with
    `Digits` or `SpeechResult` and `Confidence` after a <Gather>) or, with a final
    `status` such as "completed" or "no-answer", to the StatusCallback."""
    params = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": call.sid,
        "CallStatus": status,
        "Called": call.get("To") or "",
        "CalledCountry": "TR",
        "Caller": call.get("From") or "",
        "CallerCountry": "TR",
        "Direction": "outbound-api",
        "From": call.get("From") or "",
        "To": call.get("To") or "",
    }
    if status in ("completed", "busy", "no-answer", "failed", "canceled"):
        params["CallDuration"] = "14" if status == "completed" else "0"
        params["Timestamp"] = email.utils.format_datetime(clock.now(), usegmt=True)
        params["CallbackSource"] = "call-progress-events"
        params["SequenceNumber"] = "3"
    if "Digits" in answer:
        params.update(FinishedOnKey="", msg="Gather End")
    if "SpeechResult" in answer:
        params.setdefault("Confidence", "0.91")
        params["Language"] = answer.pop("Language", "tr-TR")
    params.update(answer)
    return params


def sms_status_callback(
    message: Created, account_sid: str, *, status: str, error_code: str = ""
) -> dict[str, str]:
    """The form Twilio POSTs to an SMS's StatusCallback."""
    params = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "From": message.get("From") or "",
        "MessageSid": message.sid,
        "MessageStatus": status,
        "SmsSid": message.sid,
        "SmsStatus": status,
        "To": message.get("To") or "",
    }
    if error_code:
        params["ErrorCode"] = error_code
    return params


def _form(headers: dict[str, str], raw: bytes) -> list[tuple[str, str]]:
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return []  # Twilio reads nothing from other bodies, so "To" is then missing
    try:
        return parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(20001, f"Malformed form body: {exc}") from exc


def _single(params: list[tuple[str, str]], allowed: frozenset[str]) -> dict[str, str]:
    names = [name for name, _ in params]
    unknown = sorted(set(names) - allowed)
    if unknown:
        raise BadRequest(20001, f"Unknown parameters: {', '.join(unknown)} (the fake refuses them)")
    repeated = sorted({n for n in names if names.count(n) > 1} - _REPEATABLE)
    if repeated:
        raise BadRequest(20001, f"Repeated parameters: {', '.join(repeated)}")
    return dict(params)


def _check_message(params: list[tuple[str, str]], owned: str) -> None:
    form = _single(params, _MESSAGE_PARAMS)
    if not form.get("To"):
        raise BadRequest(21604, "A 'To' phone number is required.")
    if not _E164.fullmatch(form["To"]):
        raise BadRequest(21211, f"Invalid 'To' Phone Number: {form['To']}")
    if not form.get("From"):
        raise BadRequest(21603, "A 'From' phone number is required.")
    if form["From"] != owned:
        raise BadRequest(
            21606,
            f"The From phone number {form['From']} is not a valid, SMS-capable inbound phone "
            "number or short code for your account.",
        )
    if not form.get("Body"):
        raise BadRequest(21602, "Message body is required.")
    if len(form["Body"]) > 1600:
        raise BadRequest(21617, "The concatenated message body exceeds the 1600 character limit.")
    if "StatusCallback" in form and not _ABSOLUTE_URL.fullmatch(form["StatusCallback"]):
        raise BadRequest(21609, f"Invalid StatusCallback url: {form['StatusCallback']}")


def _check_call(params: list[tuple[str, str]], owned: str) -> None:
    form = _single(params, _CALL_PARAMS)
    if not form.get("To"):
        raise BadRequest(21201, "No 'To' number is specified")
    if not _E164.fullmatch(form["To"]):
        raise BadRequest(21211, f"Invalid 'To' Phone Number: {form['To']}")
    if not form.get("From"):
        raise BadRequest(21213, "No 'From' number is specified")
    if form["From"] != owned:
        raise BadRequest(
            21210, f"The source phone number provided, {form['From']}, is not yet verified."
        )
    if ("Url" in form) == ("Twiml" in form):
        # Twilio ignores Twiml when both are given; the fake refuses the ambiguity.
        raise BadRequest(21200, "Exactly one of Url or Twiml is required")
    if "Url" in form and not _ABSOLUTE_URL.fullmatch(form["Url"]):
        raise BadRequest(21205, f"Url is not a valid URL: {form['Url']}")
    if "Twiml" in form:
        _check_twiml(form["Twiml"])
    if "StatusCallback" in form and not _ABSOLUTE_URL.fullmatch(form["StatusCallback"]):
        raise BadRequest(21609, f"Invalid StatusCallback url: {form['StatusCallback']}")
    events = [value for name, value in params if name == "StatusCallbackEvent"]
    if set(events) - _CALL_EVENTS:
        raise BadRequest(
            21200, f"Invalid StatusCallbackEvent: {sorted(set(events) - _CALL_EVENTS)}"
        )
    timeout = form.get("Timeout", "60")
    if not (timeout.isdigit() and 1 <= int(timeout) <= 600):
        raise BadRequest(21200, f"Timeout must be an integer between 1 and 600, got {timeout!r}")


def _check_twiml(twiml: str) -> None:
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError as exc:
        raise BadRequest(12100, f"Document parse failure: {exc}") from exc
    if root.tag != "Response":
        raise BadRequest(12100, f"TwiML root must be <Response>, got <{root.tag}>")


def _segments(body: str) -> int:
    # GSM-7 (approximated as ASCII) fits 160 characters, UCS-2 70; split parts hold 153/67.
    single, part = (160, 153) if body.isascii() else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // part)


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)  # 34 characters, as Twilio's sids


def _error_reply(exc: BadRequest, headers: dict[str, str] | None = None) -> Reply:
    body = {
        "code": exc.code,
        "message": exc.message,
        "more_info": f"https://www.twilio.com/docs/errors/{exc.code}",
        "status": exc.status,
    }
    return Reply(exc.status, body, headers)
