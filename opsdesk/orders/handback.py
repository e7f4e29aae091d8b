"""Handing an order back to its sales channel: the record, then a signed webhook.

The webhook is an outbox effect ("channel.hand_back"): sent after commit by the
worker and retried with backoff until the channel answers 2xx. Each delivery
carries the same `X-Opsdesk-Delivery` id, so a channel that sees it twice can
drop the repeat.

Signature: `X-Opsdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>" with the channel's webhook secret>` (docs/api.md shows how to check it),
made by `opsdesk.common.webhooks`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from django.db import transaction

from opsdesk.cases.models import Case
from opsdesk.common import clock, webhooks
from opsdesk.comms.adapters.base import PermanentError, RetryableError
from opsdesk.orders.models import HandBack, HandBackStatus, OrderStatus, ServiceOrder
from opsdesk.runtime.models import OutboxItem

EFFECT = "channel.hand_back"


def hand_back_record(case: Case, reason: str, now: dt.datetime) -> HandBack | None:
    """From a playbook's `hand_back`: None when the case runs no service order."""
    order = ServiceOrder.objects.select_related("channel").filter(case_id=case.pk).first()
    return record(order, reason, now) if order is not None else None


def record(order: ServiceOrder, reason: str, now: dt.datetime) -> HandBack:
    """Write the hand-back and queue its webhook, in the caller's transaction."""
    has_webhook = bool(order.channel.webhook_url)
    hand_back = HandBack.objects.create(
        order=order,
        reason=reason,
        status=HandBackStatus.PENDING if has_webhook else HandBackStatus.NO_WEBHOOK,
        created_at=now,
    )
    if order.status != OrderStatus.INELIGIBLE:
        ServiceOrder.objects.filter(pk=order.pk).update(
            status=OrderStatus.HANDED_BACK, updated_at=now
        )
    if has_webhook:
        OutboxItem.objects.create(
            kind=EFFECT,
            payload={"hand_back_id": hand_back.pk},
            next_attempt_at=now,
            created_at=now,
        )
    return hand_back


def payload_of(hand_back: HandBack) -> dict[str, Any]:
    order = hand_back.order
    return {
        "event": "order.handed_back",
        "hand_back_id": hand_back.pk,
        "reason": hand_back.reason,
        "at": hand_back.created_at.isoformat(),
        "order": {
            "id": order.pk,
            "external_ref": order.external_ref,
            "status": order.status,
            "failed_checks": order.failed_checks,
        },
    }


def deliver(payload: dict[str, Any], client: httpx.Client | None = None) -> None:
    """The outbox handler: POST the hand-back; raises RetryableError until a 2xx."""
    hand_back = (
        HandBack.objects.select_related("order__channel").filter(pk=payload["hand_back_id"]).first()
    )
    if hand_back is None or hand_back.status != HandBackStatus.PENDING:
        return  # acknowledged by an earlier delivery (or the order is gone)
    channel = hand_back.order.channel
    try:
        webhooks.post_signed(
            channel.webhook_url,
            channel.webhook_secret,
            payload_of(hand_back),
            client,
            headers={"X-Opsdesk-Event": "order.handed_back", "X-Opsdesk-Delivery": hand_back.pk},
            label=f"{channel.key} webhook",
        )
    except PermanentError as exc:
        # Until the channel acknowledges, it has not seen the hand-back: even a 4xx
        # (a channel's broken deploy, a rotated secret) is retried.
        raise RetryableError(exc.message) from exc
    with transaction.atomic():
        HandBack.objects.filter(pk=hand_back.pk, status=HandBackStatus.PENDING).update(
            status=HandBackStatus.ACKNOWLEDGED, acknowledged_at=clock.now()
        )
