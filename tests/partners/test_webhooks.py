"""opsdesk.common.webhooks: the signature's test vectors and how answers are classified."""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import httpx
import pytest

from opsdesk.common import webhooks
from opsdesk.comms.adapters.base import PermanentError, RetryableError
from tests.fakes.partner_webhook import FakePartnerWebhook

SECRET = "whsec_0123456789"
BODY = b'{"event":"status.changed","status":"APPROVED"}'
AT = dt.datetime(2026, 10, 28, 7, 0, tzinfo=dt.UTC)  # 1793170800


def test_signature_vectors() -> None:
    # Computed outside opsdesk: printf '1793170800.<body>' | openssl dgst -sha256 -hmac SECRET
    assert webhooks.sign(SECRET, 1793170800, BODY) == (
        "t=1793170800,v1=0fa08dcaf90b65b7b42dd5065de172740bdf97165da9ecb2cc07e471f530367d"
    )
    assert webhooks.sign("", 0, b"") == (
        "t=0,v1=b849d5a581847b281957065739df36df2463d1977ea8d6e1e4e6cf33fadc68c3"
    )


def test_signed_headers() -> None:
    assert webhooks.signed_headers(SECRET, BODY, AT) == {
        "Content-Type": "application/json",
        "User-Agent": "opsdesk-webhooks/1",
        "X-Opsdesk-Signature": (
            "t=1793170800,v1=0fa08dcaf90b65b7b42dd5065de172740bdf97165da9ecb2cc07e471f530367d"
        ),
    }


def test_post_signed_sends_compact_json_the_receiver_can_verify(frozen_clock: Any) -> None:
    with FakePartnerWebhook(SECRET) as server:
        response = webhooks.post_signed(
            server.url, SECRET, {"push_id": "sps_1", "ü": 1}, headers={"X-Opsdesk-Event": "e"}
        )
        (received,) = server.received
    assert response.status_code == 200
    assert received.body == b'{"push_id":"sps_1","\\u00fc":1}'
    assert server.signature_ok(received)
    assert received.headers["x-opsdesk-signature"].startswith("t=1793170800,v1=")
    assert (received.headers["x-opsdesk-event"], received.headers["user-agent"]) == (
        "e",
        "opsdesk-webhooks/1",
    )
    assert server.requests == [{"push_id": "sps_1", "ü": 1}]


@pytest.mark.parametrize(
    ("status", "retry_after", "kind", "expected_retry_after"),
    [
        (503, None, RetryableError, None),
        (500, None, RetryableError, None),
        (429, "30", RetryableError, 30.0),
        (400, None, PermanentError, None),
        (404, None, PermanentError, None),
        (410, None, PermanentError, None),
    ],
)
def test_answers_are_classified_for_the_outbox(
    frozen_clock: Any, status: int, retry_after: str | None, kind: type, expected_retry_after: Any
) -> None:
    with FakePartnerWebhook(SECRET) as server:
        server.fail_next(status, retry_after=retry_after)
        with pytest.raises(kind) as raised:
            webhooks.post_signed(server.url, SECRET, {"a": 1}, label="travelco webhook")
    assert str(raised.value) == f"travelco webhook answered HTTP {status}"
    assert raised.value.http_status == status  # type: ignore[attr-defined]
    assert raised.value.retry_after == expected_retry_after
    assert server.requests == []


def test_no_answer_is_retryable(frozen_clock: Any) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RetryableError) as raised:
        webhooks.post_signed(f"http://127.0.0.1:{port}/x", SECRET, {}, label="travelco webhook")
    assert str(raised.value).startswith("travelco webhook: ")
    assert raised.value.http_status == 0  # type: ignore[attr-defined]


def test_a_given_client_is_used(frozen_clock: Any) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    assert webhooks.post_signed("https://p.example/s", SECRET, {"a": 1}, client).status_code == 202
    (request,) = seen
    assert request.content == b'{"a":1}'
    assert request.headers["x-opsdesk-signature"] == webhooks.sign(SECRET, 1793170800, b'{"a":1}')
