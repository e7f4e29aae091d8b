"""Domain functions for internal chat channels and the posts sent to them.

A post is written in the transaction that decides it (`chat_post_record`, called
for a playbook's `post` action), with an outbox item ("chat.post") that the worker
carries out after commit through the channel's adapter (`deliver`), retried with
the outbox's backoff. A post to a channel that does not exist or is inactive is
recorded as NO_CHANNEL and sent nowhere: a playbook never fails because of chat.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from opsdesk.cases.models import Case
from opsdesk.chat.adapters import adapter_for, adapter_keys
from opsdesk.chat.models import ChatChannel, ChatPost, ChatPostState
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.comms.adapters.base import AdapterError, PermanentError
from opsdesk.runtime.models import OutboxItem, OutboxStatus

log = logging.getLogger(__name__)

EFFECT = "chat.post"
NAME = re.compile(r"^#[a-z0-9][a-z0-9_-]{0,79}$")
URL = re.compile(r"^https?://[^/\s]+\S*$")


def chat_channel_set(
    name: str,
    webhook_url: str,
    actor: Actor,
    *,
    adapter: str = "slack",
    active: bool = True,
) -> tuple[ChatChannel, bool]:
    """Create the channel, or update its webhook URL, adapter and `active`; True when created."""
    errors: dict[str, list[str]] = {}
    if not NAME.fullmatch(name):
        errors["name"] = ["'#' then 1-80 lowercase letters, digits, '-' or '_', e.g. #inquiries"]
    if not URL.fullmatch(webhook_url) or len(webhook_url) > 500:
        errors["webhook_url"] = ["an absolute http(s) URL of at most 500 characters"]
    if adapter not in adapter_keys():
        errors["adapter"] = [f"one of {', '.join(adapter_keys())}"]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    with transaction.atomic():
        channel, created = ChatChannel.objects.select_for_update().update_or_create(
            name=name,
            defaults={
                "webhook_url": webhook_url,
                "adapter": adapter,
                "active": active,
                "updated_at": now,
            },
            create_defaults={
                "webhook_url": webhook_url,
                "adapter": adapter,
                "active": active,
                "created_at": now,
                "updated_at": now,
            },
        )
    log.info("chat channel %s %s by %s", name, "created" if created else "updated", actor.label)
    return channel, created


def chat_post_record(
    channel_name: str, text: str, *, case: Case | None = None, now: dt.datetime
) -> ChatPost:
    """Record a post and queue its delivery, in the caller's transaction.

    An unknown or inactive channel gives a NO_CHANNEL post and nothing is queued.
    """
    channel = ChatChannel.objects.filter(name=channel_name, active=True).first()
    with transaction.atomic(savepoint=False):
        post = ChatPost.objects.create(
            channel=channel,
            channel_name=channel_name,
            case=case,
            text=text,
            state=ChatPostState.PENDING if channel is not None else ChatPostState.NO_CHANNEL,
            created_at=now,
        )
        if channel is not None:
            OutboxItem.objects.create(
                kind=EFFECT, payload={"chat_post_id": post.pk}, next_attempt_at=now, created_at=now
            )
    return post


def retry(payload: dict[str, Any]) -> None:
    """An operator retries the dead letter (opsdesk.runtime.deadletters): the post is
    pending again, so the handler sends it instead of skipping a FAILED row."""
    ChatPost.objects.filter(pk=payload["chat_post_id"], state=ChatPostState.FAILED).update(
        state=ChatPostState.PENDING, attempts=0, last_error=""
    )


def _outbox_gives_up(post: ChatPost, exc: AdapterError) -> bool:
    """Whether the outbox makes this failure a dead letter (see outbox._record_error)."""
    if not exc.retryable:
        return True
    attempts = (
        OutboxItem.objects.filter(
            kind=EFFECT, status=OutboxStatus.SENDING, payload__chat_post_id=post.pk
        )
        .values_list("attempts", flat=True)
        .first()
    )
    return attempts is not None and attempts + 1 >= settings.OPSDESK_MAX_SEND_ATTEMPTS


def deliver(payload: dict[str, Any]) -> None:
    """The outbox handler: one post through the channel's adapter, recorded on the row."""
    post = ChatPost.objects.select_related("channel").filter(pk=payload["chat_post_id"]).first()
    if post is None or post.state != ChatPostState.PENDING:
        return  # delivered by an earlier attempt
    try:
        if post.channel is None:
            raise PermanentError(f"chat channel {post.channel_name} was deleted")
        adapter_for(post.channel).post(post.channel, post.text)
    except AdapterError as exc:
        give_up = _outbox_gives_up(post, exc)
        ChatPost.objects.filter(pk=post.pk, state=ChatPostState.PENDING).update(
            state=ChatPostState.FAILED if give_up else ChatPostState.PENDING,
            attempts=F("attempts") + 1,
            last_error=f"{exc.code + ': ' if exc.code else ''}{exc}",
        )
        raise
    ChatPost.objects.filter(pk=post.pk, state=ChatPostState.PENDING).update(
        state=ChatPostState.DELIVERED, attempts=F("attempts") + 1, delivered_at=clock.now()
    )
