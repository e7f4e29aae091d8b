"""/api/v1/customers: the app-web onboarding trigger and the customer record."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from opsdesk.access.policy import agent_of, restrict
from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.schemas import (
    ERRORS,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    DocumentIn,
    LogIn,
    MessageOut,
    TimelineOut,
)
from opsdesk.cases.models import Case
from opsdesk.common.errors import NotAllowed
from opsdesk.comms.calls import call_connect
from opsdesk.comms.services import message_log
from opsdesk.customers.models import Customer
from opsdesk.customers.services import (
    CustomerInput,
    customer_create,
    customer_update,
    document_receive,
)
from opsdesk.privacy.audit import record_view

router = Router(tags=["customers"], auth=AUTH)


def customer_out(c: Customer) -> dict[str, Any]:
    cases = c.cases.select_related("playbook", "agent").prefetch_related("flags")
    return {
        **{f: getattr(c, f) for f in CustomerOut.model_fields if f != "cases"},
        "cases": [
            {
                "id": k.id,
                "number": k.number,
                "playbook": f"{k.playbook.key} v{k.playbook.version}",
                "state": k.state,
                "status": k.status,
                "agent_id": k.agent_id,
                "agent_name": k.agent.name if k.agent else None,
                "fields": k.fields,
                "opened_at": k.opened_at,
                "flags": list(k.flags.all()),
            }
            for k in cases.order_by("opened_at")
        ],
    }


@router.post("/customers", response={201: CustomerOut, **ERRORS})
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status[Any]:
    """Create a customer; every playbook triggered by `customer.created` opens a case."""
    restrict(request.user, "customer.create")
    data = payload.model_dump()
    data["order"] = payload.order.model_dump() if payload.order else None
    customer = customer_create(CustomerInput(**data), lookups.actor(request))
    return Status(201, customer_out(customer))


@router.get("/customers/{customer_id}", response={200: CustomerOut, **ERRORS})
def get_customer(request: HttpRequest, customer_id: str) -> dict[str, Any]:
    c = lookups.customer(request, customer_id, "customer.view")
    record_view(request, c.pk)
    return customer_out(c)


@router.patch("/customers/{customer_id}", response={200: CustomerOut, **ERRORS})
def patch_customer(request: HttpRequest, customer_id: str, payload: CustomerPatch) -> Any:
    c = lookups.customer(request, customer_id, "customer.edit")
    changes = payload.model_dump(exclude_unset=True)
    return customer_out(customer_update(c.pk, changes, lookups.actor(request)))


@router.get("/customers/{customer_id}/timeline", response={200: list[TimelineOut], **ERRORS})
def timeline(
    request: HttpRequest, customer_id: str, limit: int = 100, offset: int = 0
) -> list[Any]:
    c = lookups.customer(request, customer_id, "customer.view")
    record_view(request, c.pk)
    return lookups.page(c.timeline.order_by("-id"), limit, offset)


@router.get("/customers/{customer_id}/messages", response={200: list[MessageOut], **ERRORS})
def messages(
    request: HttpRequest, customer_id: str, limit: int = 100, offset: int = 0
) -> list[Any]:
    c = lookups.customer(request, customer_id, "customer.view")
    record_view(request, c.pk)
    return lookups.page(c.messages.order_by("-created_at"), limit, offset)


@router.post("/customers/{customer_id}/messages/log", response={201: MessageOut, **ERRORS})
def log_message(request: HttpRequest, customer_id: str, payload: LogIn) -> Status[Any]:
    """Record a message or call that happened outside opsdesk."""
    c = lookups.customer(request, customer_id, "case.act")
    if payload.case_id and not Case.objects.filter(pk=payload.case_id, customer=c).exists():
        return Status(404, {"detail": "not found"})
    return Status(
        201, message_log(customer_id=c.pk, actor=lookups.actor(request), **payload.dict())
    )


class CallIn(Schema):
    case_id: str | None = None


@router.post("/customers/{customer_id}/call", response={201: MessageOut, **ERRORS})
def call(request: HttpRequest, customer_id: str, payload: CallIn) -> Status[Any]:
    """Click-to-call: ring the caller's own phone (their staff profile), then the
    customer's mobile. 422 when either number is missing."""
    c = lookups.customer(request, customer_id, "case.act")
    agent = agent_of(request.user)
    if agent is None:
        raise NotAllowed("not allowed: only staff place calls")
    actor = lookups.actor(request)
    return Status(201, call_connect(c.pk, agent=agent, actor=actor, case_id=payload.case_id))


@router.post("/customers/{customer_id}/documents", response={201: dict, **ERRORS})
def add_document(request: HttpRequest, customer_id: str, payload: DocumentIn) -> Status[Any]:
    c = lookups.customer(request, customer_id, "case.act")
    doc = document_receive(c.pk, payload.doc_type, lookups.actor(request))
    return Status(201, {"id": doc.id, "doc_type": doc.doc_type})
