"""Signed JSON webhooks: the signature every outgoing opsdesk webhook carries, and one POST.

`X-Opsdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed
with the receiver's webhook secret. The receiver recomputes the HMAC over the raw
body it got and compares (docs/api.md, docs/partners.md).

`post_signed` makes one attempt and classifies the answer for the outbox: no
answer, 5xx and 429 are `RetryableError` (with the receiver's `Retry-After`), other
non-2xx answers are `PermanentError`. Retrying belongs to the outbox worker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import httpx

from opsdesk.common import clock
from opsdesk.comms.adapters.base import PermanentError, RetryableError

SIGNATURE_HEADER = "X-Opsdesk-Signature"
USER_AGENT = "opsdesk-webhooks/1"
TIMEOUT = 10.0


class WebhookRetryable(RetryableError):
    """No answer, or an answer worth retrying (5xx, 429); `http_status` is 0 without one."""

    def __init__(self, message: str, *, http_status: int = 0, retry_after: float | None = None):
        super().__init__(message, retry_after=retry_after)
        self.http_status = http_status


class WebhookRejected(PermanentError):
    """The receiver refused the request (4xx other than 429): sending it again will not help."""

    def __init__(self, message: str, *, http_status: int):
        super().__init__(message)
        self.http_status = http_status


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Opsdesk-Signature value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def encode(payload: Mapping[str, Any]) -> bytes:
    """The body as sent (and signed): compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":")).encode()


def signed_headers(secret: str, body: bytes, now: dt.datetime) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, int(now.timestamp()), body),
    }


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the outbox's own backoff applies


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    client: httpx.Client | None = None,
    *,
    label: str = "webhook",
) -> httpx.Response:
    """One POST of a JSON `body`; the 2xx response, or raise for the outbox (no answer,
    5xx and 429 retryable, any other answer permanent). `label` starts the error
    messages ("telesales webhook answered HTTP 503")."""
    try:
        if client is None:
            with httpx.Client(timeout=TIMEOUT) as own:
                response = own.post(url, content=body, headers=headers)
        else:
            response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise WebhookRetryable(f"{label}: {exc}") from exc
    if response.is_success:
        return response
    status = response.status_code
    message = f"{label} answered HTTP {status}"
    if status >= 500 or status == 429:
        raise WebhookRetryable(message, http_status=status, retry_after=_retry_after(response))
    raise WebhookRejected(message, http_status=status)


def post_signed(
    url: str,
    secret: str,
    payload: Mapping[str, Any],
    client: httpx.Client | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    label: str = "webhook",
) -> httpx.Response:
    """POST `payload` signed with `secret` (see `post_json` for the answers).

    `headers` are added to the signed ones (e.g. X-Opsdesk-Event).
    """
    body = encode(payload)
    all_headers = signed_headers(secret, body, clock.now()) | dict(headers or {})
    return post_json(url, body, all_headers, client, label=label)
