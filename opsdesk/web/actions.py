"""The workspace's form posts: one domain function each.

Every form works twice over: as a plain POST (redirect back to the workspace on
success, the whole page with the errors otherwise) and through htmx (the
form's section comes back, plus out-of-band copies of the other sections
when the change went through, since one action moves several of them: a
profile edit resolves flags, changes the state, queues messages...).

Domain errors map to statuses: ValidationFailed 422 (messages at the fields),
Refused 409 (every reason listed), Conflict 409, NotAllowed 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.access.policy import agent_of, restrict
from opsdesk.cases.models import Case, Flag
from opsdesk.cases.services import case_assign, case_transition, flag_resolve
from opsdesk.common.actors import Actor
from opsdesk.common.errors import NotAllowed, ValidationFailed
from opsdesk.comms.calls import call_connect
from opsdesk.comms.services import message_log, message_send_template
from opsdesk.customers.models import Customer, Order
from opsdesk.customers.services import customer_update, document_receive, order_review
from opsdesk.tasks.models import Task
from opsdesk.tasks.services import task_check_item, task_complete, task_create
from opsdesk.web.feedback import attempt
from opsdesk.web.selectors import task_values
from opsdesk.web.shortcuts import customer_or_404, is_htmx, page, parse_local_datetime, staff_view
from opsdesk.web.views import WORKSPACE_SECTIONS, workspace_context, workspace_url

Call = Callable[[Actor], Any]


def _act(
    request: HttpRequest,
    customer: Customer,
    *,
    section: str,
    key: str,
    action: str,
    call: Call,
    case_id: str | None = None,
    done: str = "",
) -> HttpResponse:
    """Authorize `action`, run `call`, and answer with the workspace: on success
    a redirect (with `done` as a one-time message, if given) or, for htmx, the
    changed sections; on failure the form's section with its errors."""

    def guarded(actor: Actor) -> Any:
        restrict(request.user, action, customer)
        return call(actor)

    fb = attempt(request, key, guarded, section=section)
    if fb is None and done:
        messages.success(request, done)
    # Keep the case the user was looking at, when the customer has several.
    shown_case = request.POST.get("case") or None
    if fb is None and not is_htmx(request):
        return redirect(workspace_url(customer.pk, shown_case, section))
    if fb is None:
        customer.refresh_from_db()  # the action may have changed the profile
    ctx = workspace_context(customer, shown_case or case_id, fb)
    status = fb.status if fb else 200
    if not is_htmx(request):
        return page(request, "web/workspace.html", ctx, status=status)
    # On failure nothing changed, so only the form's own section comes back.
    parts = [(section, False)]
    if fb is None:
        parts += [(s, True) for s in WORKSPACE_SECTIONS if s != section]
    return page(request, "web/workspace/_swap.html", {**ctx, "parts": parts}, status=status)


def _case(customer: Customer, case_id: str) -> Case:
    return get_object_or_404(Case, pk=case_id, customer=customer)


# --- profile and flags -------------------------------------------------------------

PROFILE_INPUTS = ("given_name", "middle_name", "family_name", "phone", "email", "nationality")


