"""The customer link's pages (no login): the order's status, moving or cancelling
the visit, and the visit as a calendar file.

The signed token in the URL is the only credential: a forged or expired one
gets the "link no longer valid" page (404) and nothing else. Views parse the
form, call one domain function of `opsdesk.portal.services` and render; the
rules live there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from opsdesk.billing.sandbox import sandbox_link, sandbox_pay
from opsdesk.billing.selectors import load_billing
from opsdesk.billing.services import payment_link_create
from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_of
from opsdesk.common import clock
from opsdesk.common.errors import Conflict, Refused, ValidationFailed
from opsdesk.feedback import selectors as feedback_selectors
from opsdesk.feedback import texts as feedback_texts
from opsdesk.feedback.models import Channel
from opsdesk.feedback.services import COMMENT_MAX, feedback_submit
from opsdesk.orders.models import ServiceOrder
from opsdesk.portal import selectors, services, texts
from opsdesk.portal.links import case_link, case_of_token
from opsdesk.scheduling.ics import visit_ics
from opsdesk.scheduling.models import AppointmentStatus

View = Callable[..., HttpResponse]


def portal_view(view: View) -> View:
    """Never cached (the page shows personal data), never indexed. The
    Content-Security-Policy is set for every response (opsdesk.access.headers)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        return response

    return wrapper


def _lang(request: HttpRequest) -> str | None:
    """A language the customer chose on the page (?lang=en, or the form's field)."""
    value = request.POST.get("lang") or request.GET.get("lang")
    return value if value in texts.LANGUAGES else None


def _case(token: str) -> Case | None:
    case_id = case_of_token(token)
    return selectors.case_for_portal(case_id) if case_id else None


def _invalid(request: HttpRequest) -> HttpResponse:
    """Both languages: we do not know whose link this was."""
    lines = [
        (lang, texts.t(lang, "invalid_title"), texts.t(lang, "invalid_text"))
        for lang in texts.LANGUAGES
    ]
    return render(request, "portal/invalid.html", {"lines": lines}, status=404)


def _page_url(token: str, lang: str | None) -> str:
    url = reverse("portal:case", args=[token])
    return f"{url}?lang={lang}" if lang else url


