"""Inbound provider webhooks. Authenticated by the provider's signature, not a token."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router

from opsdesk.common.actors import Actor
from opsdesk.comms.adapters.whatsapp_webhook import (
    InboundMessage,
    StatusUpdate,
    parse_webhook,
    verify_handshake,
    verify_signature,
)
from opsdesk.comms.services import message_receive, message_status_update

router = Router(tags=["webhooks"])
WHATSAPP = Actor("whatsapp")
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
