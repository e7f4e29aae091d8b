"""The agent UI's language: the middleware that turns it on for each page, and the
page where a user chooses it.

The language is the user's own setting (staff.services.user_language_set); with
none, the browser's Accept-Language if it names one of settings.LANGUAGES; else English.
Only the agent UI (the `web` URL namespace) is translated this way: the customer
link, the public request forms and the API keep their own language rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.http import require_http_methods

from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.staff.selectors import ui_languages, user_language
from opsdesk.staff.services import user_language_set
from opsdesk.web.feedback import Feedback
from opsdesk.web.shortcuts import page, staff_view

# Pages of the `web` namespace that customers see: not the agent UI.
CUSTOMER_PAGES = frozenset({"public_request", "public_request_done"})


def from_browser(request: HttpRequest) -> str:
    """The first of the browser's languages the UI has ("tr-TR" -> "tr"), else ""."""
    offered = ui_languages()
    for code, _q in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        base = code.lower().split("-")[0]
        if base in offered:
            return base
    return ""


def language_for(request: HttpRequest) -> str:
    """The user's setting, else the browser's language, else settings.LANGUAGE_CODE."""
    chosen = user_language(getattr(request, "user", None))
    if chosen in ui_languages():
        return chosen
    return from_browser(request) or settings.LANGUAGE_CODE


class AgentLanguageMiddleware:
    """Activates the agent UI's language for the view and the page it renders, then
    restores the default so the next request on this thread starts in English."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        finally:
            active = getattr(request, "ui_language", None)
            if active is not None:
                translation.deactivate()
        if active is not None:
            response.headers.setdefault("Content-Language", active)
            patch_vary_headers(response, ["Accept-Language"])
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        match = request.resolver_match
        if match is None or match.namespace != "web" or match.url_name in CUSTOMER_PAGES:
            return None
        code = language_for(request)
        translation.activate(code)
        request.LANGUAGE_CODE = code  # type: ignore[attr-defined]
        request.ui_language = code  # type: ignore[attr-defined]
        return None


@require_http_methods(["GET", "POST"])
@staff_view
def language_setting(request: HttpRequest) -> HttpResponse:
    """The signed-in user's language: a choice among settings.LANGUAGES, or the browser's."""
    fb = None
    if request.method == "POST":
        try:
            user_language_set(
                request.user.pk, request.POST.get("language", ""), Actor.of_user(request.user)
            )
        except ValidationFailed as exc:
            fb = Feedback("language", 422, errors=exc.errors, values=request.POST)
        else:
            # The confirmation is in the language just chosen.
            translation.activate(language_for(request))
            request.ui_language = translation.get_language()  # type: ignore[attr-defined]
            messages.success(request, _("Language saved."))
            return redirect("web:language")
    return page(
        request,
        "web/language.html",
        {
            "nav": "language",
            "fb": fb,
            "chosen": user_language(request.user),
            "languages": list(ui_languages().items()),
            "browser": from_browser(request),
        },
        status=fb.status if fb else 200,
    )
