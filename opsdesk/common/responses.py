"""Answers that tell a client to come back later (429 over a rate limit, 503
without the database): JSON under the API, a page elsewhere, with Retry-After
and never cached."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"


def retry_later(
    request: HttpRequest, *, status: int, retry_after: int, detail: str, page: str
) -> HttpResponse:
    """`{"detail": detail}` for the API, the HTML `page` otherwise."""
    response: HttpResponse
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse({"detail": detail}, status=status)
    else:
        response = HttpResponse(page, status=status, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
