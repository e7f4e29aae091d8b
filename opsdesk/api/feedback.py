"""/api/v1: feedback staff record (given by phone), testimonials, the priority client list.

Staff see the customers of their team (as everywhere); changing the list takes
`customer.edit`, recording feedback `case.act`; testimonials are for managers
(`report.view`, like the reports).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opsdesk.access.policy import restrict
from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.schemas import ERRORS
from opsdesk.customers.models import Customer
from opsdesk.customers.priority import (
    priority_client_remove,
    priority_client_update,
    priority_clients,
)
from opsdesk.feedback import selectors
from opsdesk.feedback.models import Channel, Feedback, Testimonial
from opsdesk.feedback.services import feedback_submit

router = Router(tags=["feedback"], auth=AUTH)
TESTIMONIALS_ACTION = "report.view"


class FeedbackIn(Schema):
    rating: int = Field(description="1 (very poor) to 5 (excellent)")
    comment: str = Field(default="", description="At most 2000 characters")
    consent: bool = Field(default=False, description="The customer lets us quote it publicly")


class FeedbackOut(Schema):
    id: str
    case_id: str
    customer_id: str
    rating: int
    comment: str
    consent: bool
    channel: str
    actor: str
    created_at: dt.datetime
    testimonial_id: str | None = Field(description="Set when the playbook kept it")


class TestimonialOut(Schema):
    id: str
    customer_id: str
    customer_name: str
    case_number: str
    rating: int
    text: str
    created_at: dt.datetime
    published: bool
    published_at: dt.datetime | None


class PriorityIn(Schema):
    tier: str = Field(description="repeat or corporate")
    personal_agent_id: str | None = Field(default=None, description="An active agent, or none")


class PriorityClientOut(Schema):
    customer_id: str
    name: str
    tier: str
    personal_agent_id: str | None
    personal_agent_name: str | None
    priority_since: dt.datetime | None


class PriorityClientRowOut(PriorityClientOut):
    open_cases: int
    last_case_number: str | None
    last_case_at: dt.datetime | None


def _priority_out(c: Customer) -> dict[str, Any]:
    return {
        "customer_id": c.pk,
        "name": c.full_name,
        "tier": c.priority_tier,
        "personal_agent_id": c.personal_agent_id,
        "personal_agent_name": c.personal_agent.name if c.personal_agent else None,
        "priority_since": c.priority_since,
    }


def _feedback_out(f: Feedback) -> dict[str, Any]:
    testimonial = Testimonial.objects.filter(feedback=f).values_list("pk", flat=True).first()
    return {
        **{name: getattr(f, name) for name in FeedbackOut.model_fields if name != "testimonial_id"},
        "testimonial_id": testimonial,
    }


@router.post("/cases/{case_id}/feedback", response={201: FeedbackOut, **ERRORS})
def record_feedback(request: HttpRequest, case_id: str, payload: FeedbackIn) -> Status[Any]:
    """Feedback the customer gave staff (e.g. by phone): channel STAFF. Once per case
    (409 the second time); the case hears `feedback.received`."""
    case = lookups.case(request, case_id, "case.act")
    feedback = feedback_submit(
        case.pk,
        payload.rating,
        payload.comment,
        payload.consent,
        Channel.STAFF,
        lookups.actor(request),
    )
    return Status(201, _feedback_out(feedback))


@router.get("/testimonials", response={200: list[TestimonialOut], **ERRORS})
def list_testimonials(
    request: HttpRequest, published: bool | None = None, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """Kept testimonials, newest first (managers)."""
    restrict(request.user, TESTIMONIALS_ACTION)
    rows = lookups.page(selectors.testimonials(request.user, published), limit, offset)
    return [
        {
            "id": t.pk,
            "customer_id": t.customer_id,
            "customer_name": t.customer.full_name,
            "case_number": t.feedback.case.number,
            "rating": t.rating,
            "text": t.text,
            "created_at": t.created_at,
            "published": t.published,
            "published_at": t.published_at,
        }
        for t in rows
    ]


@router.get("/priority-clients", response={200: list[PriorityClientRowOut], **ERRORS})
def list_priority_clients(
    request: HttpRequest, tier: str = "", limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """The priority client list (staff), by name; `tier` filters."""
    restrict(request.user, "case.act")
    rows = lookups.page(priority_clients(request.user, tier), limit, offset)
    return [
        {
            **_priority_out(c),
            "open_cases": c.open_cases,
            "last_case_number": c.last_case_number,
            "last_case_at": c.last_case_at,
        }
        for c in rows
    ]


@router.put("/customers/{customer_id}/priority", response={200: PriorityClientOut, **ERRORS})
def put_priority(request: HttpRequest, customer_id: str, payload: PriorityIn) -> dict[str, Any]:
    """Put the customer on the list, or change their tier or personal concierge."""
    customer = lookups.customer(request, customer_id, "customer.edit")
    updated = priority_client_update(
        customer.pk,
        tier=payload.tier,
        personal_agent_id=payload.personal_agent_id,
        actor=lookups.actor(request),
    )
    return _priority_out(Customer.objects.select_related("personal_agent").get(pk=updated.pk))


@router.delete("/customers/{customer_id}/priority", response={200: PriorityClientOut, **ERRORS})
def delete_priority(request: HttpRequest, customer_id: str) -> dict[str, Any]:
    """Take the customer off the list (409 when they are not on it)."""
    customer = lookups.customer(request, customer_id, "customer.edit")
    return _priority_out(priority_client_remove(customer.pk, lookups.actor(request)))