@require_POST
@staff_view
def profile_edit(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    changes: dict[str, Any] = {name: request.POST.get(name, "") for name in PROFILE_INPUTS}
    changes["whatsapp"] = bool(request.POST.get("whatsapp"))
    changes["language"] = request.POST.get("language", customer.language)
    return _act(
        request,
        customer,
        section="profile",
        key="profile",
        action="customer.edit",
        call=lambda actor: customer_update(customer.pk, changes, actor),
    )


@require_POST
@staff_view
def flag_resolve_view(request: HttpRequest, customer_id: str, flag_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    flag = get_object_or_404(Flag, pk=flag_id, case__customer=customer)
    return _act(
        request,
        customer,
        section="flags",
        key=f"flag:{flag.pk}",
        action="case.act",
        call=lambda actor: flag_resolve(flag.pk, actor),
        case_id=flag.case_id,
    )


@require_POST
@staff_view
def flag_override(request: HttpRequest, customer_id: str, flag_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    flag = get_object_or_404(Flag, pk=flag_id, case__customer=customer)
    reason = request.POST.get("reason", "")
    if not reason.strip():
        # An override without a reason would silently "resolve" a fixed field;
        # the form asks for one, so say so rather than guess.
        def call(actor: Actor) -> Any:
            raise ValidationFailed({"reason": [_("give a reason for the override")]})
    else:

        def call(actor: Actor) -> Any:
            return flag_resolve(flag.pk, actor, reason=reason)

    return _act(
        request,
        customer,
        section="flags",
        key=f"flag:{flag.pk}",
        action="case.act",
        call=call,
        case_id=flag.case_id,
    )


# --- the case ----------------------------------------------------------------------


@require_POST
@staff_view
def assign(request: HttpRequest, customer_id: str, case_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    case = _case(customer, case_id)
    agent_id, reason = request.POST.get("agent", ""), request.POST.get("reason", "")
    return _act(
        request,
        customer,
        section="case",
        key="assign",
        action="case.assign",
        call=lambda actor: case_assign(case.pk, agent_id, actor, reason.strip()),
        case_id=case.pk,
    )


@require_POST
@staff_view
def transition(request: HttpRequest, customer_id: str, case_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    case = _case(customer, case_id)
    to = request.POST.get("to", "")
    return _act(
        request,
        customer,
        section="case",
        key="transition",
        action="case.act",
        call=lambda actor: case_transition(case.pk, to, actor),
        case_id=case.pk,
    )


# --- order and documents -----------------------------------------------------------


@require_POST
@staff_view
def order_review_view(request: HttpRequest, customer_id: str, order_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    order = get_object_or_404(Order, pk=order_id, customer=customer)
    service_type, notes = request.POST.get("service_type", ""), request.POST.get("notes", "")
    return _act(
        request,
        customer,
        section="order",
        key=f"order:{order.pk}",
        action="case.act",
        call=lambda actor: order_review(order.pk, actor, service_type=service_type, notes=notes),
    )


@require_POST
@staff_view
def document_add(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    doc_type = request.POST.get("doc_type", "")
    return _act(
        request,
        customer,
        section="documents",
        key="documents",
        action="case.act",
        call=lambda actor: document_receive(customer.pk, doc_type, actor),
    )


# --- tasks -------------------------------------------------------------------------


@require_POST
@staff_view
def task_check(request: HttpRequest, customer_id: str, task_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    task = get_object_or_404(Task, pk=task_id, customer=customer)

    def call(actor: Actor) -> Any:
        try:
            index = int(request.POST.get("index", ""))
        except ValueError:
            raise ValidationFailed({"index": [_("not a checklist item")]}) from None
        return task_check_item(task.pk, index, bool(request.POST.get("done")), actor)

    return _act(
        request,
        customer,
        section="tasks",
        key=f"task:{task.pk}",
        action="case.act",
        call=call,
        case_id=task.case_id,
    )


@require_POST
@staff_view
def task_done(request: HttpRequest, customer_id: str, task_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    task = get_object_or_404(Task, pk=task_id, customer=customer)
    values = task_values(request.POST)  # the case fields the task asks for, if any
    return _act(
        request,
        customer,
        section="tasks",
        key=f"task:{task.pk}",
        action="case.act",
        call=lambda actor: task_complete(task.pk, actor, values=values or None),
        case_id=task.case_id,
    )


@require_POST
@staff_view
def task_new(request: HttpRequest, customer_id: str, case_id: str) -> HttpResponse:
    """A playbook task marked `manual` (posted `key`), or an ad-hoc task."""
    customer = customer_or_404(request, customer_id)
    case = _case(customer, case_id)
    key = request.POST.get("key", "")
    tz = request.tz  # type: ignore[attr-defined]

    def call(actor: Actor) -> Task:
        if key:
            return task_create(case_id=case.pk, key=key, actor=actor)
        return task_create(
            case_id=case.pk,
            actor=actor,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            priority=request.POST.get("priority", "MEDIUM"),
            due_at=parse_local_datetime(request.POST.get("due_at", ""), tz, "due_at"),
        )

    return _act(
        request,
        customer,
        section="tasks",
        key=f"tasks.playbook:{key}" if key else "tasks.new",
        action="case.act",
        call=call,
        case_id=case.pk,
    )


# --- communications ----------------------------------------------------------------


@require_POST
@staff_view
def message_send(request: HttpRequest, customer_id: str, case_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    case = _case(customer, case_id)
    template = request.POST.get("template", "")

    def call(actor: Actor) -> Any:
        if not template:
            raise ValidationFailed({"template": [_("choose a template")]})
        return message_send_template(case.pk, template, actor)

    return _act(
        request,
        customer,
        section="comms",
        key="comms.send",
        action="case.act",
        call=call,
        case_id=case.pk,
    )


@require_POST
@staff_view
def call_view(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Click-to-call: ring the agent's phone, then the customer's."""
    customer = customer_or_404(request, customer_id)
    case_id = request.POST.get("case_id") or None
    if case_id:
        _case(customer, case_id)
    agent = agent_of(request.user)

    def call(actor: Actor) -> Any:
        if agent is None:
            raise NotAllowed(_("only staff place calls"))
        return call_connect(customer.pk, agent=agent, actor=actor, case_id=case_id)

    return _act(
        request,
        customer,
        section=request.POST.get("section", "comms"),
        key="call",
        action="case.act",
        call=call,
        case_id=case_id,
    )


@require_POST
@staff_view
def message_log_view(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    case_id = request.POST.get("case_id") or None
    if case_id:
        _case(customer, case_id)
    return _act(
        request,
        customer,
        section="comms",
        key="comms.log",
        action="case.act",
        call=lambda actor: message_log(
            customer_id=customer.pk,
            channel=request.POST.get("channel", ""),
            direction=request.POST.get("direction", ""),
            body=request.POST.get("body", ""),
            template=request.POST.get("template", ""),
            case_id=case_id,
            actor=actor,
        ),
        case_id=case_id,
    )
