"""Dispatch outbox rows through the channel adapters.

Claim a batch (commit) -> for each: mark the attempt (commit) -> send ->
record (commit). A claim that expired before its attempt was marked was never
sent and goes back to PENDING. One that expired after means a worker died
while the provider had it: resending could deliver it twice, so it is parked
as DEAD with the message UNKNOWN, for an operator to check and retry. Adapters that say a
resend is harmless (`resend_safe`, e.g. dev) go back to PENDING instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q

from opsdesk.cases.apply import timeline_row
from opsdesk.common import clock
from opsdesk.common.actors import WORKER
from opsdesk.common.logcontext import case_context
from opsdesk.comms.adapters.base import (
    AdapterError,
    AttachmentRef,
    OutboundMessage,
    PermanentError,
    SendResult,
    WhatsAppTemplate,
)
from opsdesk.comms.adapters.registry import get_adapter
from opsdesk.comms.models import DeliveryStatus, Message
from opsdesk.runtime.models import OutboxItem, OutboxStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

# The database went away (a restart, a failover, a killed backend): the error of
# the connection, not of the row. psycopg raises OperationalError on a cut
# connection and InterfaceError on a closed one.
DATABASE_GONE = (OperationalError, InterfaceError)

MESSAGE_SEND = "message.send"
# Other kinds of side effect (e.g. "channel.hand_back"), registered by their
# app: handler(payload) raises a RetryableError or PermanentError on failure.
# Handlers must be idempotent: an item whose worker died is run again.
_EFFECTS: dict[str, Callable[[dict[str, Any]], None]] = {}
# Called (payload, error) in the transaction that makes an item of that kind a dead
# letter, so the app can record the give-up on its own rows (e.g. a push FAILED).
_ON_DEAD: dict[str, Callable[[dict[str, Any], str], None]] = {}
# Called (payload) in the transaction where an operator retries a dead item of that
# kind (opsdesk.runtime.deadletters), so the app puts its own row back to pending.
_ON_RETRY: dict[str, Callable[[dict[str, Any]], None]] = {}


def register_effect(
    kind: str,
    handler: Callable[[dict[str, Any]], None],
    *,
    on_dead: Callable[[dict[str, Any], str], None] | None = None,
    on_retry: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    _EFFECTS[kind] = handler
    if on_dead is not None:
        _ON_DEAD[kind] = on_dead
    if on_retry is not None:
        _ON_RETRY[kind] = on_retry


def effect_hooks(
    kind: str,
) -> tuple[Callable[[dict[str, Any], str], None] | None, Callable[[dict[str, Any]], None] | None]:
    """The (on_dead, on_retry) hooks registered for an effect kind."""
    return _ON_DEAD.get(kind), _ON_RETRY.get(kind)


def _recorded(write: Callable[[], T], deadline: float) -> T:
    """Run `write`, which records what the provider already did, again across a
    short database outage (until `deadline`, time.monotonic()): the worker holds
    the outcome in memory, and losing it would park a sent message as UNKNOWN."""
    pause = 0.1
    while True:
        try:
            return write()
        except DATABASE_GONE:
            if connection.in_atomic_block or time.monotonic() + pause > deadline:
                raise  # inside a caller's transaction nothing can be retried here
            log.warning("database unavailable while recording a send; retrying", exc_info=True)
            connection.close()  # the next query reconnects
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


def backoff(attempts: int, retry_after: float | None = None) -> dt.timedelta:
    """Exponential with jitter, 5 s doubling to at most an hour; a provider's
    Retry-After wins when it is longer."""
    base = min(5 * 2 ** (attempts - 1), 3600)
    seconds = base * (0.8 + 0.4 * random.random())
    return dt.timedelta(seconds=max(seconds, retry_after or 0))


def reap_expired(now: dt.datetime) -> int:
    with transaction.atomic():
        stuck = list(
            OutboxItem.objects.select_for_update(of=("self",))
            .filter(status=OutboxStatus.SENDING, lease_until__lt=now)
            .select_related("message__case")
        )
        for item in stuck:
            if (
                item.attempt_started_at is None
                or item.message is None  # effects are idempotent
                or getattr(get_adapter(item.message.channel), "resend_safe", False)
            ):
                item.status, item.lease_until, item.attempt_started_at = "PENDING", None, None
                item.save(update_fields=["status", "lease_until", "attempt_started_at"])
                continue
            item.status = OutboxStatus.DEAD
            item.last_error = "a worker stopped while sending; delivery unknown, check before retry"
            item.save(update_fields=["status", "last_error"])
            if item.message is not None:
                _message_failed(item.message, item.last_error, now, DeliveryStatus.UNKNOWN)
    return len(stuck)


def claim(now: dt.datetime, worker: str, limit: int) -> list[int]:
    lease = now + dt.timedelta(seconds=settings.OPSDESK_SEND_LEASE_SECONDS)
    with transaction.atomic():
        qs = OutboxItem.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
        # Compare-and-set on status: on SQLite (no SKIP LOCKED) two workers
        # selecting the same row still claim it only once.
        claimed = []
        for pk in ids:
            if OutboxItem.objects.filter(pk=pk, status=OutboxStatus.PENDING).update(
                status=OutboxStatus.SENDING, lease_until=lease, claimed_by=worker
            ):
                claimed.append(pk)
    return claimed


def _outbound(message: Message) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key=message.pk,
        channel=message.channel,
        to=message.to_address,
        body=message.body,
        language=message.language or "en",
        subject=message.subject,
        whatsapp_template=WhatsAppTemplate(
            message.whatsapp_template,
            message.language,
            tuple(message.whatsapp_params),
            tuple(message.whatsapp_buttons),
        )
        if message.whatsapp_template
        else None,
        attachments=tuple(
            AttachmentRef(a["name"], a["content_type"], a["storage_path"])
            for a in message.attachments or ()
        ),
    )


def _message_failed(message: Message, error: str, now: dt.datetime, status: str) -> None:
    Message.objects.filter(pk=message.pk).update(status=status, error=error, updated_at=now)
    timeline_row(
        message.case,
        message.customer_id,
        "MESSAGE_FAILED",
        WORKER,
        now,
        message_id=message.pk,
        error=error,
    ).save()


def _start_attempt(item: OutboxItem) -> bool:
    """Mark the attempt just before calling out; False when the claim was handed
    back meanwhile. If the database goes away during the mark, it may have been
    committed without us hearing so, which would make the reaper park an item that
    never went out as "delivery unknown": nothing was called, so once the database
    answers again, hand the claim back (and, if it stays away, say so)."""
    try:
        return bool(
            OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.SENDING).update(
                attempt_started_at=clock.now()
            )
        )
    except DATABASE_GONE:
        deadline = time.monotonic() + settings.OPSDESK_SEND_LEASE_SECONDS
        _recorded(
            lambda: OutboxItem.objects.filter(
                pk=item.pk, status=OutboxStatus.SENDING, claimed_by=item.claimed_by
            ).update(status=OutboxStatus.PENDING, lease_until=None, attempt_started_at=None),
            deadline,
        )
        return False


def run_effect(item: OutboxItem) -> str:
    if not _start_attempt(item):
        return OutboxStatus.PENDING
    handler = _EFFECTS.get(item.kind)
    deadline = time.monotonic() + settings.OPSDESK_SEND_LEASE_SECONDS
    try:
        if handler is None:
            raise PermanentError(f"no handler for outbox items of kind {item.kind!r}")
        handler(item.payload)
    except AdapterError as exc:
        return _recorded(lambda e=exc: _record_error(item, e, clock.now()), deadline)

    def done() -> str:
        OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.SENDING).update(
            status=OutboxStatus.DONE, done_at=clock.now(), attempts=item.attempts + 1, last_error=""
        )
        return OutboxStatus.DONE

    return _recorded(done, deadline)


def send_one(item_id: int) -> str:
    """Send a claimed item; returns its new status."""
    item = OutboxItem.objects.select_related("message__case").get(pk=item_id)
    message = item.message
    if message is None:
        return run_effect(item)
    with case_context(message.case_id):  # a retry's or a failure's log line names the case
        return _send_message(item, message)


def _send_message(item: OutboxItem, message: Message) -> str:
    if not _start_attempt(item):
        return OutboxStatus.PENDING  # the claim expired and was handed back meanwhile
    deadline = time.monotonic() + settings.OPSDESK_SEND_LEASE_SECONDS
    try:
        result = get_adapter(message.channel).send(_outbound(message))
    except AdapterError as exc:
        return _recorded(lambda e=exc: _record_error(item, e, clock.now()), deadline)
    return _recorded(lambda: _record_sent(item, message, result), deadline)


def _record_sent(item: OutboxItem, message: Message, result: SendResult) -> str:
    now = clock.now()
    with transaction.atomic():
        done = OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.SENDING).update(
            status=OutboxStatus.DONE, done_at=now, attempts=item.attempts + 1, last_error=""
        )
        if not done:
            return OutboxStatus.DEAD  # reaped meanwhile; the reaper recorded it
        status = DeliveryStatus.DELIVERED if result.delivered else DeliveryStatus.SENT
        Message.objects.filter(pk=message.pk).filter(
            Q(status=DeliveryStatus.QUEUED) | Q(status=DeliveryStatus.UNKNOWN)
        ).update(
            status=status,
            provider_message_id=result.provider_message_id,
            sent_at=now,
            updated_at=now,
        )
        timeline_row(
            message.case,
            message.customer_id,
            "MESSAGE_SENT",
            WORKER,
            now,
            message_id=message.pk,
            channel=message.channel,
            template=message.template,
        ).save()
    return OutboxStatus.DONE


def _record_error(item: OutboxItem, exc: AdapterError, now: dt.datetime) -> str:
    attempts = item.attempts + 1
    error = f"{exc.code + ': ' if exc.code else ''}{exc}"
    give_up = not exc.retryable or attempts >= settings.OPSDESK_MAX_SEND_ATTEMPTS
    # Compare-and-set on SENDING: run again after a lost commit (_recorded), or after
    # the reaper took the item, it changes nothing.
    sending = OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.SENDING)
    with transaction.atomic():
        if give_up:
            if not sending.update(status=OutboxStatus.DEAD, attempts=attempts, last_error=error):
                return OutboxStatus.DEAD
            if item.message is not None:
                _message_failed(item.message, error, now, DeliveryStatus.FAILED)
            elif (on_dead := _ON_DEAD.get(item.kind)) is not None:
                on_dead(item.payload, error)
            return OutboxStatus.DEAD
        if not sending.update(
            status=OutboxStatus.PENDING,
            attempts=attempts,
            last_error=error,
            next_attempt_at=now + backoff(attempts, exc.retry_after),
            lease_until=None,
            attempt_started_at=None,
        ):
            return OutboxStatus.PENDING
    log.warning("send %s failed (attempt %s), will retry: %s", item.pk, attempts, error)
    return OutboxStatus.PENDING


def dispatch_due(now: dt.datetime, worker: str, limit: int = 50) -> int:
    reap_expired(now)
    ids = claim(now, worker, limit)
    for item_id in ids:
        try:
            send_one(item_id)
        except DATABASE_GONE:
            # The rest of the batch would fail the same way. Claims not yet attempted
            # go back to PENDING when their lease ends (reap_expired).
            log.exception("database unavailable; outbox item %s and the rest wait", item_id)
            raise
        except Exception:
            log.exception("outbox item %s failed unexpectedly", item_id)
    return len(ids)
