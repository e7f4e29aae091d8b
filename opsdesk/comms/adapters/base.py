"""The contract every channel adapter keeps.

Adapters are thin: they turn an `OutboundMessage` into one provider call and
classify failures as retryable or permanent. Retrying, leasing and bookkeeping
belong to the caller, which is why adapters raise instead of returning flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class WhatsAppTemplate:
    name: str  # approved template name at Meta
    language: str  # e.g. "tr", "en_US"
    body_params: tuple[str, ...] = ()
    button_payloads: tuple[str, ...] = ()  # one per quick-reply button, in order


@dataclass(frozen=True)
class AttachmentRef:
    """A file to attach (email): where it is in Django's storage, and how to name it."""

    name: str
    content_type: str
    storage_path: str


@dataclass(frozen=True)
class OutboundMessage:
    # opsdesk message id ("msg_..."); sent along where the provider allows
    # (WhatsApp: biz_opaque_callback_data) so status callbacks can be matched.
    idempotency_key: str
    channel: str  # "WHATSAPP" | "SMS" | "EMAIL" | "VOICE"
    to: str  # E.164 phone or email address
    body: str  # rendered text; always present because it is what the log shows
    language: str = "en"
    subject: str = ""
    # Send as a template message when set (needed outside WhatsApp's 24h window).
    whatsapp_template: WhatsAppTemplate | None = None
    attachments: tuple[AttachmentRef, ...] = ()  # email only


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    delivered: bool = False  # True only when the adapter itself knows (dev adapter)


class AdapterError(Exception):
    """A send that did not go through; `retryable` tells the caller what to do next."""

    retryable: bool = False

    def __init__(self, message: str, *, code: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # provider's error code as a string, "" when it gave none
        self.retry_after = retry_after  # seconds the provider asked us to wait, if it said


class RetryableError(AdapterError):
    retryable = True


class PermanentError(AdapterError):
    retryable = False


class ChannelAdapter(Protocol):
    name: str
    resend_safe: bool  # True when sending the same message again cannot reach anyone twice

    def send(self, message: OutboundMessage) -> SendResult: ...
