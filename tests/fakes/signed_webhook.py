"""An endpoint that receives opsdesk's signed webhooks (hand-backs to a sales
channel, status pushes to a partner platform) and checks each signature.

The check is written here from the documented scheme (docs/api.md,
docs/partners.md), not with opsdesk's own signing code, so a change to either
side shows up as a failure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, ClassVar

from tests.fakes.http_provider import FakeJsonProvider, Received, Reply


class FakeSignedWebhook(FakeJsonProvider):
    PATH: ClassVar[str] = "/webhook"
    ID_KEY: ClassVar[str] = "id"  # the payload key the receipt echoes

    def __init__(self, secret: str = "") -> None:
        super().__init__()
        self.secret = secret

    @property
    def url(self) -> str:
        return f"{self.origin}{self.PATH}"

    def signature_ok(self, received: Received) -> bool:
        header = received.headers.get("x-opsdesk-signature", "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        expected = hmac.new(
            self.secret.encode(), parts.get("t", "").encode() + b"." + received.body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(expected, parts.get("v1", ""))

    def handle(self, received: Received) -> Reply:
        if not self.arrive(received):
            return Reply(503, {"error": "stopping"})
        if received.method != "POST" or received.path != self.PATH:
            return Reply(404, {"error": "not found"})
        if not self.signature_ok(received):
            return Reply(401, {"error": "bad signature"})
        payload: dict[str, Any] = json.loads(received.body)
        failure = self.accept(payload)
        if failure is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else None
            return Reply(failure.status, {"error": failure.message}, headers)
        return Reply(200, {"received": payload[self.ID_KEY]})
