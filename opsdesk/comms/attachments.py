"""An email with one stored file attached, queued for the worker (invoices, document packs)."""

from __future__ import annotations

import datetime as dt

from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Channel, DeliveryStatus, Direction, Message
from opsdesk.customers.models import Customer
from opsdesk.runtime.models import OutboxItem


def email_with_attachment_queue(
    *,
    message_id: str,
    customer: Customer,
    case: Case | None,
    to_address: str,
    subject: str,
    body: str,
    attachment: dict[str, str],
    actor: Actor,
    now: dt.datetime,
) -> Message:
    """In the caller's transaction: the message, its outbox item and its MESSAGE_QUEUED
    row. `attachment` is {name, content_type, storage_path}, the file already stored
    (the send after commit reads it); `message_id` is the id it was stored under."""
    message = Message.objects.create(
        id=message_id,
        customer=customer,
        case=case,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        language=customer.language,
        to_address=to_address,
        subject=subject,
        body=body,
        attachments=[attachment],
        status=DeliveryStatus.QUEUED,
        actor=actor.label,
        created_at=now,
        updated_at=now,
    )
    OutboxItem.objects.create(
        kind="message.send", message=message, next_attempt_at=now, created_at=now
    )
    timeline_row(
        case,
        customer.pk,
        "MESSAGE_QUEUED",
        actor,
        now,
        message_id=message.pk,
        channel=Channel.EMAIL,
        template="",
    ).save()
    return message
