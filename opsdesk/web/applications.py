"""The workspace's Application panel form posts: missing items and travellers.

POST only. Each one authorizes `case.act` on the customer and runs its domain
call through the workspace's `opsdesk.web.actions._act`: on success back to the workspace
with a one-time message, otherwise the workspace again with the errors at the
form (422 invalid, 409 refused or conflict, 403 not allowed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.applications.models import Application, MissingItem, Traveller
from opsdesk.applications.services import (
    missing_item_record,
    missing_item_resolve,
    traveller_book_appointment,
    traveller_update,
)
from opsdesk.common.actors import Actor
from opsdesk.customers.models import Customer
from opsdesk.web import actions
from opsdesk.web.shortcuts import customer_or_404, parse_local_datetime, staff_view

SECTION = "application"


def _act(
    request: HttpRequest,
    customer: Customer,
    *,
    key: str,
    call: Callable[[Actor], Any],
    done: str,
    case_id: str | None,
) -> HttpResponse:
    """The workspace's form post (opsdesk.web.actions._act) in this panel's section."""
    return actions._act(
        request,
        customer,
        section=SECTION,
        key=key,
        action="case.act",
        call=call,
        case_id=case_id,
        done=done,
    )


def _name(t: Traveller) -> str:
    return f"{t.given_name} {t.family_name}"


@require_POST
@staff_view
def missing_item_add(request: HttpRequest, customer_id: str, application_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    app = get_object_or_404(Application, pk=application_id, customer=customer)
    post = request.POST
    label = post.get("label", "").strip()
    return _act(
        request,
        customer,
        key=f"missing:{app.pk}",
        call=lambda actor: missing_item_record(
            app.pk,
            kind=post.get("kind", ""),
            key=post.get("key", "").strip(),
            label=label,
            traveller_id=post.get("traveller") or None,
            note=post.get("note", ""),
            actor=actor,
        ),
        done=_("Noted as missing: %(label)s.") % {"label": label},
        case_id=app.case_id,
    )


@require_POST
@staff_view
def missing_item_resolve_view(request: HttpRequest, customer_id: str, item_id: int) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    item = get_object_or_404(
        MissingItem.objects.select_related("application"),
        pk=item_id,
        application__customer=customer,
    )
    status = request.POST.get("status", "")
    return _act(
        request,
        customer,
        key=f"item:{item.pk}",
        call=lambda actor: missing_item_resolve(item.pk, status=status, actor=actor),
        done=f"{item.label}: {status.lower() or _('resolved')}.",
        case_id=item.application.case_id,
    )


def _traveller(customer: Customer, traveller_id: str) -> Traveller:
    return get_object_or_404(
        Traveller.objects.select_related("application__case"),
        pk=traveller_id,
        application__customer=customer,
    )


@require_POST
@staff_view
def traveller_appointment(
    request: HttpRequest, customer_id: str, traveller_id: str
) -> HttpResponse:
    """The booked appointment: date and time (in the agent's zone), the visa
    centre's address and the confirmation PDF; the traveller becomes
    APPOINTMENT_BOOKED."""
    customer = customer_or_404(request, customer_id)
    t = _traveller(customer, traveller_id)
    tz = request.tz  # type: ignore[attr-defined]
    upload = request.FILES.get("confirmation")

    def call(actor: Actor) -> Traveller:
        at = parse_local_datetime(request.POST.get("appointment_at", ""), tz, "appointment_at")
        return traveller_book_appointment(
            t.pk,
            actor=actor,
            appointment_at=at,
            appointment_place=request.POST.get("appointment_place", ""),
            confirmation=upload,
        )

    return _act(
        request,
        customer,
        key=f"traveller:{t.pk}",
        call=call,
        done=_("Appointment recorded for %(name)s.") % {"name": _name(t)},
        case_id=t.application.case_id,
    )


@require_POST
@staff_view
def traveller_status(request: HttpRequest, customer_id: str, traveller_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    t = _traveller(customer, traveller_id)
    status = request.POST.get("status", "")
    return _act(
        request,
        customer,
        key=f"traveller-status:{t.pk}",
        call=lambda actor: traveller_update(t.pk, actor=actor, status=status),
        done=_("%(name)s: status updated.") % {"name": _name(t)},
        case_id=t.application.case_id,
    )
