"""The customer link's pages (no login)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from opsdesk.portal.links import case_of_token


def case_page(request: HttpRequest, token: str) -> HttpResponse:
    if case_of_token(token) is None:
        raise Http404("link expired or not valid")
    raise Http404("not built yet")
