"""Payment providers: payment links and their signed webhooks, behind one protocol.

A provider adapter creates a page where the customer pays (`create_link`) and
checks the webhooks it sends (`verify_webhook`), returning what happened as a
plain dict. Adapters are registered by key (`register_provider`); the setting
OPSDESK_PAYMENT_PROVIDER names the one new links use.

The built-in `test` provider moves no money: its links are local URLs
(`/pay/test/<ref>/`) and its webhooks are signed like Stripe's, with the header
`X-Test-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` and
the secret OPSDESK_TEST_PAYMENT_SECRET. The body is JSON:
`{"ref": <provider_ref of the payment>, "link": <the link's provider_ref>,
"kind": "PAYMENT"|"REFUND", "amount": "100.00", "currency": "EUR",
"status": "SUCCEEDED"|"FAILED"|"PENDING"}`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.conf import settings

from opsdesk.common import clock
from opsdesk.common.errors import ValidationFailed

SIGNATURE_HEADER = "X-Test-Signature"
# A signed webhook older (or newer) than this is refused: a captured one cannot be
# replayed later (a replay within the window is harmless: payments are idempotent).
TOLERANCE_SECONDS = 300


class BadSignature(ValidationFailed):
    """The webhook's signature is missing, wrong or too old; nothing may be recorded."""

    def __init__(self, message: str):
        super().__init__({"signature": [message]})


class PaymentProvider(Protocol):
    key: str

    def create_link(self, quote: Any, amount: Decimal, reference: str) -> tuple[str, str]:
        """(provider_ref, url) of a page where the customer pays `amount`."""
        ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """The event a signed webhook reports; raises BadSignature (or ValidationFailed)."""
        ...


_PROVIDERS: dict[str, PaymentProvider] = {}


def register_provider(provider: PaymentProvider) -> None:
    _PROVIDERS[provider.key] = provider


def get_provider(key: str) -> PaymentProvider:
    try:
        return _PROVIDERS[key]
    except KeyError:
        raise ValidationFailed({"provider": [f"no payment provider {key!r}"]}) from None


def default_provider() -> PaymentProvider:
    return get_provider(settings.OPSDESK_PAYMENT_PROVIDER)


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def sign_test_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """The header value the test provider sends for `body` at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class TestProvider:
    """No real money: local links, webhooks signed with OPSDESK_TEST_PAYMENT_SECRET."""

    __test__ = False  # not a pytest class
    key = "test"

    def create_link(self, quote: Any, amount: Decimal, reference: str) -> tuple[str, str]:
        ref = f"tlink_{secrets.token_hex(8)}"
        return ref, f"/pay/test/{ref}/"

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        secret = settings.OPSDESK_TEST_PAYMENT_SECRET
        if not secret:
            raise BadSignature("the test provider has no secret (OPSDESK_TEST_PAYMENT_SECRET)")
        parts = dict(
            p.split("=", 1) for p in _header(headers, SIGNATURE_HEADER).split(",") if "=" in p
        )
        try:
            timestamp = int(parts.get("t", ""))
        except ValueError:
            raise BadSignature("missing or malformed signature") from None
        expected = sign_test_webhook(secret, timestamp, body).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise BadSignature("signature does not match")
        if abs(clock.now().timestamp() - timestamp) > TOLERANCE_SECONDS:
            raise BadSignature("signature timestamp outside the tolerance")
        return parse_event(body)


def parse_event(body: bytes) -> dict[str, Any]:
    """The test provider's JSON event, checked field by field."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed({"body": ["not JSON"]}) from None
    if not isinstance(data, dict):
        raise ValidationFailed({"body": ["not a JSON object"]})
    errors: dict[str, list[str]] = {}
    for name in ("ref", "link"):
        if not isinstance(data.get(name), str) or not data[name]:
            errors[name] = ["required"]
    if data.get("kind", "PAYMENT") not in ("PAYMENT", "REFUND"):
        errors["kind"] = ["PAYMENT or REFUND"]
    if data.get("status") not in ("SUCCEEDED", "FAILED", "PENDING"):
        errors["status"] = ["SUCCEEDED, FAILED or PENDING"]
    try:
        amount = Decimal(str(data.get("amount")))
        if not amount.is_finite() or amount <= 0:
            raise InvalidOperation
    except InvalidOperation:
        errors["amount"] = ["a positive decimal string"]
        amount = Decimal(0)
    if errors:
        raise ValidationFailed(errors)
    return {
        "ref": data["ref"],
        "link": data["link"],
        "kind": data.get("kind", "PAYMENT"),
        "amount": amount,
        "currency": str(data.get("currency", "")),
        "status": data["status"],
    }


register_provider(TestProvider())
