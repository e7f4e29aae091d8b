"""Inbound provider webhooks. Authenticated by the provider's signature (or, for the
mail relay, a shared secret), not a token. Twilio's are in twilio_webhooks.py."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Router

from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.comms.adapters.whatsapp_webhook import (
    InboundMessage,
    StatusUpdate,
    parse_webhook,
    verify_handshake,
    verify_signature,
)
from opsdesk.comms.email_inbound import InboundEmail, parse_inbound
from opsdesk.comms.services import message_receive, message_status_update
from opsdesk.intake.services import request_from_email
from opsdesk.orders.models import SalesChannel

router = Router(tags=["webhooks"])
WHATSAPP = Actor("whatsapp")
EMAIL = Actor("email")
EMAIL_SECRET_HEADER = "X-Opsdesk-Inbound-Secret"
_MAX_PROVIDER_ID = 128  # Message.provider_message_id
_STATUS = {"sent": "SENT", "delivered": "DELIVERED", "read": "READ", "failed": "FAILED"}


@router.get("/webhooks/whatsapp", auth=None, include_in_schema=True)
def whatsapp_verify(request: HttpRequest) -> HttpResponse:
    """Meta's subscription handshake: echo `hub.challenge` when the verify token matches."""
    challenge = verify_handshake(request.GET, settings.WHATSAPP_VERIFY_TOKEN)
    if challenge is None:
        return HttpResponse("verification failed", status=403, content_type="text/plain")
    return HttpResponse(challenge, content_type="text/plain")


@router.post("/webhooks/whatsapp", auth=None)
def whatsapp_event(request: HttpRequest) -> HttpResponse:
    """Inbound messages and delivery reports, signed with `X-Hub-Signature-256`."""
    signature = request.headers.get("X-Hub-Signature-256")
    if not verify_signature(request.body, signature, settings.WHATSAPP_APP_SECRET):
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    try:
        events = parse_webhook(json.loads(request.body))
    except (ValueError, json.JSONDecodeError) as exc:
        return HttpResponse(f"bad payload: {exc}", status=400, content_type="text/plain")
    for event in events:
        if isinstance(event, InboundMessage):
            message_receive(
                channel="WHATSAPP",
                from_address=event.from_phone,
                body=event.text or event.payload,
                provider_message_id=event.provider_message_id,
                at=event.timestamp,
                actor=WHATSAPP,
                payload=event.payload,
            )
        elif isinstance(event, StatusUpdate):
            error = f"{event.error_code}: {event.error_title}" if event.error_code else ""
            message_status_update(
                message_id=event.biz_opaque_callback_data,
                provider_message_id=event.provider_message_id,
                status=_STATUS[event.status],
                error=error,
                actor=WHATSAPP,
            )
    return HttpResponse("ok", content_type="text/plain")


@router.post("/webhooks/email", auth=None)
def email_inbound(request: HttpRequest) -> HttpResponse:
    """One inbound email, the raw RFC 5322 message as the body, from the mail relay.

    Authenticated by the `X-Opsdesk-Inbound-Secret` header (OPSDESK_INBOUND_EMAIL_SECRET;
    every request is refused while it is empty). Mail to an active sales channel's
    intake address is an order; anything else is a customer's message.
    """
    secret = settings.OPSDESK_INBOUND_EMAIL_SECRET
    given = request.headers.get(EMAIL_SECRET_HEADER, "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return HttpResponse("bad secret", status=403, content_type="text/plain")
    raw = request.body
    try:
        email = parse_inbound(raw)
    except ValueError as exc:
        return HttpResponse(f"bad email: {exc}", status=400, content_type="text/plain")
    channel = _intake_channel(email)
    if channel is not None:
        order_from_email = _order_intake()
        if order_from_email is not None:
            order_from_email(channel, email)
            return HttpResponse("ok", content_type="text/plain")
    # Mail to a request playbook's intake address opens a request (opsdesk.intake),
    # unless the sender has an open case under that playbook: then it is a message.
    if request_from_email(email, _email_id(email, raw), EMAIL) is not None:
        return HttpResponse("ok", content_type="text/plain")
    message_receive(
        channel="EMAIL",
        from_address=email.from_address,
        body=email.text,
        provider_message_id=_email_id(email, raw),
        at=email.date or clock.now(),
        actor=EMAIL,
    )
    return HttpResponse("ok", content_type="text/plain")


def _intake_channel(email: InboundEmail) -> SalesChannel | None:
    """The active sales channel whose intake address the email was sent to, if any."""
    if not email.to_addresses:
        return None
    matches = Q()
    for address in email.to_addresses:
        matches |= Q(inbound_email__iexact=address)
    return SalesChannel.objects.filter(matches, active=True).exclude(inbound_email="").first()


def _order_intake() -> Any:
    """`opsdesk.orders.email_intake.order_from_email(channel, email)`, or None while that
    module is not installed: then mail to an intake address is read as a customer's."""
    try:
        from opsdesk.orders.email_intake import order_from_email
    except ModuleNotFoundError as exc:
        if exc.name != "opsdesk.orders.email_intake":
            raise  # the module exists but is broken: fail loudly
        return None
    return order_from_email


def _email_id(email: InboundEmail, raw: bytes) -> str:
    """The Message-ID, which makes a relay's retry a repeat; without a usable one, the
    hash of the raw message does."""
    if email.message_id and len(email.message_id) <= _MAX_PROVIDER_ID:
        return email.message_id
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@opsdesk.invalid>"
