"""Retainers (managers and admins): repeat clients billed every month or quarter, with a
form to add one. Thin: the list is a query, the form runs `retainer_create`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from opsdesk.access.policy import restrict, visible_customers, visible_via
from opsdesk.billing.models import Retainer, RetainerPeriod
from opsdesk.billing.services import retainer_create
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.web.feedback import Feedback, attempt
from opsdesk.web.quotes import _decimal
from opsdesk.web.shortcuts import page, staff_view

# Retainers bill customers on a schedule: the managers' business, as the reports are.
ACTION = "report.view"
KEY = "retainers.create"


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _create(request: HttpRequest, actor: Actor) -> Retainer:
    post = request.POST
    customer = (
        visible_customers(request.user).filter(pk=post.get("customer_id", "").strip()).first()
    )
    if customer is None:  # another team's customer looks like no customer
        raise ValidationFailed({"customer_id": [_("no such customer")]})
    restrict(request.user, "case.act", customer)
    errors: dict[str, list[str]] = {}
    starts_on = _date(post.get("starts_on", ""))
    if starts_on is None:
        errors["starts_on"] = [_("a date, YYYY-MM-DD")]
    discount: int | None = None
    if post.get("discount_percent", "").strip():
        try:
            discount = int(post["discount_percent"])
        except ValueError:
            errors["discount_percent"] = [_("a whole number from 0 to 100")]
    if errors:
        raise ValidationFailed(errors)
    assert starts_on is not None
    return retainer_create(
        customer,
        description=post.get("description", ""),
        amount=_decimal(post.get("amount", "")),
        currency=post.get("currency", "").strip().upper(),
        tax_rate=_decimal(post.get("tax_rate", "") or "0"),
        period=post.get("period", ""),
        starts_on=starts_on,
        discount_percent=discount,
        actor=actor,
    )


@require_http_methods(["GET", "POST"])
@staff_view
def retainer_list(request: HttpRequest) -> HttpResponse:
    restrict(request.user, ACTION)
    fb: Feedback | None = None
    if request.method == "POST":
        fb = attempt(request, KEY, lambda actor: _create(request, actor), section="retainers")
        if fb is None:
            return redirect("web:retainers")
    rows = (
        Retainer.objects.filter(visible_via(request.user, "customer_id"))
        .select_related("customer")
        .order_by("-active", "next_bill_on", "id")[:200]
    )
    context: dict[str, Any] = {
        "nav": "retainers",
        "retainers": rows,
        "periods": RetainerPeriod.choices,
        "fb": fb,
    }
    return page(request, "web/retainers.html", context, status=fb.status if fb else 200)
