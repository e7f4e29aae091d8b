"""Click-to-call from the agent's screen: `call_connect` records the call and
queues the connection (outbox effect `call.connect`); the worker's `connect`
asks the click-to-call adapter (opsdesk.comms.click_to_call) to ring the agent
and then the customer, and records the provider's call id or the failure."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Refused, ValidationFailed
from opsdesk.comms.adapters.base import AdapterError, PermanentError
from opsdesk.comms.click_to_call import click_to_call_adapter
from opsdesk.comms.models import Channel, DeliveryStatus, Direction, Message
from opsdesk.customers.models import Customer
from opsdesk.customers.profile import normalize_phone
from opsdesk.runtime.models import OutboxItem
from opsdesk.staff.models import Agent

EFFECT = "call.connect"


def call_connect(
    customer_id: str, *, agent: Agent, actor: Actor, case_id: str | None = None
) -> Message:
    """Ring `agent`'s phone, then the customer's mobile. The call is an outbound
    VOICE message of the customer's (QUEUED until the provider takes it)."""
    customer = Customer.objects.get(pk=customer_id)
    errors: dict[str, list[str]] = {}
    agent_phone = normalize_phone(agent.phone) if agent.phone else None
    if agent_phone is None:
        errors["agent_phone"] = [
            f"{agent.name} has no phone number with a country code to ring first"
        ]
    if not customer.phone:
        errors["phone"] = [f"{customer.full_name} has no phone number we can call"]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    with transaction.atomic():
        case = Case.objects.filter(pk=case_id, customer=customer).first() if case_id else None
        message = Message.objects.create(
            customer=customer,
            case=case,
            channel=Channel.VOICE,
            direction=Direction.OUTBOUND,
            to_address=customer.phone,
            body=f"Click-to-call: {agent.name} calls {customer.full_name}",
            status=DeliveryStatus.QUEUED,
            actor=actor.label,
            created_at=now,
            updated_at=now,
        )
        OutboxItem.objects.create(
            kind=EFFECT,
            payload={"message_id": message.pk, "agent_phone": agent_phone},
            next_attempt_at=now,
            created_at=now,
        )
        timeline_row(
            case,
            customer.pk,
            "MESSAGE_QUEUED",
            actor,
            now,
            message_id=message.pk,
            channel=Channel.VOICE,
            template="",
        ).save()
    return message


def never_retried(payload: dict[str, Any]) -> None:
    """A dead click-to-call is not retried from the dead-letter page: the agent who
    clicked has moved on; they press Call again on the case."""
    raise Refused(
        [f"call {payload['message_id']}: a call is never placed late; press Call on the case"]
    )


def connect(payload: dict[str, Any]) -> None:
    """The worker's side. A call already connected is not placed again."""
    message = Message.objects.get(pk=payload["message_id"])
    if message.status != DeliveryStatus.QUEUED:
        return
    try:
        call_id = click_to_call_adapter().connect(
            agent_phone=payload["agent_phone"],
            customer_phone=message.to_address,
            reference=message.pk,
        )
    except AdapterError as exc:
        # Never retried: a call that rings the agent minutes after the click is worse
        # than none. The agent sees it failed and presses Call again.
        Message.objects.filter(pk=message.pk).update(
            status=DeliveryStatus.FAILED, error=str(exc), updated_at=clock.now()
        )
        raise PermanentError(f"click-to-call {message.pk} failed: {exc}") from exc
    now = clock.now()
    Message.objects.filter(pk=message.pk, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENT, provider_message_id=call_id, sent_at=now, updated_at=now
    )
