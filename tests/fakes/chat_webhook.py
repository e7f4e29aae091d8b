"""A chat system's incoming webhook (Slack-compatible): accepts `{"text": "..."}` JSON.

Like Slack, it answers 2xx when the post is accepted, 400 for a body without a
non-empty `text`, and 404 for any other path (a revoked or mistyped webhook URL).
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.http_provider import FakeJsonProvider, Received, Reply


class FakeChatWebhook(FakeJsonProvider):
    PATH = "/services/T000/B000/XXXX"

    @property
    def url(self) -> str:
        return f"{self.origin}{self.PATH}"

    def handle(self, received: Received) -> Reply:
        if not self.arrive(received):
            return Reply(503, {"error": "stopping"})
        if received.method != "POST" or received.path != self.PATH:
            return Reply(404, {"error": "no_service"})
        try:
            payload: Any = json.loads(received.body)
        except ValueError:
            return Reply(400, {"error": "invalid_payload"})
        if not isinstance(payload, dict) or not str(payload.get("text") or "").strip():
            return Reply(400, {"error": "no_text"})
        failure = self.accept(payload)
        if failure is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else None
            return Reply(failure.status, {"error": failure.message}, headers)
        return Reply(200, {"ok": True})
