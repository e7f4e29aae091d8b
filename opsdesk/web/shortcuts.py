"""Plumbing shared by the UI views: sign-in, time zone, headers, error pages."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _

from opsdesk.access.policy import agent_of, can, visible_customers
from opsdesk.common.errors import NotAllowed, ValidationFailed
from opsdesk.customers.models import Customer
from opsdesk.reports.selectors import VIEW_ACTION as REPORT_ACTION
from opsdesk.staff.selectors import user_timezone

View = Callable[..., HttpResponse]


def secure_headers(view: View) -> View:
    """Customer data is never cached by the browser. (The Content-Security-Policy
    is on every response: opsdesk.access.headers.)"""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        # The same URL answers htmx with a fragment and a browser with a page.
        patch_vary_headers(response, ["HX-Request"])
        return response

    return wrapper


def staff_view(view: View) -> View:
    """Sign-in required; times shown in the agent's zone; unknown ids are 404s."""

    @secure_headers
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _to_login(request)
        tz = user_timezone(request.user)
        request.tz = tz  # type: ignore[attr-defined]
        # render() is eager, so the whole page is formatted inside this zone.
        with timezone.override(tz):
            try:
                return view(request, *args, **kwargs)
            except ObjectDoesNotExist:
                raise Http404("not found") from None
            except NotAllowed as exc:
                return page(request, "web/error.html", {"message": str(exc)}, status=403)

    return wrapper


def _to_login(request: HttpRequest) -> HttpResponse:
    """Signed out (or the session expired): back here after signing in. A POST
    URL cannot be reopened with GET, so it returns to the page the form was on."""
    if request.method == "GET":
        target = request.get_full_path()
    else:
        current = urlsplit(request.headers.get("HX-Current-URL", "") or "")
        target = (current.path or "/") + (f"?{current.query}" if current.query else "")
    if is_htmx(request):
        # A redirect would make htmx swap the sign-in page into a section.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?next={quote(target)}"
        return response
    return redirect_to_login(target)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def page(
    request: HttpRequest, template: str, context: Mapping[str, Any], status: int = 200
) -> HttpResponse:
    tz = getattr(request, "tz", None)
    nav = {
        "can_act": can(request.user, "case.act"),  # the queues
        "can_report": can(request.user, REPORT_ACTION),
        "can_dispatch": can(request.user, "dispatch.manage"),
    }
    return render(
        request,
        template,
        {"me": agent_of(request.user), "tz_name": str(tz or ""), **nav, **context},
        status=status,
    )


def customer_or_404(request: HttpRequest, customer_id: str) -> Customer:
    """Only customers the user may see exist: another team's customer is a 404."""
    customer = visible_customers(request.user).filter(pk=customer_id).first()
    if customer is None:
        raise Http404("no such customer")
    return customer


def parse_local_datetime(value: str, tz: zoneinfo.ZoneInfo, name: str) -> dt.datetime | None:
    """A `datetime-local` (or date) input, read in the agent's zone."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed({name: [_("enter a date and time")]}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
