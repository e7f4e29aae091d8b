"""The contact desk in the UI: find the ticket (`/contacts/new/`), then walk the
playbook's script on the contact's page (`/contacts/<id>/`) and close it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.access.policy import restrict, visible_via
from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.contacts import selectors
from opsdesk.contacts.models import Contact, ContactChannel
from opsdesk.contacts.services import (
    contact_answer,
    contact_close,
    contact_open,
    contact_reason,
    ticket_search,
)
from opsdesk.privacy.audit import record_view
from opsdesk.web.feedback import Feedback, attempt
from opsdesk.web.shortcuts import page, parse_local_datetime, staff_view

ACTION = "case.act"


@require_http_methods(["GET", "POST"])
@staff_view
def contact_new(request: HttpRequest) -> HttpResponse:
    """Search a ticket by phone, number or name; start a contact on one."""
    restrict(request.user, ACTION)
    query = request.GET.get("q", "").strip()
    fb = None
    if request.method == "POST":
        ticket = (
            Case.objects.filter(visible_via(request.user, "customer_id"))
            .filter(pk=request.POST.get("ticket_id", ""))
            .first()
        )
        if ticket is None:
            raise Http404("no such ticket")
        started: list[Contact] = []
        fb = attempt(
            request,
            f"start:{ticket.pk}",
            lambda actor: started.append(
                contact_open(
                    ticket.pk,
                    request.POST.get("channel", ""),
                    actor,
                    message_id=request.POST.get("message_id") or None,
                )
            ),
            section="start",
        )
        if fb is None:
            return redirect("web:contact", contact_id=started[0].pk)
        query = request.POST.get("q", query)
    tickets = ticket_search(query, request.user) if query else []
    ctx = {
        "nav": "contact",
        "q": query,
        "tickets": tickets,
        "channels": ContactChannel.choices,
        "waiting": selectors.messages_waiting(request.user),
        "fb": fb,
        # A message's start refused: its row may be gone, so the page's top says why.
        "message_key": f"start:{request.POST.get('ticket_id', '')}"
        if fb is not None and request.POST.get("message_id")
        else "",
    }
    return page(request, "web/contact_new.html", ctx, status=fb.status if fb else 200)


@require_GET
@staff_view
def safety_queue(request: HttpRequest) -> HttpResponse:
    """The safety desk's queue: safety contacts, open first. Only the Safety desk (and
    admins) see them: their cases sit in that team."""
    restrict(request.user, ACTION)
    contacts = list(selectors.safety_contacts(request.user)[:200])
    return page(request, "web/contact_safety.html", {"nav": "safety", "contacts": contacts})


def _contact(request: HttpRequest, contact_id: str) -> Contact:
    contact = selectors.contact_for(request.user, contact_id)
    restrict(request.user, ACTION, contact.customer)
    return contact


def _render(request: HttpRequest, contact: Contact, fb: Feedback | None = None) -> HttpResponse:
    contact.refresh_from_db()
    view = selectors.contact_view(contact)
    run = view["run"]
    ctx = {
        "nav": "contact",
        "contact": contact,
        "ticket": contact.ticket,
        "customer": contact.customer,
        "facts": [
            (name.replace("_", " ").capitalize(), value) for name, value in view["facts"].items()
        ],
        "reasons": view["reasons"],
        "run": run,
        "end": run.end if run else None,
        "fb": fb,
    }
    return page(request, "web/contact.html", ctx, status=fb.status if fb else 200)


@require_GET
@staff_view
def contact_page(request: HttpRequest, contact_id: str) -> HttpResponse:
    contact = _contact(request, contact_id)
    record_view(request, contact.customer_id, contact.ticket_id)
    return _render(request, contact)


def _post(
    request: HttpRequest, contact_id: str, key: str, call: Callable[[Contact, Actor], Any]
) -> HttpResponse:
    contact = _contact(request, contact_id)
    fb = attempt(request, key, lambda actor: call(contact, actor), section="contact")
    if fb is None:
        return redirect("web:contact", contact_id=contact.pk)
    return _render(request, contact, fb)


@require_POST
@staff_view
def contact_reason_view(request: HttpRequest, contact_id: str) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _post(
        request, contact_id, "reason", lambda c, actor: contact_reason(c.pk, reason, actor)
    )


@require_POST
@staff_view
def contact_answer_view(request: HttpRequest, contact_id: str) -> HttpResponse:
    step, answer = request.POST.get("step", ""), request.POST.get("answer", "")
    return _post(
        request, contact_id, "answer", lambda c, actor: contact_answer(c.pk, step, answer, actor)
    )


@require_POST
@staff_view
def contact_close_view(request: HttpRequest, contact_id: str) -> HttpResponse:
    def close(c: Contact, actor: Actor) -> Contact:
        preferred = parse_local_datetime(
            request.POST.get("preferred_at", ""),
            request.tz,
            "preferred_at",  # type: ignore[attr-defined]
        )
        return contact_close(
            c.pk, remarks=request.POST.get("remarks", ""), preferred_at=preferred, actor=actor
        )

    return _post(request, contact_id, "close", close)
