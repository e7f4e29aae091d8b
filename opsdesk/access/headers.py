"""Content-Security-Policy on every response (a small middleware, no dependency).

Pages load only their own static files: the templates have no inline <script>,
no on* handler and no style attribute, and htmx is configured (web/base_public.html)
not to eval, not to inject <style> and not to copy style attributes, so neither
scripts nor styles need 'unsafe-inline'. The other security headers come from
Django's SecurityMiddleware (settings: SECURE_CONTENT_TYPE_NOSNIFF,
SECURE_REFERRER_POLICY, SECURE_CROSS_ORIGIN_OPENER_POLICY) and
XFrameOptionsMiddleware (X_FRAME_OPTIONS).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def csp_header() -> str:
    policy: dict[str, list[str]] = settings.OPSDESK_CSP
    return "; ".join(" ".join([name, *sources]) for name, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """One policy for the whole site: it replaces any older one a view set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers["Content-Security-Policy"] = csp_header()
        return response