def _render_page(
    request: HttpRequest,
    token: str,
    case: Case,
    *,
    error: str = "",
    status: int = 200,
    template: str = "portal/case.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    chosen = _lang(request)
    page = selectors.portal_page(case, clock.now(), chosen)
    other = "en" if page.lang == "tr" else "tr"
    context: dict[str, Any] = {
        "p": page,
        "t": texts.TEXTS[page.lang],
        "token": token,
        "lang": page.lang,
        "chosen_lang": chosen or "",
        "other_lang": other,
        "other_lang_url": _page_url(token, other),
        "error": error,
        "ft": feedback_texts.TEXTS[page.lang],
        "feedback_open": not feedback_selectors.feedback_given(case.pk),
        "billing": load_billing([case.pk]).get(case.pk),
        **(extra or {}),
    }
    return render(request, template, context, status=status)


@portal_view
@require_http_methods(["GET", "HEAD"])
def case_page(request: HttpRequest, token: str) -> HttpResponse:
    case = _case(token)
    if case is None:
        return _invalid(request)
    return _render_page(request, token, case)


@portal_view
@require_http_methods(["POST"])
def reschedule(request: HttpRequest, token: str) -> HttpResponse:
    case = _case(token)
    if case is None:
        return _invalid(request)
    chosen = _lang(request)
    try:
        appointment = services.customer_reschedule(
            case.pk, request.POST.get("start", ""), clock.now(), lang=chosen
        )
    except ValidationFailed as exc:
        return _render_page(request, token, case, error=_first(exc.errors), status=422)
    except Refused as exc:
        return _render_page(request, token, case, error=" ".join(exc.reasons), status=409)
    except Conflict as exc:
        return _render_page(request, token, case, error=str(exc), status=409)
    pb = playbook_of(case.playbook)
    lang = chosen or services.customer_language(case.customer, pb)
    day, time = selectors.visit_words(pb, appointment, lang)
    messages.success(request, texts.t(lang, "done_rescheduled", day=day, time=time))
    return redirect(_page_url(token, chosen))


@portal_view
@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks "are you sure?"; POST cancels."""
    case = _case(token)
    if case is None:
        return _invalid(request)
    if request.method != "POST":
        return _render_page(request, token, case, template="portal/cancel.html")
    chosen = _lang(request)
    try:
        services.customer_cancel(case.pk, clock.now(), lang=chosen)
    except Refused as exc:
        return _render_page(request, token, case, error=" ".join(exc.reasons), status=409)
    lang = chosen or services.customer_language(case.customer, playbook_of(case.playbook))
    messages.success(request, texts.t(lang, "done_cancelled"))
    return redirect(_page_url(token, chosen))


@portal_view
@require_http_methods(["GET", "HEAD"])
def visit_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The visit as an .ics file (a cancelled one as METHOD:CANCEL)."""
    case = _case(token)
    if case is None:
        return _invalid(request)
    appointment = selectors.latest_appointment(case.pk)
    if appointment is None:  # nothing booked yet: the page says so
        return redirect(_page_url(token, _lang(request)))
    now = clock.now()
    pb = playbook_of(case.playbook)
    lang = _lang(request) or services.customer_language(case.customer, pb)
    service = selectors.service_name(case, pb, lang, now)
    order = ServiceOrder.objects.filter(case_id=case.pk).first()
    # A fresh link: the calendar entry outlives the one the customer opened.
    link = request.build_absolute_uri(case_link(case.pk))
    body = visit_ics(
        appointment,
        summary=texts.t(lang, "ics_summary", service=service),
        description=texts.t(
            lang, "ics_description", service=service, number=case.number, link=link
        ),
        stamp=now,
        url=link,
        location=", ".join(p for p in (order.address, order.city) if p) if order else "",
        organizer=settings.OPSDESK_EMAIL_FROM,
    )
    method = "CANCEL" if appointment.status == AppointmentStatus.CANCELLED else "REQUEST"
    response = HttpResponse(body, content_type=f"text/calendar; charset=utf-8; method={method}")
    response["Content-Disposition"] = f'attachment; filename="visit-{case.number}.ics"'
    return response


@portal_view
@require_http_methods(["GET", "HEAD", "POST"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """GET the form (or thanks / "already given"); POST records the feedback (WEB)."""
    case = _case(token)
    if case is None:
        return _invalid(request)
    url = reverse("portal:feedback", args=[token])
    if request.method == "POST":
        try:
            feedback_submit(
                case.pk,
                request.POST.get("rating", ""),
                request.POST.get("comment", ""),
                request.POST.get("consent") == "yes",
                Channel.WEB,
                services.CUSTOMER,
            )
        except ValidationFailed as exc:
            # The page says it in the customer's language, not the service's English.
            extra = {
                "rating_error": "rating" in exc.errors,
                "comment_error": "comment" in exc.errors,
                "comment_max": COMMENT_MAX,
                "values": request.POST,
            }
            return _render_page(
                request, token, case, status=400, template="portal/feedback.html", extra=extra
            )
        except Conflict:
            return _render_page(request, token, case, status=409, template="portal/feedback.html")
        chosen = _lang(request)
        return redirect(f"{url}?done=1" + (f"&lang={chosen}" if chosen else ""))
    extra = {"done": request.GET.get("done") == "1", "comment_max": COMMENT_MAX}
    return _render_page(request, token, case, template="portal/feedback.html", extra=extra)


@portal_view
@require_http_methods(["POST"])
def pay(request: HttpRequest, token: str) -> HttpResponse:
    """A payment link for what is due now on the case's quote; the page then shows it
    (a plain link: the provider's page is another site, which the CSP's form-action
    would not let a form redirect to)."""
    case = _case(token)
    if case is None:
        return _invalid(request)
    billing = load_billing([case.pk]).get(case.pk)
    if billing is None:
        return _render_page(request, token, case, status=404)
    try:
        payment_link_create(billing["quote_id"], actor=services.CUSTOMER)
    except (Conflict, ValidationFailed) as exc:
        message = str(exc) if isinstance(exc, Conflict) else _first(exc.errors)
        return _render_page(request, token, case, error=message, status=409)
    chosen = _lang(request)
    return redirect(_page_url(token, chosen))


def _first(errors: dict[str, list[str]]) -> str:
    return " ".join(msg for msgs in errors.values() for msg in msgs)


@portal_view
@require_http_methods(["GET", "POST"])
def test_checkout(request: HttpRequest, ref: str) -> HttpResponse:
    """The test payment provider's page: pay or decline, no real money."""
    link = sandbox_link(ref)
    if link is None:
        return _invalid(request)
    outcome = None
    if request.method == "POST":
        payment = sandbox_pay(link, succeed=request.POST.get("outcome") == "pay")
        outcome = payment.status
    return render(request, "portal/test_checkout.html", {"link": link, "outcome": outcome})
