"""The technician's phone view: today's stops in route order, and the four steps
of a job (start travel, arrived, complete, cannot complete).

Only the work order's own technician (or a manager) may act on it
(`field.work`); anyone else gets a 403 and nothing changes. As elsewhere, a
post calls one domain function and redirects back with a one-time message, or
renders the day again with the errors at the stop's form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opsdesk.access.policy import agent_of, restrict
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.field import board
from opsdesk.field.jobs import arrive, not_complete, travel_start
from opsdesk.field.jobs import complete as job_complete
from opsdesk.field.models import StockLevel, Technician, WorkOrder
from opsdesk.web import formats
from opsdesk.web.feedback import Feedback, attempt
from opsdesk.web.shortcuts import page, parse_local_datetime, staff_view

ACTION = "field.work"
Call = Callable[[Actor], Any]


def _technician(request: HttpRequest) -> Technician:
    agent = agent_of(request.user)
    tech = board.technician_of(agent.pk if agent else None)
    if tech is None:
        raise Http404("you are not a technician")
    return tech


def _work_order(request: HttpRequest, work_order_id: str) -> WorkOrder:
    wo = WorkOrder.objects.select_related("technician").filter(pk=work_order_id).first()
    if wo is None:
        raise Http404("no such work order")
    restrict(request.user, ACTION, wo)
    return wo


def _parts_offered(tech: Technician, stops: list[board.Stop]) -> dict[str, dict[str, int]]:
    """Per work order id, {sku: suggested quantity}: every part in the van (0) and the
    job's required parts (their quantity), so a used part has an input to count it."""
    van = dict(
        StockLevel.objects.filter(location__technician=tech, quantity__gt=0)
        .order_by("part__sku")
        .values_list("part__sku", "quantity")
    )
    offered: dict[str, dict[str, int]] = {}
    for stop in stops:
        wanted = {sku: int(q) for sku, q in (stop.work_order.required_parts or {}).items()}
        offered[stop.work_order.pk] = {sku: wanted.get(sku, 0) for sku in sorted({*van, *wanted})}
    return offered


def _day_page(request: HttpRequest, fb: Feedback | None = None) -> HttpResponse:
    tech = _technician(request)
    today = clock.now().astimezone(request.tz).date()  # type: ignore[attr-defined]
    stops = board.technician_day(tech, today)
    offered = _parts_offered(tech, stops)
    items = [{"stop": s, "parts": offered[s.work_order.pk]} for s in stops]
    return page(
        request,
        "web/my_day.html",
        {
            "nav": "my_day",
            "technician": tech,
            "today": today,
            "items": items,
            "fb": fb,
        },
        status=fb.status if fb else 200,
    )


def _attempt(request: HttpRequest, key: str, call: Call) -> Feedback | None:
    return attempt(request, key, call, section="day")


@require_GET
@staff_view
def my_day(request: HttpRequest) -> HttpResponse:
    return _day_page(request)


def _act(request: HttpRequest, wo: WorkOrder, step: str, call: Call, done: str) -> HttpResponse:
    fb = _attempt(request, f"{step}:{wo.pk}", call)
    if fb is not None:
        return _day_page(request, fb)
    messages.success(request, done)
    return redirect("web:my_day")


@require_POST
@staff_view
def travel(request: HttpRequest, work_order_id: str) -> HttpResponse:
    wo = _work_order(request, work_order_id)
    started: list[WorkOrder] = []
    fb = _attempt(
        request, f"travel:{wo.pk}", lambda a: started.append(travel_start(wo.pk, actor=a))
    )
    if fb is not None:
        return _day_page(request, fb)
    eta = started[0].eta
    where = wo.address or wo.pk
    if eta:
        done = _("On the way to %(where)s, ETA %(eta)s sent to the customer.") % {
            "where": where,
            "eta": f"{formats.local(eta):%H:%M}",
        }
    else:
        done = _("On the way to %(where)s.") % {"where": where}
    messages.success(request, done)
    return redirect("web:my_day")


@require_POST
@staff_view
def arrived(request: HttpRequest, work_order_id: str) -> HttpResponse:
    wo = _work_order(request, work_order_id)
    return _act(
        request,
        wo,
        "arrived",
        lambda a: arrive(wo.pk, actor=a),
        _("Arrived at %(where)s.") % {"where": wo.address or wo.pk},
    )


def _parts_used(post: Any) -> dict[str, str]:
    """`part:<sku>` inputs as {sku: quantity as typed}; an empty input means none."""
    return {
        name.removeprefix("part:"): value.strip() or "0"
        for name, value in post.items()
        if name.startswith("part:")
    }


@require_POST
@staff_view
def complete(request: HttpRequest, work_order_id: str) -> HttpResponse:
    wo = _work_order(request, work_order_id)

    def call(actor: Actor) -> None:
        job_complete(
            wo.pk,
            actor=actor,
            parts_used=_parts_used(request.POST),
            notes=request.POST.get("notes", "").strip(),
            photos=request.FILES.getlist("photos"),
            cash_collected=request.POST.get("cash_collected", "").strip() or None,
        )

    done = _("Done: %(where)s.") % {"where": wo.address or wo.pk}
    return _act(request, wo, "complete", call, done)


@require_POST
@staff_view
def cannot_complete(request: HttpRequest, work_order_id: str) -> HttpResponse:
    wo = _work_order(request, work_order_id)
    tz = request.tz  # type: ignore[attr-defined]

    def call(actor: Actor) -> None:
        proposed = parse_local_datetime(request.POST.get("proposed_at", ""), tz, "proposed_at")
        reason = request.POST.get("reason", "").strip()
        not_complete(wo.pk, actor=actor, reason=reason, proposed_at=proposed)

    done = _("Recorded: %(where)s could not be completed.") % {"where": wo.address or wo.pk}
    return _act(request, wo, "cannot", call, done)
