"""Performing a matrix request as a persona, classifying the answer, and the
"nothing changed" snapshot."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client

from tests.security.world import World

PERSONAS = (
    "admin",  # a superuser
    "manager",  # manager of Istanbul COBO, the team that owns the case
    "agent",  # agent of Istanbul COBO
    "other_agent",  # agent of Sales, another team
    "technician",  # a field technician (an agent without a team) with a job on the case
    "integration",  # the telesales channel's integration user, by Bearer token
    "customer",  # Mehmet, through his customer link (no session)
    "anonymous",  # nothing at all
)
SAFE = frozenset({"GET"})
STAFF = ("admin", "manager", "agent", "other_agent", "technician")
ALLOW, DENY, INVALID = "A", "D", "I"
OUTCOME_NAMES = {ALLOW: "allowed", DENY: "refused", INVALID: "input refused"}
# A customer link with a forged signature: what anyone but the customer holds.
FORGED = "ImNhc2VfZm9yZ2VkIg:1xLxdg:forgedforgedforgedforgedforgedforgedforge"
PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict[str, Any] | None
    api: bool


def fill(pattern: str, values: dict[str, str]) -> str:
    return "/" + PARAM.sub(lambda m: str(values[m.group("name")]), pattern)


def client_for(persona: str, w: World) -> tuple[Client, dict[str, str]]:
    """A test client as the persona, and the headers every request carries."""
    client = Client()
    headers: dict[str, str] = {}
    if persona in STAFF:
        client.force_login(w.users[persona])
    elif persona == "integration":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {w.token}"
    return client, headers


def values_for(persona: str, w: World) -> dict[str, str]:
    """URL parameters: the world's ids; the customer link only for the customer."""
    values = dict(w.ids)
    if persona != "customer":
        values["token"] = FORGED
    return values


def perform(client: Client, headers: dict[str, str], req: Request) -> HttpResponse:
    method = req.method.lower()
    call = getattr(client, method)
    if req.method == "GET":
        return call(req.path, **headers)
    if req.api:
        return call(
            req.path, json.dumps(req.body or {}), content_type="application/json", **headers
        )
    if req.method == "POST":
        return call(req.path, req.body or {}, **headers)
    return call(req.path, "", **headers)


def is_login_redirect(response: HttpResponse) -> bool:
    login = resolve_url(settings.LOGIN_URL)
    if response.status_code in (301, 302, 303, 307, 308):
        return response["Location"].split("?")[0].endswith(login)
    return response.status_code == 204 and response.get("HX-Redirect", "").startswith(login)


def classify(response: HttpResponse) -> str:
    code = response.status_code
    if is_login_redirect(response) or code in (401, 403, 404):
        return DENY
    if code < 400:
        return ALLOW
    if code in (400, 409, 422):
        return INVALID
    return f"HTTP {code}"


def snapshot(w: World) -> dict[str, Any]:
    """Row counts of every model, and the world's case as it stands."""
    from opsdesk.cases.models import Case

    counts: dict[str, Any] = {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        # Sessions are the sign-in itself (logout deletes one), not data a request changes;
        # rate-limit counters count every request to a public endpoint (tests/security/
        # test_rate_limits.py checks that a refused one writes nothing, counters included).
        if m._meta.managed
        and not m._meta.proxy
        and m._meta.label not in {"sessions.Session", "access.RateCounter"}
    }
    counts["case"] = Case.objects.values("updated_at", "state", "status", "team_id").get(
        pk=w.case.pk
    )
    return counts
