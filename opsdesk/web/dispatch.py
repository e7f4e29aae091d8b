"""The dispatch board: a day's technician routes on timelines and a map, the
unplanned work orders with their reasons, and the dispatcher's three actions
(plan the day, move a work order, record a technician out).

Like the queues, a post calls one domain function, redirects back to the day
with a one-time message on success, and on failure renders the board again
with the refusal at the form it came from (422/409/403). The drag and drop in
dispatch.js only fills in and submits a block's own move form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from opsdesk.access.policy import restrict
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.field import board as field_board
from opsdesk.field.dispatch import replan_now, route_move
from opsdesk.field.dispatch import technician_out as record_out
from opsdesk.field.models import Technician, WorkOrder
from opsdesk.web.feedback import Feedback, attempt
from opsdesk.web.shortcuts import page, staff_view

ACTION = "dispatch.manage"
Call = Callable[[Actor], Any]


def _today(request: HttpRequest) -> dt.date:
    return clock.now().astimezone(request.tz).date()  # type: ignore[attr-defined]


def _date(request: HttpRequest, value: str | None) -> tuple[dt.date, Feedback | None]:
    """The day asked for (YYYY-MM-DD), else today in the user's zone."""
    if not value:
        return _today(request), None
    try:
        return dt.date.fromisoformat(value), None
    except ValueError:
        message = gettext("No such day: %(value)s. Showing today.") % {"value": repr(value)}
        fb = Feedback("date", 422, message=message)
        return _today(request), fb


def _violations(exc: Conflict) -> list[str]:
    """A refused plan's reasons, one per broken constraint (PlanRejected), else none;
    with names and addresses where the checker says ids."""
    found = getattr(exc, "violations", None) or []
    if not found:
        return []
    names = dict(Technician.objects.values_list("pk", "agent__name"))
    ids = {v.subject for v in found} - names.keys()
    places = dict(WorkOrder.objects.filter(pk__in=ids).values_list("pk", "address"))
    lines = []
    for v in found:
        message = v.message
        for tid, name in names.items():
            message = message.replace(tid, name)
        where = places.get(v.subject) or names.get(v.subject) or v.subject
        lines.append(f"{where}: {message}")
    return lines


def _attempt(request: HttpRequest, key: str, call: Call) -> Feedback | None:
    return attempt(request, key, call, section="board", conflict_reasons=_violations)


def _board_page(request: HttpRequest, date: dt.date, fb: Feedback | None = None) -> HttpResponse:
    if fb is not None and fb.key.startswith("move:"):
        # A refused move is said once, above the board: a drag's form may be off-screen.
        fb.shown = True
    board = field_board.dispatch_day(date)
    return page(
        request,
        "web/dispatch.html",
        {
            "nav": "dispatch",
            "board": board,
            "date": date,
            "prev_date": date - dt.timedelta(days=1),
            "next_date": date + dt.timedelta(days=1),
            "today": _today(request),
            "fb": fb,
        },
        status=fb.status if fb else 200,
    )


def _back(date: dt.date) -> HttpResponse:
    return redirect(reverse("web:dispatch") + f"?date={date.isoformat()}")


@require_GET
@staff_view
def dispatch_board(request: HttpRequest) -> HttpResponse:
    restrict(request.user, ACTION)
    date, fb = _date(request, request.GET.get("date"))
    return _board_page(request, date, fb)


@require_POST
@staff_view
def plan_day(request: HttpRequest) -> HttpResponse:
    restrict(request.user, ACTION)
    date, fb = _date(request, request.POST.get("date"))
    if fb is not None:
        return _board_page(request, date, fb)
    results: list[Any] = []
    fb = _attempt(request, "plan", lambda actor: results.append(replan_now(date, actor=actor)))
    if fb is not None:
        return _board_page(request, date, fb)
    result = results[0]
    if result.nothing_to_plan:
        day = date_format(date, "D j M Y")
        messages.success(request, gettext("Nothing to plan on %(day)s.") % {"day": day})
    else:
        messages.success(
            request,
            gettext("Day planned: %(planned)s work orders on routes, %(unplanned)s left unplanned.")
            % {"planned": result.planned, "unplanned": result.unplanned},
        )
    return _back(date)


def _position(value: str) -> int:
    try:
        position = int(value)
    except ValueError:
        raise ValidationFailed({"position": [gettext("a whole number from 1")]}) from None
    if position < 1:
        raise ValidationFailed({"position": [gettext("a whole number from 1")]})
    return position


@require_POST
@staff_view
def move(request: HttpRequest, work_order_id: str) -> HttpResponse:
    restrict(request.user, ACTION)
    wo = WorkOrder.objects.filter(pk=work_order_id).first()
    if wo is None:
        raise Http404("no such work order")
    date, _ = _date(request, request.POST.get("date"))
    tech_id = request.POST.get("technician", "").strip() or None
    raw = request.POST.get("position", "").strip() or "1"
    moved: list[WorkOrder] = []

    def call(actor: Actor) -> None:
        moved.append(route_move(wo.pk, tech_id, _position(raw), actor=actor))

    fb = _attempt(request, f"move:{wo.pk}", call)
    if fb is not None:
        return _board_page(request, date, fb)
    done = moved[0]
    where = wo.address or wo.pk
    if done.technician_id is None:
        messages.success(request, gettext("%(where)s: taken off the plan.") % {"where": where})
    else:
        name = Technician.objects.values_list("agent__name", flat=True).get(pk=done.technician_id)
        messages.success(
            request,
            gettext("%(where)s: moved to %(name)s, stop %(stop)s.")
            % {"where": where, "name": name, "stop": done.route_position},
        )
    return _back(date)


@require_POST
@staff_view
def technician_out(request: HttpRequest, technician_id: str) -> HttpResponse:
    restrict(request.user, ACTION)
    tech = Technician.objects.select_related("agent").filter(pk=technician_id).first()
    if tech is None:
        raise Http404("no such technician")
    date, fb = _date(request, request.POST.get("date"))
    if fb is not None:
        return _board_page(request, date, fb)
    reason = request.POST.get("reason", "").strip()
    moved: list[int] = []

    def call(actor: Actor) -> None:
        moved.append(record_out(tech.pk, date, actor=actor, reason=reason))

    fb = _attempt(request, f"out:{tech.pk}", call)
    if fb is not None:
        return _board_page(request, date, fb)
    n = moved[0]
    text = ngettext(
        "%(name)s is out on %(day)s: %(n)s work order re-planned.",
        "%(name)s is out on %(day)s: %(n)s work orders re-planned.",
        n,
    )
    messages.success(
        request, text % {"name": tech.agent.name, "day": date_format(date, "D j M"), "n": n}
    )
    return _back(date)
