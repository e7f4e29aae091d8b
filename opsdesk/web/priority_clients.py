"""The priority client list (staff): repeat and corporate clients and their personal
concierge; add a customer found by name or phone, change the tier or concierge,
take a client off the list."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opsdesk.access.policy import restrict
from opsdesk.common.actors import Actor
from opsdesk.customers.models import PriorityTier
from opsdesk.customers.priority import (
    concierges,
    priority_client_remove,
    priority_client_update,
    priority_clients,
)
from opsdesk.web.feedback import Feedback, attempt
from opsdesk.web.selectors import page_number, paginate, search_customers
from opsdesk.web.shortcuts import customer_or_404, page, staff_view

SEARCH_LIMIT = 10


def _page(request: HttpRequest, fb: Feedback | None = None) -> HttpResponse:
    restrict(request.user, "case.act")  # staff only, as in the API
    tier = request.GET.get("tier", "")
    tier = tier if tier in PriorityTier.values else ""
    q = request.GET.get("q", "").strip()
    found = list(search_customers(request.user, q)[:SEARCH_LIMIT]) if q else []
    clients = paginate(priority_clients(request.user, tier), page_number(request.GET.get("page")))
    return page(
        request,
        "web/priority_clients.html",
        {
            "nav": "priority_clients",
            "clients": clients,
            "tier": tier,
            "tiers": PriorityTier.choices,
            "q": q,
            "found": found,
            "concierges": list(concierges()),
            "fb": fb,
        },
        status=fb.status if fb else 200,
    )


@require_GET
@staff_view
def priority_client_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@staff_view
def priority_client_save(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    restrict(request.user, "customer.edit", customer)
    tier = request.POST.get("tier", "")
    agent_id = request.POST.get("personal_agent_id", "")

    def call(actor: Actor) -> None:
        priority_client_update(customer.pk, tier=tier, personal_agent_id=agent_id, actor=actor)

    fb = attempt(request, f"priority:{customer.pk}", call, section="priority")
    if fb is not None:
        return _page(request, fb)
    messages.success(
        request, _("%(name)s is on the priority client list.") % {"name": customer.full_name}
    )
    return redirect("web:priority_clients")


@require_POST
@staff_view
def priority_client_remove_view(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    restrict(request.user, "customer.edit", customer)

    def call(actor: Actor) -> None:
        priority_client_remove(customer.pk, actor)

    fb = attempt(request, f"priority:{customer.pk}", call, section="priority")
    if fb is not None:
        return _page(request, fb)
    messages.success(
        request,
        _("%(name)s is no longer on the priority client list.") % {"name": customer.full_name},
    )
    return redirect("web:priority_clients")
