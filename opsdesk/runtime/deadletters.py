"""Dead letters: outbox items the worker gave up on, for an operator to see and retry.

An item is DEAD when the provider refused it for good, when it failed
OPSDESK_MAX_SEND_ATTEMPTS times, or when a worker stopped while the provider had it
("delivery unknown": the message is UNKNOWN, and a resend may reach the customer
twice). `dead_letters_retry` puts items back to PENDING for the worker; an unknown
delivery only once the operator says they checked with the provider.

The page is opsdesk/web/deadletters.py (admins and managers).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet

from opsdesk.access.policy import role_of, visible_via
from opsdesk.cases.apply import timeline_row
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, Refused, ValidationFailed, status_word
from opsdesk.comms.models import DeliveryStatus, Message
from opsdesk.runtime.models import OutboxItem, OutboxStatus
from opsdesk.runtime.outbox import effect_hooks
from opsdesk.staff.models import Role

log = logging.getLogger(__name__)

UNKNOWN_REFUSAL = (
    "{label}: delivery unknown. A worker stopped while the provider had it, so the "
    "customer may already have it and a resend may deliver it twice. Check with the "
    "provider first, then confirm and retry."
)


@dataclass(frozen=True)
class DeadLetter:
    """One row of the dead-letter list."""

    item: OutboxItem
    message: Message | None  # None for an effect (a webhook, a chat post, ...)

    @property
    def id(self) -> int:
        return self.item.pk

    @property
    def form_key(self) -> str:
        """Names its Retry form on the page (opsdesk.web.feedback)."""
        return f"dead:{self.item.pk}"

    @property
    def delivery_unknown(self) -> bool:
        return self.message is not None and self.message.status == DeliveryStatus.UNKNOWN

    @property
    def channel(self) -> str:
        return self.message.channel if self.message is not None else self.item.kind

    @property
    def case(self) -> Any:
        return self.message.case if self.message is not None else None

    @property
    def customer(self) -> Any:
        return self.message.customer if self.message is not None else None


def outbox_items(user: Any) -> QuerySet[OutboxItem]:
    """The outbox items (of any status) `user` may see. Admins see all; others the
    messages of customers they may see (opsdesk.access.policy): an effect names no
    case the outbox could judge by, so only admins see those."""
    qs = OutboxItem.objects.all()
    if role_of(user) == Role.ADMIN:
        return qs
    return qs.filter(message__isnull=False).filter(visible_via(user, "message__customer_id"))


def dead_letters(user: Any) -> QuerySet[OutboxItem]:
    """The dead items `user` may see, the last tried first."""
    return (
        outbox_items(user)
        .filter(status=OutboxStatus.DEAD)
        .select_related("message__case", "message__customer")
        .order_by(F("attempt_started_at").desc(nulls_last=True), "-pk")
    )


def dead_letter_rows(items: Iterable[OutboxItem]) -> list[DeadLetter]:
    return [DeadLetter(item, item.message) for item in items]


def _label(item: OutboxItem) -> str:
    if item.message is None:
        return f"{item.kind} #{item.pk}"
    case = item.message.case
    return f"{item.message.channel} message #{item.pk}" + (f" ({case.number})" if case else "")


def dead_letters_retry(
    item_ids: Sequence[int], actor: Actor, *, confirm_unknown: bool = False
) -> list[OutboxItem]:
    """Put dead items back to PENDING, due now, with their attempts reset; their
    messages back to QUEUED with a MESSAGE_RETRIED row (who, and the error before).

    All or nothing: an item that is no longer DEAD (another operator retried it) is
    a Conflict, an unknown delivery without `confirm_unknown` is Refused, and then
    nothing changes. Two operators retrying at once retry once: the items are locked
    (on SQLite the transaction holds the write lock) and each is set back with a
    compare-and-set on its status.
    """
    ids = sorted(set(item_ids))
    if not ids:
        raise ValidationFailed({"item": ["choose a dead letter to retry"]})
    now = clock.now()
    with transaction.atomic():
        items = list(
            OutboxItem.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("message__case")
            .order_by("pk")
        )
        missing = sorted(set(ids) - {i.pk for i in items})
        if missing:
            raise ValidationFailed({"item": [f"no dead letter #{pk}" for pk in missing]})
        moved = [i for i in items if i.status != OutboxStatus.DEAD]
        if moved:
            raise Conflict(
                "; ".join(
                    f"{_label(i)} is no longer a dead letter ({status_word(i.status)}): "
                    "someone retried it already"
                    for i in moved
                )
            )
        reasons = [
            UNKNOWN_REFUSAL.format(label=_label(i))
            for i in items
            if not confirm_unknown
            and i.message is not None
            and i.message.status == DeliveryStatus.UNKNOWN
        ]
        for i in items:
            on_dead, on_retry = effect_hooks(i.kind)
            if i.message is None and on_dead is not None and on_retry is None:
                # Its app marked its own row failed and has its own way to resend it.
                reasons.append(f"{_label(i)}: retry it where its app shows the failure")
        if reasons:
            raise Refused(reasons)
        for item in items:
            _retry_one(item, actor, now)
    for item in items:
        log.info("dead letter %s retried by %s (was: %s)", item.pk, actor.label, item.last_error)
    return items


def _retry_one(item: OutboxItem, actor: Actor, now: Any) -> None:
    if not OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.DEAD).update(
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        attempt_started_at=None,
        claimed_by="",
        # last_error stays until the next attempt: the list and the log keep it.
    ):
        raise Conflict(f"{_label(item)} is no longer a dead letter")
    message = item.message
    if message is None:
        _, on_retry = effect_hooks(item.kind)
        if on_retry is not None:
            on_retry(item.payload)
        return
    unknown = message.status == DeliveryStatus.UNKNOWN
    Message.objects.filter(
        pk=message.pk, status__in=[DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN]
    ).update(status=DeliveryStatus.QUEUED, error="", updated_at=now)
    timeline_row(
        message.case,
        message.customer_id,
        "MESSAGE_RETRIED",
        actor,
        now,
        message_id=message.pk,
        channel=message.channel,
        template=message.template,
        error=item.last_error or message.error,
        delivery_unknown=unknown,
    ).save()
