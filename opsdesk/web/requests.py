"""Customer requests in the UI: the public form (no login, `/request/<playbook>/`)
and the staff's phone intake (`/requests/new/<playbook>/`). Both render the
playbook's `intake.form` and call `intake.services.request_receive`."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from opsdesk.access.policy import restrict, visible_customers
from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.customers.models import Customer
from opsdesk.customers.profile import normalize_phone
from opsdesk.intake.selectors import receipt_address, request_playbook
from opsdesk.intake.services import request_receive
from opsdesk.playbook.model import Playbook
from opsdesk.web.feedback import Feedback, attempt
from opsdesk.web.selectors import FieldInput
from opsdesk.web.shortcuts import customer_or_404, page, secure_headers, staff_view
from opsdesk.web.views import workspace_url

PUBLIC = Actor("web-form")
CUSTOMER_INPUTS = ("given_name", "family_name", "phone", "email", "language")
DONE = "request_done"  # the session key of the last public request's outcome


def _playbook(key: str, channel: str) -> Playbook:
    try:
        return request_playbook(key, channel)[1]
    except LookupError:
        raise Http404("no such request form") from None


def _sheet(pb: Playbook) -> dict[str, Any]:
    assert pb.intake is not None
    return {
        "pb": pb,
        "title": pb.intake.title or pb.title,
        "inputs": [FieldInput(name, pb.fields[name]) for name in pb.intake.form],
        # Inputs the form has, so the top alert lists only errors it cannot place.
        "placed": " ".join(
            [*(f"customer.{n}" for n in CUSTOMER_INPUTS), *(f"fields.{n}" for n in pb.intake.form)]
        ),
    }


def _posted(post: Any, pb: Playbook) -> tuple[dict[str, Any], dict[str, Any]]:
    """The customer and the sheet as posted (the domain function checks them)."""
    assert pb.intake is not None
    customer = {n: post.get(f"customer.{n}", "") for n in CUSTOMER_INPUTS}
    customer["whatsapp"] = bool(post.get("customer.whatsapp"))
    fields = {n: post.get(f"fields.{n}", "") for n in pb.intake.form}
    return customer, fields


@require_http_methods(["GET", "POST"])
@secure_headers
def public_request(request: HttpRequest, playbook: str) -> HttpResponse:
    """The public request form (CSRF-protected like every POST)."""
    pb = _playbook(playbook, "WEB")
    fb = None
    if request.method == "POST":
        customer, fields = _posted(request.POST, pb)
        try:
            case = request_receive(
                playbook=pb.key,
                channel="WEB",
                customer=customer,
                fields=fields,
                text="",
                actor=PUBLIC,
            )
        except ValidationFailed as exc:
            fb = Feedback("request", 422, errors=exc.errors, values=request.POST)
        else:
            # Post/redirect/get: reloading the answer must not send the request again.
            request.session[DONE] = {"number": case.number, "to": receipt_address(case)}
            return redirect("web:public_request_done", playbook=pb.key)
    ctx = _sheet(pb) | {"fb": fb, "languages": pb.languages}
    return render(request, "web/public_request.html", ctx, status=fb.status if fb else 200)


@require_GET
@secure_headers
def public_request_done(request: HttpRequest, playbook: str) -> HttpResponse:
    pb = _playbook(playbook, "WEB")
    done = request.session.get(DONE)
    if not done:
        return redirect("web:public_request", playbook=pb.key)
    return render(request, "web/public_request_done.html", _sheet(pb) | {"done": done})


@require_http_methods(["GET", "POST"])
@staff_view
def request_new(request: HttpRequest, playbook: str) -> HttpResponse:
    """A request taken on the phone: look the caller up by phone, fill the sheet."""
    restrict(request.user, "customer.create")
    pb = _playbook(playbook, "PHONE")
    fb = None
    lookup = request.GET.get("phone", "").strip()
    existing: Customer | None = None
    if request.method == "POST" and request.POST.get("customer_id"):
        existing = customer_or_404(request, request.POST["customer_id"])
    elif lookup:
        e164 = normalize_phone(lookup)
        existing = (
            visible_customers(request.user).filter(phone=e164).order_by("-created_at").first()
            if e164
            else None
        )
    if request.method == "POST":
        customer, fields = _posted(request.POST, pb)
        opened: list[Case] = []
        fb = attempt(
            request,
            "request",
            lambda actor: opened.append(
                request_receive(
                    playbook=pb.key,
                    channel="PHONE",
                    customer=None if existing else customer,
                    customer_id=existing.pk if existing else None,
                    fields=fields,
                    text=request.POST.get("text", ""),
                    actor=actor,
                )
            ),
            section="request",
        )
        if fb is None:
            case = opened[0]
            return redirect(workspace_url(case.customer_id, case.pk))
    ctx = _sheet(pb) | {
        "nav": "request",
        "fb": fb,
        "languages": pb.languages,
        "lookup": lookup,
        "existing": existing,
        "placed": _sheet(pb)["placed"] + " text customer_id",
    }
    return page(request, "web/request_new.html", ctx, status=fb.status if fb else 200)
