"""CSRF is on for every form and every session call of the API (issue 9).

For every state-changing route of the authorization matrix that a browser session
can reach (the UI, the customer link, the public forms, sign-in and sign-out, and
the API called with the staff session), as a persona the matrix lets in:

- with the CSRF cookie but no token (what a forged cross-site form sends), the
  answer is 403 from the CSRF check (Django's failure view; django-ninja's
  "CSRF check Failed" on the API) and nothing changed (the matrix's snapshot);
- with the cookie and a valid token, the answer is the matrix's own (never the
  CSRF 403), so the first check cannot pass by refusing everything.

The API's bearer-token callers send no cookie and need no token. The only views
that skip the check are the provider webhooks, listed below: a new exempt view
fails `test_only_the_webhooks_skip_the_csrf_check` until it is listed there.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.harness import (
    ALLOW,
    DENY,
    INVALID,
    PERSONAS,
    STAFF,
    Request,
    classify,
    fill,
    perform,
    snapshot,
    values_for,
)
from tests.security.matrix import MATRIX
from tests.security.routes import _ninja_path_view
from tests.security.world import World

# Authenticated by the provider's signature or shared secret, never by a cookie, so
# they cannot be forged from a browser: the only views without a CSRF check.
CSRF_EXEMPT = frozenset(
    {
        ("GET", "api/v1/webhooks/whatsapp"),
        ("POST", "api/v1/webhooks/whatsapp"),
        ("POST", "api/v1/webhooks/email"),
        ("POST", "api/v1/webhooks/twilio/voice/<message_id>"),
        ("POST", "api/v1/webhooks/twilio/status/<message_id>"),
        ("POST", "api/v1/webhooks/twilio/sms"),
        ("POST", "api/v1/payments/webhooks/<provider>"),
    }
)
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_PAGE = b"CSRF verification failed"  # Django's failure view
CSRF_API = {"detail": "CSRF check Failed"}  # django-ninja's cookie authentication


def _persona(codes: str, pattern: str) -> str:
    """Who sends the request: someone the matrix lets in (or whose input it checks),
    preferring staff; on a route nobody may use, the admin (the customer on his link)."""
    order = ("customer",) if pattern.startswith("c/") else (*STAFF, "customer", "anonymous")
    for persona in order:
        if codes[PERSONAS.index(persona)] in (ALLOW, INVALID):
            return persona
    return order[0]


ROWS = [
    pytest.param(method, pattern, _persona(row.expect, pattern), id=f"{method} /{pattern}")
    for (method, pattern), row in sorted(MATRIX.items())
    if method in UNSAFE and (method, pattern) not in CSRF_EXEMPT
]


def _filled(value: Any, values: dict[str, str]) -> Any:
    from tests.security.test_authz_matrix import _filled as filled

    return filled(value, values)


def browser(persona: str, w: World) -> Client:
    """A client that checks CSRF like a browser's requests, holding the CSRF cookie
    (a signed-in browser has it; a cross-site form cannot read it)."""
    client = Client(enforce_csrf_checks=True)
    if persona in STAFF:
        client.force_login(w.users[persona])
    client.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
    return client


def token_of(client: Client) -> dict[str, str]:
    """The header a page's script sends: the cookie's secret, masked like a form's."""
    secret = client.cookies[settings.CSRF_COOKIE_NAME].value
    return {"HTTP_X_CSRFTOKEN": _mask_cipher_secret(secret)}


def refused_by_csrf(response: HttpResponse, api: bool) -> bool:
    if response.status_code != 403:
        return False
    if api:
        return json.loads(response.content) == CSRF_API
    return CSRF_PAGE in response.content


@pytest.mark.parametrize(("method", "pattern", "persona"), ROWS)
def test_unsafe_request_needs_the_csrf_token(
    method: str, pattern: str, persona: str, w: World
) -> None:
    row = MATRIX[(method, pattern)]
    values = values_for(persona, w)
    api = pattern.startswith("api/")
    req = Request(
        method, fill(pattern, values) + _filled(row.query, values), _filled(row.body, values), api
    )
    client = browser(persona, w)
    before = snapshot(w)

    forged = perform(client, {}, req)

    where = f"{method} {req.path} as {persona}"
    assert refused_by_csrf(forged, api), (
        f"{where} without a CSRF token: HTTP {forged.status_code} {forged.content[:200]!r}"
    )
    assert snapshot(w) == before, f"{where} without a CSRF token changed something"

    allowed = perform(client, token_of(client), req)

    assert not refused_by_csrf(allowed, api), f"{where} with a valid token was refused as CSRF"
    expected = row.expect[PERSONAS.index(persona)]
    assert classify(allowed) == expected, (
        f"{where} with a valid token: HTTP {allowed.status_code}, the matrix says {expected}"
    )


