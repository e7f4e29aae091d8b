"""Customer requests: one request opens one case under a `request.received` playbook.

PHONE (staff fill the sheet) and WEB (the public form) validate the whole intake
sheet and refuse every problem at once. WHATSAPP and EMAIL come from a message:
what could be read is kept, the rest is for a person to complete (the playbook
decides who). The case sees how the request came in as `intake`, so its receipt
can go back the way the request came (`prefer: "intake.reply_channel"`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.cases.services import Known, case_open
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.comms.email_inbound import InboundEmail
from opsdesk.comms.models import Channel, DeliveryStatus, Direction, Message
from opsdesk.customers.models import Customer, Source
from opsdesk.customers.services import profile_values
from opsdesk.engine.decide import playbook_calendar
from opsdesk.intake.context import intake_dict
from opsdesk.intake.models import Request, RequestChannel
from opsdesk.intake.parsing import parse_sheet
from opsdesk.intake.selectors import (
    open_case_under,
    playbook_for_addresses,
    request_playbook,
    request_playbooks,
)
from opsdesk.playbook.expressions import ExpressionError, evaluate
from opsdesk.playbook.fields import coerce_fields
from opsdesk.playbook.model import Playbook

CUSTOMER_KEYS = ("given_name", "family_name", "phone", "email", "language", "whatsapp")
# Where a new customer came from. Source has no EMAIL: mail arrives through the
# relay's webhook, so it counts as API.
SOURCE = {
    RequestChannel.PHONE: Source.STAFF,
    RequestChannel.WEB: Source.APP_WEB,
    RequestChannel.WHATSAPP: Source.WHATSAPP,
    RequestChannel.EMAIL: Source.API,
}
FULL_SHEET = frozenset({RequestChannel.PHONE, RequestChannel.WEB})


def request_receive(
    *,
    playbook: str,
    channel: str,
    fields: Mapping[str, Any],
    text: str,
    actor: Actor,
    customer: Mapping[str, Any] | None = None,
    customer_id: str | None = None,
    message: Message | None = None,
) -> Case:
    """Record the request and open its case; ValidationFailed with every problem
    (`fields.<name>`, `customer.<name>`, `channel`, `playbook`) and nothing written."""
    try:
        version, pb = request_playbook(playbook)
    except LookupError:
        raise ValidationFailed(
            {"playbook": [f"no active playbook {playbook!r} takes requests"]}
        ) from None
    assert pb.intake is not None  # request_playbook only returns playbooks with one
    errors: dict[str, list[str]] = {}
    if channel not in pb.intake.channels:
        errors["channel"] = [f"this playbook takes requests by {', '.join(pb.intake.channels)}"]
    partial = channel not in FULL_SHEET
    now = clock.now()
    values, sheet_errors = _sheet(pb, fields, partial=partial, now=now)
    errors.update({f"fields.{k}": v for k, v in sheet_errors.items()})
    found, profile, customer_errors = _customer(pb, channel, customer, customer_id)
    errors.update(customer_errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        first: list[TimelineEvent] = []
        if found is None:
            found, created = _customer_create(profile, SOURCE[RequestChannel(channel)], actor, now)
            first.append(created)
        req = Request(
            customer=found,
            channel=channel,
            text=text,
            message=message,
            received_at=now,
            created_by=actor.label,
        )
        first.append(
            timeline_row(
                None, found.pk, "REQUEST_RECEIVED", actor, now, channel=channel, request_id=req.pk
            )
        )
        case = case_open(
            customer=found,
            version=version,
            fields=values,
            actor=actor,
            # The first decision (the receipt) sees how the request came in.
            known=Known(
                context={"intake": intake_dict(channel, text, req.pk)}, timeline=tuple(first)
            ),
            partial=partial,
        )
        req.case = case
        req.save(force_insert=True)
        if message is not None:
            Message.objects.filter(pk=message.pk).update(case=case)
    return case


def _sheet(
    pb: Playbook, raw: Mapping[str, Any], *, partial: bool, now: dt.datetime
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Typed values of the intake form and the errors per field (types, required,
    `intake.checks`). From a message (`partial`) a value that fails a check is left
    out instead: the person completing the sheet sees it in the request's text."""
    assert pb.intake is not None
    form = set(pb.intake.form)
    errors: dict[str, list[str]] = {
        name: ["not on this playbook's intake form"]
        for name in raw
        if name in pb.fields and name not in form
    }
    values, coerce_errors = coerce_fields(pb, raw, partial=partial)
    errors.update(coerce_errors)
    names = {
        "fields": {name: values.get(name) for name in pb.fields},
        "today": playbook_calendar(pb).local_date(now),
        "catalogs": pb.catalogs,
    }
    for check in pb.intake.checks:
        if check.field in errors:
            continue  # its value is already refused
        try:
            holds = bool(evaluate(check.when, names))
        except ExpressionError:
            holds = False  # a rule that cannot be read is not passed
        if holds:
            continue
        if partial:
            values.pop(check.field, None)
        else:
            errors.setdefault(check.field, []).append(check.message)
    return values, errors


