"""/api/v1/requests: a customer's request taken by staff (phone) or a web front end."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opsdesk.access.policy import restrict
from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.schemas import ERRORS
from opsdesk.intake.models import Request
from opsdesk.intake.services import request_receive

router = Router(tags=["requests"], auth=AUTH)


class RequestCustomerIn(Schema):
    given_name: str = Field(default="", max_length=100)
    family_name: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40, description="With country code, e.g. +90…")
    email: str = Field(default="", max_length=254)
    language: str = Field(default="", max_length=8, description="Default: the playbook's")
    whatsapp: bool = False


class RequestIn(Schema):
    playbook: str = Field(max_length=64, description="The key of a request.received playbook")
    channel: Literal["PHONE", "WEB"]
    customer_id: str | None = Field(default=None, description="An existing customer")
    customer: RequestCustomerIn | None = Field(
        default=None, description="Else the customer: matched by phone or email, else created"
    )
    fields: dict[str, Any] = Field(default_factory=dict, description="The intake form's fields")
    text: str = Field(default="", description="What the customer said, or the notes taken")


class RequestOut(Schema):
    case_id: str
    case_number: str
    request_id: str
    customer_id: str


@router.post("/requests", response={201: RequestOut, **ERRORS})
def create_request(request: HttpRequest, payload: RequestIn) -> Status[Any]:
    """Take a request: the whole intake sheet is checked (every problem at once, 422),
    then the case opens under the playbook and its receipt goes out."""
    restrict(request.user, "customer.create")
    customer_id = None
    if payload.customer_id:
        customer_id = lookups.customer(request, payload.customer_id, "customer.view").pk
    case = request_receive(
        playbook=payload.playbook,
        channel=payload.channel,
        customer=payload.customer.model_dump() if payload.customer else None,
        customer_id=customer_id,
        fields=payload.fields,
        text=payload.text,
        actor=lookups.actor(request),
    )
    req = Request.objects.get(case=case)
    return Status(
        201,
        {
            "case_id": case.pk,
            "case_number": case.number,
            "request_id": req.pk,
            "customer_id": case.customer_id,
        },
    )
