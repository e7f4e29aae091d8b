"""Agent UI pages: my tasks, customers, the new-customer form, the workspace.

Views are thin: parse the request, authorize through opsdesk.access.policy,
call one domain function or selector, render. The workspace's form posts live
in opsdesk.web.actions.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from opsdesk.access.policy import restrict
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.customers.models import Customer
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.privacy.audit import record_view
from opsdesk.web import selectors
from opsdesk.web.application_panel import application_panel
from opsdesk.web.feedback import Feedback
from opsdesk.web.shortcuts import customer_or_404, is_htmx, page, staff_view
from opsdesk.web.timeline import entries

WORKSPACE_SECTIONS = (
    "header",
    "profile",
    "flags",
    "case",
    "order",
    "documents",
    "tasks",
    "comms",
    "timeline",
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:my_tasks")


@require_GET
@staff_view
def my_tasks(request: HttpRequest) -> HttpResponse:
    tasks = selectors.paginate(
        selectors.my_open_tasks(request.user), selectors.page_number(request.GET.get("page"))
    )
    unassigned = selectors.paginate(
        selectors.unassigned_cases(request.user), selectors.page_number(request.GET.get("upage"))
    )
    pbs = selectors.playbooks_by_version(
        {t.case.playbook_id for t in tasks.items if t.case}
        | {c.playbook_id for c in unassigned.items}
    )
    now = clock.now()
    for t in tasks.items:
        t.overdue = t.due_at is not None and t.due_at < now
        t.state_label = (
            selectors.state_label(pbs.get(t.case.playbook_id), t.case.state) if t.case else ""
        )
    for c in unassigned.items:
        c.state_label = selectors.state_label(pbs.get(c.playbook_id), c.state)
    return page(
        request,
        "web/my_tasks.html",
        {"nav": "tasks", "tasks": tasks, "unassigned": unassigned},
    )


@require_GET
@staff_view
def customer_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    customers = selectors.paginate(
        selectors.search_customers(request.user, q), selectors.page_number(request.GET.get("page"))
    )
    pbs = selectors.playbooks_by_version(
        {c.playbook_id for cus in customers.items for c in cus.cases.all()}
    )
    for cus in customers.items:
        cases = list(cus.cases.all())
        cus.latest_case = cases[0] if cases else None
        if cus.latest_case:
            cus.latest_case.state_label = selectors.state_label(
                pbs.get(cus.latest_case.playbook_id), cus.latest_case.state
            )
    return page(request, "web/customers.html", {"nav": "customers", "customers": customers, "q": q})


NEW_CUSTOMER_INPUTS = (
    "given_name",
    "middle_name",
    "family_name",
    "phone",
    "whatsapp",
    "email",
    "nationality",
    "language",
    "order.service_type",
    "order.notes",
)


def _customer_input(post: Any, form: selectors.IntakeForm) -> CustomerInput:
    order = None
    service_type, notes = post.get("order.service_type", ""), post.get("order.notes", "")
    if service_type.strip() or notes.strip():
        order = {"service_type": service_type, "notes": notes}
    return CustomerInput(
        given_name=post.get("given_name", ""),
        middle_name=post.get("middle_name", ""),
        family_name=post.get("family_name", ""),
        phone=post.get("phone", ""),
        whatsapp=bool(post.get("whatsapp")),
        email=post.get("email", ""),
        nationality=post.get("nationality", ""),
        language=post.get("language", ""),
        source="STAFF",
        fields={f.name: post.get(f.input_name, "") for f in form.fields},
        order=order,
    )


@require_http_methods(["GET", "POST"])
@staff_view
def customer_new(request: HttpRequest) -> HttpResponse:
    restrict(request.user, "customer.create")
    form = selectors.intake_form()
    fb = None
    if request.method == "POST":
        try:
            customer = customer_create(
                _customer_input(request.POST, form), Actor.of_user(request.user)
            )
        except ValidationFailed as exc:
            fb = Feedback("customer.new", 422, errors=exc.errors, values=request.POST)
        else:
            return redirect("web:workspace", customer_id=customer.pk)
    # Inputs the form has, so the top alert lists only errors it cannot place.
    placed = " ".join([*NEW_CUSTOMER_INPUTS, *(f.input_name for f in form.fields)])
    return page(
        request,
        "web/customer_new.html",
        {"nav": "new", "form": form, "fb": fb, "placed": placed},
        status=fb.status if fb else 200,
    )


# --- the workspace -----------------------------------------------------------------


def workspace_context(
    customer: Customer, case_id: str | None, fb: Feedback | None = None
) -> dict[str, Any]:
    ws = selectors.load_workspace(customer, case_id)
    events, more = selectors.timeline_page(customer)
    ws.timeline = entries(events, ws.cases, ws.playbook)
    ws.timeline_more = more
    panel = application_panel(ws.case, ws.playbook)
    return {"nav": "customers", "ws": ws, "fb": fb, "app_panel": panel}


def workspace_url(customer_id: str, case_id: str | None = None, section: str = "") -> str:
    url = reverse("web:workspace", kwargs={"customer_id": customer_id})
    if case_id:
        url += f"?case={case_id}"
    return url + (f"#sec-{section}" if section else "")


@require_GET
@staff_view
def workspace(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    restrict(request.user, "customer.view", customer)
    ctx = workspace_context(customer, request.GET.get("case") or None)
    if request.GET.get("case") and ctx["ws"].case is None:
        return page(request, "web/error.html", {"message": _("No such case.")}, status=404)
    record_view(request, customer.pk, ctx["ws"].case.pk if ctx["ws"].case else None)
    return page(request, "web/workspace.html", ctx)


def _cases_with_playbooks(customer: Customer) -> list[Any]:
    cases = selectors.customer_cases(customer)
    pbs = selectors.playbooks_by_version({c.playbook_id for c in cases})
    for c in cases:
        c.pb = pbs.get(c.playbook_id)
    return cases


@require_GET
@staff_view
def messages_more(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Older messages: items for htmx's "older messages", a page otherwise."""
    customer = customer_or_404(request, customer_id)
    restrict(request.user, "customer.view", customer)
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        offset = 0
    cases = _cases_with_playbooks(customer)
    messages, more = selectors.message_page(customer, cases, cases[0].pb if cases else None, offset)
    record_view(request, customer.pk)  # older messages: also a look at the record
    ctx = {"customer": customer, "messages": messages, "more": more, "nav": "customers"}
    template = "web/workspace/_message_rows.html" if is_htmx(request) else "web/messages.html"
    return page(request, template, ctx)


@require_GET
@staff_view
def timeline_more(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Older timeline events: rows for htmx's "load more", a page otherwise."""
    customer = customer_or_404(request, customer_id)
    restrict(request.user, "customer.view", customer)
    try:
        before = int(request.GET.get("before", ""))
    except ValueError:
        before = None
    cases = _cases_with_playbooks(customer)
    events, more = selectors.timeline_page(customer, before)
    record_view(request, customer.pk)
    ctx = {
        "customer": customer,
        "events": entries(events, cases, cases[0].pb if cases else None),
        "more": more,
        "nav": "customers",
    }
    template = "web/workspace/_timeline_rows.html" if is_htmx(request) else "web/timeline.html"
    return page(request, template, ctx)
