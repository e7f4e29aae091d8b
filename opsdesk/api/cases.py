"""/api/v1/cases, flags, orders: act on a running case."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.customers import customer_out
from opsdesk.api.schemas import (
    ERRORS,
    AssignIn,
    CustomerOut,
    FlagOut,
    MessageOut,
    ResolveIn,
    ReviewIn,
    SendIn,
    TaskIn,
    TaskOut,
    TransitionIn,
)
from opsdesk.cases.services import case_assign, case_transition, flag_resolve
from opsdesk.comms.services import message_send_template
from opsdesk.customers.services import order_review
from opsdesk.tasks.services import task_create

router = Router(tags=["cases"], auth=AUTH)


@router.post("/cases/{case_id}/transitions", response={200: CustomerOut, **ERRORS})
def transition(request: HttpRequest, case_id: str, payload: TransitionIn) -> Any:
    """Take a manual transition (`on: manual`) of the case's current state."""
    case = lookups.case(request, case_id, "case.act")
    case_transition(case.pk, payload.to, lookups.actor(request))
    return customer_out(case.customer)


@router.post("/cases/{case_id}/assign", response={200: CustomerOut, **ERRORS})
def assign(request: HttpRequest, case_id: str, payload: AssignIn) -> Any:
    """Assign or reassign the case's agent (writes AGENT_ASSIGNED)."""
    case = lookups.case(request, case_id, "case.assign")
    case_assign(case.pk, payload.agent_id, lookups.actor(request), payload.reason)
    return customer_out(case.customer)


@router.post("/cases/{case_id}/messages", response={201: MessageOut, **ERRORS})
def send(request: HttpRequest, case_id: str, payload: SendIn) -> Status[Any]:
    """Send one of the playbook's templates to the customer now."""
    case = lookups.case(request, case_id, "case.act")
    return Status(201, message_send_template(case.pk, payload.template, lookups.actor(request)))


@router.post("/cases/{case_id}/tasks", response={201: TaskOut, **ERRORS})
def add_task(request: HttpRequest, case_id: str, payload: TaskIn) -> Status[Any]:
    """Open a playbook task marked `manual` (by `key`) or an ad-hoc task (by `title`)."""
    case = lookups.case(request, case_id, "case.act")
    return Status(201, task_create(case_id=case.pk, actor=lookups.actor(request), **payload.dict()))


@router.post("/flags/{flag_id}/resolve", response={200: FlagOut, **ERRORS})
def resolve(request: HttpRequest, flag_id: str, payload: ResolveIn) -> Any:
    """Resolve a flag whose problem is fixed, or override it with a reason."""
    flag = lookups.flag(request, flag_id, "case.act")
    return flag_resolve(flag.pk, lookups.actor(request), reason=payload.reason)


@router.post("/orders/{order_id}/review", response={200: dict, **ERRORS})
def review(request: HttpRequest, order_id: str, payload: ReviewIn) -> Any:
    """Confirm the order's service type and intake notes."""
    order = lookups.order(request, order_id, "case.act")
    done = order_review(
        order.pk, lookups.actor(request), service_type=payload.service_type, notes=payload.notes
    )
    return {"id": done.id, "service_type": done.service_type, "reviewed_at": done.reviewed_at}
