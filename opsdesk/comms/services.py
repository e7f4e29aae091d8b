"""Domain functions for communications: send a template, log, receive, delivery status."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case, CaseStatus
from opsdesk.cases.services import dispatch, dispatch_open_cases
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.comms.models import Channel, DeliveryStatus, Direction, Message
from opsdesk.comms.replies import reply_receive
from opsdesk.customers.models import Customer
from opsdesk.engine.types import Event

# A provider's status only moves forward; a late "sent" never undoes "read".
_STATUS_RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.UNKNOWN: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.READ: 4,
    DeliveryStatus.FAILED: 5,
}


def message_send_template(case_id: str, template: str, actor: Actor) -> Message:
    """Send one of the playbook's templates now (the communications tab)."""
    _, applied = dispatch(case_id, Event("send", {"template": template}), actor)
    return applied.messages[0]


def message_log(
    *,
    customer_id: str,
    channel: str,
    direction: str,
    body: str,
    actor: Actor,
    template: str = "",
    case_id: str | None = None,
) -> Message:
    """Record a message or call that happened outside opsdesk (SOP step 3's "log it")."""
    errors: dict[str, list[str]] = {}
    if channel not in Channel.values:
        errors["channel"] = [f"one of {', '.join(Channel.values)}"]
    if direction not in Direction.values:
        errors["direction"] = [f"one of {', '.join(Direction.values)}"]
    if not body.strip():
        errors["body"] = ["this field is required"]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        customer = Customer.objects.get(pk=customer_id)
        case = Case.objects.filter(pk=case_id, customer=customer).first() if case_id else None
        now = clock.now()
        message = Message.objects.create(
            customer=customer,
            case=case,
            channel=channel,
            direction=direction,
            template=template,
            body=body.strip(),
            status=DeliveryStatus.LOGGED,
            actor=actor.label,
            created_at=now,
            updated_at=now,
        )
        timeline_row(
            case,
            customer.pk,
            "MESSAGE_LOGGED",
            actor,
            now,
            message_id=message.pk,
            channel=channel,
            direction=direction,
            template=template,
        ).save()
        if case is not None and case.status == CaseStatus.OPEN:
            dispatch(case.pk, Event("message.logged", {"template": template}), actor)
    return message


def message_receive(
    *,
    channel: str,
    from_address: str,
    body: str,
    provider_message_id: str,
    at: dt.datetime,
    actor: Actor,
    payload: str = "",
) -> Message | None:
    """An inbound message from a provider webhook, recorded once per channel and
    provider id: None for a repeat (a provider's retry, or a second delivery at the
    same moment), as when no customer has that address (the webhook still answers 200).

    `payload`: the quick-reply button the customer tapped, if any. Open cases get
    `message.received`, then (WhatsApp, SMS, email) `customer.replied` with the
    answer read from the button or the text (opsdesk.comms.replies)."""
    if not provider_message_id:
        # An empty id would match every message without one and drop this as a repeat.
        raise ValidationFailed({"provider_message_id": ["this field is required"]})
    try:
        return _receive(channel, from_address, body, provider_message_id, at, actor, payload)
    except IntegrityError:
        # Two deliveries at once: the other one inserted this message first (the unique
        # constraint `message_inbound_provider_id` waited for it), and all of this one
        # was rolled back. Anything else is a real error.
        if _received(channel, provider_message_id).exists():
            return None
        raise


def _received(channel: str, provider_message_id: str) -> QuerySet[Message]:
    return Message.objects.filter(
        channel=channel, direction=Direction.INBOUND, provider_message_id=provider_message_id
    )


def _receive(
    channel: str,
    from_address: str,
    body: str,
    provider_message_id: str,
    at: dt.datetime,
    actor: Actor,
    payload: str,
) -> Message | None:
    with transaction.atomic():
        if _received(channel, provider_message_id).exists():
            return None
        lookup = (
            {"email__iexact": from_address} if channel == Channel.EMAIL else {"phone": from_address}
        )
        customer = Customer.objects.filter(**lookup).order_by("-created_at").first()
        case = (
            Case.objects.filter(customer=customer, status=CaseStatus.OPEN)
            .order_by("-opened_at")
            .first()
            if customer is not None
            else None
        )
        if case is None and channel == Channel.WHATSAPP:
            # Someone with no open case writes on WhatsApp: a request.received playbook
            # taking WhatsApp opens a request with this message (None: no playbook does).
            # Imported here: the intake app builds on comms.
            from opsdesk.intake.services import request_from_whatsapp

            started = request_from_whatsapp(
                customer=customer,
                from_phone=from_address,
                body=body,
                provider_message_id=provider_message_id,
                at=at,
                actor=actor,
            )
            if started is not None:
                return started
        if customer is None:
            return None
        now = clock.now()
        message = Message.objects.create(
            customer=customer,
            case=case,
            channel=channel,
            direction=Direction.INBOUND,
            body=body,
            status=DeliveryStatus.RECEIVED,
            provider_message_id=provider_message_id,
            actor=actor.label,
            created_at=at,
            updated_at=now,
        )
        timeline_row(
            case,
            customer.pk,
            "MESSAGE_RECEIVED",
            actor,
            now,
            message_id=message.pk,
            channel=channel,
        ).save()
        dispatch_open_cases(customer.pk, Event("message.received", {"channel": channel}), actor)
        reply_receive(message, payload=payload, actor=actor)
    return message


def message_status_update(
    *, message_id: str, provider_message_id: str, status: str, error: str, actor: Actor
) -> bool:
    """A provider's delivery report; True when it moved the message forward."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update().filter(pk=message_id).first()
            if message_id
            else None
        ) or Message.objects.select_for_update().filter(
            provider_message_id=provider_message_id
        ).first()
        if message is None or _STATUS_RANK.get(status, -1) <= _STATUS_RANK.get(message.status, -1):
            return False
        now = clock.now()
        message.status, message.updated_at = status, now
        if provider_message_id and not message.provider_message_id:
            message.provider_message_id = provider_message_id
        if error:
            message.error = error
        message.save(update_fields=["status", "updated_at", "provider_message_id", "error"])
        if status == DeliveryStatus.FAILED:
            timeline_row(
                message.case,
                message.customer_id,
                "MESSAGE_FAILED",
                actor,
                now,
                message_id=message.pk,
                error=error,
            ).save()
    return True
