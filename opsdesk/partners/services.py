"""Domain functions for partner platforms and the statuses pushed to them.

A status push is written in the transaction that decides it (`status_push_record`),
with an outbox item ("partner.status_push") that the worker carries out after
commit through the partner's adapter (`deliver`), retried with the outbox's
backoff. The push row shows how it went: attempts, the last HTTP status and
error, DELIVERED with its time, or FAILED once the outbox gives up; a FAILED
push can be sent again with `status_push_retry`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from typing import Any

from django.db import transaction
from django.db.models import F

from opsdesk.access.tokens import token_create
from opsdesk.cases.models import Case
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.comms.adapters.base import AdapterError
from opsdesk.partners.adapters import EVENT, adapter_for, adapter_keys
from opsdesk.partners.models import PartnerPlatform, PushState, StatusPush
from opsdesk.runtime.models import OutboxItem
from opsdesk.staff.models import Role
from opsdesk.staff.services import agent_create

log = logging.getLogger(__name__)

EFFECT = "partner.status_push"


def partner_create(
    key: str, name: str, *, webhook_url: str = "", adapter: str = "webhook", actor: Actor
) -> tuple[PartnerPlatform, str]:
    """A partner platform, its integration user and a first API token (shown once)."""
    errors: dict[str, list[str]] = {}
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,49}", key):
        errors["key"] = ["2-50 lowercase letters, digits or dashes"]
    elif PartnerPlatform.objects.filter(key=key).exists():
        errors["key"] = ["already taken"]
    if not name.strip():
        errors["name"] = ["this field is required"]
    elif len(name.strip()) > 100:
        errors["name"] = ["at most 100 characters"]
    if webhook_url and not re.match(r"https?://[^/\s]+", webhook_url):
        errors["webhook_url"] = ["an absolute http(s) URL"]
    if adapter not in adapter_keys():
        errors["adapter"] = [f"one of {', '.join(adapter_keys())}"]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        agent = agent_create(
            username=f"partner-{key}", name=name.strip(), password=None, role=Role.INTEGRATION
        )
        partner = PartnerPlatform.objects.create(
            key=key,
            name=name.strip(),
            user=agent.user,
            adapter=adapter,
            webhook_url=webhook_url,
            webhook_secret=secrets.token_hex(32),
            created_at=clock.now(),
        )
        _, token = token_create(agent.user, f"partner platform {key}")
    log.info("partner platform %s created by %s", key, actor.label)
    return partner, token


def _sends(partner: PartnerPlatform) -> bool:
    """Whether pushes to the partner go anywhere: the webhook needs a URL, own APIs do not."""
    return partner.adapter != "webhook" or bool(partner.webhook_url)


def status_push_record(
    case: Case,
    partner: PartnerPlatform,
    *,
    reference: str,
    status: str,
    subject: str = "",
    data: dict[str, Any] | None = None,
    now: dt.datetime,
) -> StatusPush:
    """Record a status for the partner and queue its delivery, in the caller's transaction.

    Without a webhook URL the push is recorded as NO_WEBHOOK and nothing is sent.
    `active` does not stop pushes (it closes the partner's API access): a playbook's
    decision never fails because of the partner. Only bad input (a caller's bug) raises.
    """
    errors: dict[str, list[str]] = {}
    for field, value, limit in (("reference", reference, 100), ("status", status, 64)):
        if not value.strip():
            errors[field] = ["this field is required"]
        elif len(value) > limit:
            errors[field] = [f"at most {limit} characters"]
    if len(subject) > 100:
        errors["subject"] = ["at most 100 characters"]
    if errors:
        raise ValidationFailed(errors)
    sends = _sends(partner)
    push = StatusPush(
        partner=partner,
        case=case,
        reference=reference,
        subject=subject,
        status=status,
        state=PushState.PENDING if sends else PushState.NO_WEBHOOK,
        created_at=now,
    )
    push.payload = {
        "event": EVENT,
        "push_id": push.pk,
        "reference": reference,
        "subject": subject,
        "status": status,
        "data": data or {},
        "case_number": case.number,
        "at": now.isoformat(),
    }
    with transaction.atomic(savepoint=False):
        push.save(force_insert=True)
        if sends:
            _queue(push, now)
    return push


def _queue(push: StatusPush, now: dt.datetime) -> None:
    OutboxItem.objects.create(
        kind=EFFECT, payload={"push_id": push.pk}, next_attempt_at=now, created_at=now
    )


def status_push_retry(push_id: str, actor: Actor) -> StatusPush:
    """Send a FAILED push again: back to PENDING with a new outbox item (attempts go on)."""
    with transaction.atomic():
        push = StatusPush.objects.select_for_update().filter(pk=push_id).first()
        if push is None:
            raise ValidationFailed({"push": ["no such status push"]})
        if push.state != PushState.FAILED:
            raise Conflict(f"status push {push.pk} is {push.state}, not FAILED")
        now = clock.now()
        push.state = PushState.PENDING
        push.save(update_fields=["state"])
        _queue(push, now)
    log.info("status push %s sent again by %s", push.pk, actor.label)
    return push


def gave_up(payload: dict[str, Any], error: str) -> None:
    """The outbox made the push's delivery a dead letter: the push is FAILED."""
    StatusPush.objects.filter(pk=payload["push_id"], state=PushState.PENDING).update(
        state=PushState.FAILED
    )


def deliver(payload: dict[str, Any]) -> None:
    """The outbox handler: one push through the partner's adapter, recorded on the row."""
    push = (
        StatusPush.objects.select_related("partner", "case").filter(pk=payload["push_id"]).first()
    )
    if push is None or push.state != PushState.PENDING:
        return  # delivered by an earlier attempt, or the case is gone
    try:
        http_status = adapter_for(push.partner).push(push.partner, push)
    except AdapterError as exc:
        # Still PENDING: if the outbox gives up on it, `gave_up` marks it FAILED.
        StatusPush.objects.filter(pk=push.pk, state=PushState.PENDING).update(
            attempts=F("attempts") + 1,
            http_status=getattr(exc, "http_status", 0) or None,
            last_error=f"{exc.code + ': ' if exc.code else ''}{exc}",
        )
        raise
    StatusPush.objects.filter(pk=push.pk, state=PushState.PENDING).update(
        state=PushState.DELIVERED,
        attempts=F("attempts") + 1,
        http_status=http_status or None,
        delivered_at=clock.now(),
    )
