"""The work queues: orders waiting for manual routing, cases in retention.

Each page is one list plus a form per row. A post calls one domain function;
on success it redirects back to the page, which says what happened (a
one-time message: the row may now be out of the user's view), on
failure the page comes back with the errors at the row's form (422/409/403).
htmx posts get the same answers and pick the list out of them (`hx-select`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opsdesk.access.policy import restrict, visible_tasks, visible_via
from opsdesk.cases.models import Case
from opsdesk.cases.services import case_transition
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.orders.models import ServiceOrder
from opsdesk.orders.services import order_route
from opsdesk.playbook.model import PRIORITY_ORDER
from opsdesk.tasks.services import task_complete
from opsdesk.web import selectors
from opsdesk.web.feedback import Feedback, attempt
from opsdesk.web.shortcuts import page, staff_view

Call = Callable[[Actor], Any]


def _attempt(request: HttpRequest, key: str, call: Call) -> Feedback | None:
    return attempt(request, key, call, section="queue")


# --- exceptions --------------------------------------------------------------------


def _exceptions_page(request: HttpRequest, fb: Feedback | None = None) -> HttpResponse:
    restrict(request.user, "case.act")
    now = clock.now()
    orders = selectors.paginate(
        selectors.exception_orders(request.user), selectors.page_number(request.GET.get("page"))
    )
    ineligible = selectors.paginate(
        selectors.ineligible_orders(request.user, now),
        selectors.page_number(request.GET.get("ipage")),
    )
    return page(
        request,
        "web/exceptions.html",
        {
            "nav": "exceptions",
            "orders": orders,
            "ineligible": ineligible,
            "ineligible_days": selectors.INELIGIBLE_DAYS,
            "zones": selectors.zone_labels(),
            "teams": selectors.routing_teams(),
            "priorities": [(p, p.capitalize()) for p in PRIORITY_ORDER],
            "fb": fb,
        },
        status=fb.status if fb else 200,
    )


@require_GET
@staff_view
def exceptions(request: HttpRequest) -> HttpResponse:
    return _exceptions_page(request)


@require_POST
@staff_view
def order_route_view(request: HttpRequest, order_id: str) -> HttpResponse:
    restrict(request.user, "case.act")
    order = (
        ServiceOrder.objects.filter(visible_via(request.user), pk=order_id)
        .select_related("customer", "channel")
        .first()
    )
    if order is None:
        raise Http404("no such order")
    restrict(request.user, "case.act", order)
    team_id, priority = request.POST.get("team", ""), request.POST.get("priority", "")
    routed: list[ServiceOrder] = []

    def call(actor: Actor) -> None:
        routed.append(order_route(order.pk, team_id=team_id, priority=priority, actor=actor))

    fb = _attempt(request, f"route:{order.pk}", call)
    if fb is not None:
        return _exceptions_page(request, fb)
    done = routed[0]
    # Said once, on the next page: the routed order may now be out of the agent's view.
    messages.success(
        request,
        _("Order %(ref)s (%(channel)s) routed to %(team)s: case %(case)s opened.")
        % {
            "ref": done.external_ref,
            "channel": order.channel.name,
            "team": done.team.name,
            "case": done.case.number,
        },
    )
    return redirect("web:exceptions")


# --- retention ---------------------------------------------------------------------


def _retention_page(request: HttpRequest, fb: Feedback | None = None) -> HttpResponse:
    restrict(request.user, "case.act")
    cases = selectors.paginate(
        selectors.retention_cases(request.user), selectors.page_number(request.GET.get("page"))
    )
    return page(
        request,
        "web/retention.html",
        {
            "nav": "retention",
            "cases": cases,
            "items": selectors.retention_items(cases.items),
            "fb": fb,
        },
        status=fb.status if fb else 200,
    )


@require_GET
@staff_view
def retention(request: HttpRequest) -> HttpResponse:
    return _retention_page(request)


@require_POST
@staff_view
def retention_task_complete(request: HttpRequest, task_id: str) -> HttpResponse:
    restrict(request.user, "case.act")
    task = visible_tasks(request.user).select_related("customer").filter(pk=task_id).first()
    if task is None or task.case_id is None:
        raise Http404("no such task")
    restrict(request.user, "case.act", task)
    values = selectors.task_values(request.POST)
    fb = _attempt(
        request,
        f"task:{task.pk}",
        lambda actor: task_complete(task.pk, actor, values=values or None),
    )
    if fb is not None:
        return _retention_page(request, fb)
    number = Case.objects.values_list("number", flat=True).get(pk=task.case_id)
    messages.success(request, _("Retention call of case %(number)s recorded.") % {"number": number})
    return redirect("web:retention")


@require_POST
@staff_view
def retention_transition(request: HttpRequest, case_id: str) -> HttpResponse:
    restrict(request.user, "case.act")
    case = (
        Case.objects.filter(visible_via(request.user), pk=case_id)
        .select_related("customer")
        .first()
    )
    if case is None:
        raise Http404("no such case")
    restrict(request.user, "case.act", case)
    to = request.POST.get("to", "")
    before = Case(pk=case.pk, state=case.state, status=case.status)
    fb = _attempt(
        request, f"transition:{case.pk}", lambda actor: case_transition(case.pk, to, actor)
    )
    if fb is not None:
        return _retention_page(request, fb)
    case.refresh_from_db(fields=["state"])
    pb = selectors.playbooks_by_version([case.playbook_id]).get(case.playbook_id)
    label = dict(selectors.manual_transitions(pb, before)).get(to, to)
    now = selectors.state_label(pb, case.state)
    messages.success(
        request,
        _("Case %(number)s: %(label)s. Now: %(state)s.")
        % {"number": case.number, "label": label, "state": now},
    )
    return redirect("web:retention")