def _customer(
    pb: Playbook, channel: str, data: Mapping[str, Any] | None, customer_id: str | None
) -> tuple[Customer | None, dict[str, Any], dict[str, list[str]]]:
    """An existing customer (by id, else by phone, else by email; never changed), or
    the profile of a new one, and the errors (`customer_id`, `customer.<name>`)."""
    if customer_id:
        found = Customer.objects.filter(pk=customer_id).first()
        return found, {}, {} if found else {"customer_id": ["no such customer"]}
    if not data:
        return None, {}, {"customer": ["give customer_id or the customer's details"]}
    errors = {
        f"customer.{k}": [f"unknown; one of {', '.join(CUSTOMER_KEYS)}"]
        for k in data
        if k not in CUSTOMER_KEYS
    }
    given = {k: data[k] for k in CUSTOMER_KEYS if k in data}
    if not given.get("language"):
        given["language"] = pb.default_language
    profile, profile_errors = profile_values(given)
    errors.update({f"customer.{k}": v for k, v in profile_errors.items()})
    found = None
    if profile.get("phone"):
        found = Customer.objects.filter(phone=profile["phone"]).order_by("-created_at").first()
    if found is None and profile.get("email"):
        found = (
            Customer.objects.filter(email__iexact=profile["email"]).order_by("-created_at").first()
        )
    if found is None and channel in FULL_SHEET:
        for name in ("given_name", "family_name"):
            if not profile.get(name):
                errors.setdefault(f"customer.{name}", []).append("this field is required")
        if not profile.get("phone") and not profile.get("email"):
            errors.setdefault("customer.phone", []).append("a phone number or an email is needed")
    return found, profile, errors


def _customer_create(
    profile: dict[str, Any], source: str, actor: Actor, now: dt.datetime
) -> tuple[Customer, TimelineEvent]:
    """A new customer and its CUSTOMER_CREATED row (written with the case's first rows)."""
    customer = Customer.objects.create(
        **profile, source=source, created_at=now, updated_at=now, created_by=actor.user
    )
    return customer, timeline_row(None, customer.pk, "CUSTOMER_CREATED", actor, now, source=source)


def _inbound(
    customer: Customer,
    channel: str,
    body: str,
    provider_message_id: str,
    at: dt.datetime,
    actor: Actor,
    subject: str = "",
) -> Message:
    return Message.objects.create(
        customer=customer,
        channel=channel,
        direction=Direction.INBOUND,
        subject=subject[:300],
        body=body,
        status=DeliveryStatus.RECEIVED,
        provider_message_id=provider_message_id,
        actor=actor.label,
        created_at=at,
        updated_at=clock.now(),
    )