def test_the_rows_cover_every_kind_of_form() -> None:
    """The list is not vacuous: UI forms, the customer link, the public pages and the
    session API are all in it, each sent by someone it lets in."""
    params = {(p.values[0], p.values[1]): p.values[2] for p in ROWS}
    assert params[("POST", "customers/<str:customer_id>/messages/")] == "admin"
    assert params[("POST", "c/<str:token>/cancel/")] == "customer"
    assert params[("POST", "login/")] == "admin"
    assert params[("POST", "api/v1/cases/<case_id>/tasks")] == "admin"
    allowed = [
        key
        for key, persona in params.items()
        if MATRIX[key].expect[PERSONAS.index(persona)] != DENY
    ]
    assert len(allowed) > 0.8 * len(params), "most rows are sent by someone the route lets in"


def test_signing_out_needs_the_token(w: World) -> None:
    """A forged sign-out (a cross-site form) does not end the session."""
    client = browser("agent", w)
    assert refused_by_csrf(client.post("/logout/"), api=False)
    assert client.get("/tasks/").status_code == 200
    response = client.post("/logout/", **token_of(client))
    assert response.status_code == 302
    assert classify(client.get("/tasks/")) == DENY


def test_bearer_token_calls_need_no_csrf_token(w: World) -> None:
    """An integration sends its token, no cookie: nothing for a browser to forge, so
    its order goes in without a CSRF token."""
    from opsdesk.orders.models import ServiceOrder

    client = Client(enforce_csrf_checks=True)
    body = MATRIX[("POST", "api/v1/orders")].body
    response = client.post(
        "/api/v1/orders",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {w.token}",
    )
    assert classify(response) == ALLOW, response.content
    assert ServiceOrder.objects.filter(external_ref=body["external_ref"]).exists()


def _exempt_views() -> set[tuple[str, str]]:
    """Every (method, pattern) whose view skips the CSRF check: Django views marked
    csrf_exempt, and django-ninja operations with no cookie authentication that
    checks CSRF (django-ninja exempts all its views from the middleware)."""
    found: set[tuple[str, str]] = set()

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                visit(entry, prefix + str(entry.pattern))

    def visit(pattern: URLPattern, full: str) -> None:
        if full.startswith("admin/"):
            return  # Django's own admin: its views are csrf_protect'ed by Django
        path_view = _ninja_path_view(pattern.callback)
        if path_view is None:
            if getattr(pattern.callback, "csrf_exempt", False):
                found.add(("*", full))
            return
        for op in path_view.operations:
            cookie_auths = [a for a in op.auth_callbacks if hasattr(a, "csrf")]
            checks = all(a.csrf for a in cookie_auths) and not op.csrf_exempt
            if not cookie_auths or not checks:
                found.update((m, full) for m in op.methods if m not in ("HEAD", "OPTIONS"))

    walk(get_resolver(), "")
    return found


def test_only_the_webhooks_skip_the_csrf_check() -> None:
    exempt = _exempt_views()
    assert not {k for k in exempt if k[0] == "*"}, (
        f"csrf_exempt views outside the API: {sorted(exempt)}"
    )
    assert exempt == CSRF_EXEMPT, (
        f"new: {sorted(exempt - CSRF_EXEMPT)}; listed but checking: {sorted(CSRF_EXEMPT - exempt)}"
    )


def test_the_session_api_checks_csrf() -> None:
    """The API's session authentication is django-ninja's cookie authentication with
    its CSRF check on (a subclass could turn it off)."""
    from opsdesk.api.auth import AUTH, SessionAuth

    sessions = [a for a in AUTH if isinstance(a, SessionAuth)]
    assert sessions and all(a.csrf for a in sessions)
