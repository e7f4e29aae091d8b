"""/api/v1/contacts: the contact desk. Find the ticket, open a contact about it,
choose the reason (the script), record the customer's answers, close it.

Staff with `case.act` on the ticket's customer; a contact is visible like its
customer (a safety contact only to the Safety desk and admins).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opsdesk.access.policy import restrict
from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.schemas import ERRORS, UtcDatetime
from opsdesk.contacts import selectors
from opsdesk.contacts.models import Contact
from opsdesk.contacts.services import (
    contact_answer,
    contact_close,
    contact_open,
    contact_reason,
    ticket_search,
)
from opsdesk.privacy.audit import record_view

router = Router(tags=["contacts"], auth=AUTH)
ACTION = "case.act"


class TicketOut(Schema):
    id: str
    number: str
    state: str
    status: str
    customer_id: str
    customer_name: str
    phone: str
    opened_at: dt.datetime


class ContactIn(Schema):
    ticket_id: str
    channel: str = Field(
        default="CALL", description="CALL, WHATSAPP or EMAIL (a message's own, with message_id)"
    )
    message_id: str | None = Field(
        default=None, description="The customer's inbound WhatsApp or email the contact answers"
    )


class ReasonIn(Schema):
    reason: str = Field(description="A script key of the contact desk's playbook")


class AnswerIn(Schema):
    step: str = Field(description="The question's step (the open one, or an earlier one)")
    answer: str = Field(description="One of the step's answer keys")


class CloseIn(Schema):
    remarks: str = ""
    preferred_at: UtcDatetime | None = Field(
        default=None, description="For a reschedule: the first free slot from then is booked"
    )


class StepOut(Schema):
    node: str
    kind: str
    say: str
    branch: str
    answer: str


class EndOut(Schema):
    tag: str
    resolution: str | None
    remarks: str
    action: str


class RunOut(Schema):
    script: str
    path: list[StepOut]
    waiting: str | None
    question: str
    answers: dict[str, str]
    end: EndOut | None


class ContactOut(Schema):
    id: str
    case_id: str
    case_number: str
    ticket_id: str
    ticket_number: str
    customer_id: str
    channel: str
    status: str
    reason: str
    answers: dict[str, str]
    tag: str
    resolution: str
    action: str
    remarks: str
    safety: bool
    preferred_at: dt.datetime | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    reasons: dict[str, str] = Field(description="The playbook's scripts: key -> label")
    facts: dict[str, Any] = Field(description="The playbook's computed values for this contact")
    run: RunOut | None = Field(description="Where the script stands (none before a reason)")


def _out(contact_id: str) -> dict[str, Any]:
    c = Contact.objects.select_related("case", "ticket").get(pk=contact_id)
    view = selectors.contact_view(c)
    return {
        **{name: getattr(c, name) for name in ("id", "case_id", "ticket_id", "customer_id")},
        "case_number": c.case.number,
        "ticket_number": c.ticket.number,
        **{
            name: getattr(c, name)
            for name in (
                "channel",
                "status",
                "reason",
                "answers",
                "tag",
                "resolution",
                "action",
                "remarks",
                "safety",
                "preferred_at",
                "opened_at",
                "closed_at",
            )
        },
        "reasons": view["reasons"],
        "facts": {
            k: v.isoformat() if isinstance(v, dt.date) else v for k, v in view["facts"].items()
        },
        "run": selectors.run_dict(view["run"]),
    }


def _contact(request: HttpRequest, contact_id: str) -> Contact:
    contact = selectors.contact_for(request.user, contact_id)
    restrict(request.user, ACTION, contact.customer)
    return contact


@router.get("/contacts/tickets", response={200: list[TicketOut], **ERRORS})
def search_tickets(request: HttpRequest, q: str = "") -> list[dict[str, Any]]:
    """Service orders by the customer's phone (with its country code), the case
    number or the customer's name; newest first, at most 20."""
    restrict(request.user, ACTION)
    return [
        {
            "id": t.pk,
            "number": t.number,
            "state": t.state,
            "status": t.status,
            "customer_id": t.customer_id,
            "customer_name": t.customer.full_name,
            "phone": t.customer.phone,
            "opened_at": t.opened_at,
        }
        for t in ticket_search(q, request.user)
    ]


@router.post("/contacts", response={201: ContactOut, **ERRORS})
def open_contact(request: HttpRequest, payload: ContactIn) -> Status[Any]:
    """Open a contact about a ticket (a case under the active contact-desk playbook)."""
    ticket = lookups.case(request, payload.ticket_id, ACTION)
    contact = contact_open(
        ticket.pk, payload.channel, lookups.actor(request), message_id=payload.message_id
    )
    return Status(201, _out(contact.pk))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def get_contact(request: HttpRequest, contact_id: str) -> dict[str, Any]:
    """The contact, its facts and where its script stands."""
    contact = _contact(request, contact_id)
    record_view(request, contact.customer_id, contact.ticket_id)
    return _out(contact.pk)


@router.post("/contacts/{contact_id}/reason", response={200: ContactOut, **ERRORS})
def set_reason(request: HttpRequest, contact_id: str, payload: ReasonIn) -> dict[str, Any]:
    """Choose the script; its answers start afresh."""
    contact = _contact(request, contact_id)
    contact_reason(contact.pk, payload.reason, lookups.actor(request))
    return _out(contact.pk)


@router.post("/contacts/{contact_id}/answer", response={200: ContactOut, **ERRORS})
def answer(request: HttpRequest, contact_id: str, payload: AnswerIn) -> dict[str, Any]:
    """Record the customer's answer to a question on the script's path."""
    contact = _contact(request, contact_id)
    contact_answer(contact.pk, payload.step, payload.answer, lookups.actor(request))
    return _out(contact.pk)


@router.post("/contacts/{contact_id}/close", response={200: ContactOut, **ERRORS})
def close(request: HttpRequest, contact_id: str, payload: CloseIn) -> dict[str, Any]:
    """Close with the script's end: tag, resolution, the action on the ticket."""
    contact = _contact(request, contact_id)
    contact_close(
        contact.pk,
        remarks=payload.remarks,
        preferred_at=payload.preferred_at,
        actor=lookups.actor(request),
    )
    return _out(contact.pk)
