"""The development adapter: "sending" is just accepting the message.

It keeps nothing outside the database: the message row already holds the text
and the UI shows it, so there is nothing else to store.
"""

from __future__ import annotations

from opsdesk.comms.adapters.base import OutboundMessage, PermanentError, SendResult


class DevAdapter:
    name = "dev"
    resend_safe = True  # nothing leaves the database, so a resend cannot reach anyone twice

    def send(self, message: OutboundMessage) -> SendResult:
        # Refuse what a real provider would refuse, so dev runs surface the bug too.
        if not message.to.strip():
            raise PermanentError("message has no recipient")
        return SendResult(provider_message_id="dev-" + message.idempotency_key, delivered=True)