def _message_received(case: Case, message: Message, actor: Actor) -> None:
    timeline_row(
        case,
        case.customer_id,
        "MESSAGE_RECEIVED",
        actor,
        clock.now(),
        message_id=message.pk,
        channel=message.channel,
    ).save()


def request_from_whatsapp(
    *,
    customer: Customer | None,
    from_phone: str,
    body: str,
    provider_message_id: str,
    at: dt.datetime,
    actor: Actor,
) -> Message | None:
    """A WhatsApp message from someone without an open case (`customer` None: nobody
    has the number) opens a request under the first active playbook taking WhatsApp.
    None when no playbook does (the caller goes on as before). Called by
    `comms.services.message_receive` inside its transaction."""
    takers = request_playbooks(RequestChannel.WHATSAPP)
    if not takers:
        return None
    _, pb = takers[0]
    now = clock.now()
    with transaction.atomic():
        if customer is None:
            # The webhook parser gives no profile name, so the number names them
            # until someone completes the profile.
            profile, _ = profile_values(
                {
                    "given_name": "WhatsApp",
                    "family_name": from_phone,
                    "phone": from_phone,
                    "whatsapp": True,
                    "language": pb.default_language,
                }
            )
            customer, created = _customer_create(profile, Source.WHATSAPP, actor, now)
            created.save()
        # Saved before the case opens: it opens the 24-hour window the receipt goes in.
        message = _inbound(customer, Channel.WHATSAPP, body, provider_message_id, at, actor)
        case = request_receive(
            playbook=pb.key,
            channel=RequestChannel.WHATSAPP,
            customer_id=customer.pk,
            fields={},
            text=body,
            actor=actor,
            message=message,
        )
        _message_received(case, message, actor)
    message.case = case
    return message


def request_from_email(email: InboundEmail, provider_message_id: str, actor: Actor) -> Case | None:
    """Mail to a playbook's `intake.email` opens a request, its "Label: value" lines
    read into the sheet. None (an ordinary message) when no playbook has that
    address, or the sender already has an open case under it."""
    found = playbook_for_addresses(email.to_addresses)
    if found is None:
        return None
    _, pb = found
    customer = (
        Customer.objects.filter(email__iexact=email.from_address).order_by("-created_at").first()
    )
    if customer is not None and open_case_under(customer.pk, pb.key) is not None:
        return None
    if Message.objects.filter(provider_message_id=provider_message_id).exists():
        return None  # the relay's retry of a request already taken
    now = clock.now()
    try:
        return _request_from_email(email, provider_message_id, pb, customer, actor, now)
    except IntegrityError:
        # Two copies of the mail at once (PostgreSQL): the other one took it; the
        # unique inbound message id refused this one, which is then a repeat.
        if Message.objects.filter(provider_message_id=provider_message_id).exists():
            return None
        raise


def _request_from_email(
    email: InboundEmail,
    provider_message_id: str,
    pb: Playbook,
    customer: Customer | None,
    actor: Actor,
    now: dt.datetime,
) -> Case:
    with transaction.atomic():
        if customer is None:
            names = email.from_name.split()
            profile, _ = profile_values(
                {
                    "given_name": names[0] if names else "Email",
                    "family_name": " ".join(names[1:]) or email.from_address,
                    "email": email.from_address,
                    "language": pb.default_language,
                }
            )
            customer, created = _customer_create(profile, SOURCE[RequestChannel.EMAIL], actor, now)
            created.save()
        message = _inbound(
            customer,
            Channel.EMAIL,
            email.text,
            provider_message_id,
            email.date or now,
            actor,
            subject=email.subject,
        )
        case = request_receive(
            playbook=pb.key,
            channel=RequestChannel.EMAIL,
            customer_id=customer.pk,
            fields=parse_sheet(pb, email.text),
            text=email.text,
            actor=actor,
            message=message,
        )
        _message_received(case, message, actor)
    return case
