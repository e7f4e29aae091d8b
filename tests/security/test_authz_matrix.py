"""The authorization matrix (tests/security/matrix.py), enforced.

1. Every route the project serves has a row, and every row a route.
2. Each (route, persona) answers as its row says; a refused (or input-refused)
   unsafe request changes nothing: no model gains or loses a row and the
   world's case is as it was; an allowed answer to someone who may not see
   the customer does not show them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.http import HttpResponse

from tests.security.harness import (
    ALLOW,
    DENY,
    INVALID,
    OUTCOME_NAMES,
    PERSONAS,
    SAFE,
    Request,
    classify,
    client_for,
    fill,
    perform,
    snapshot,
    values_for,
)
from tests.security.matrix import MATRIX, R
from tests.security.routes import all_routes, excluded_routes
from tests.security.world import World

# Who must never see Mehmet in an answer; the technician sees him on his job only.
BLIND = ("other_agent", "anonymous")
FIELD_ROUTES = ("my-day/", "api/v1/work-orders")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_route_has_a_row_and_every_row_a_route() -> None:
    routes = {r.key: r for r in all_routes()}
    missing = sorted(set(routes) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(routes))
    assert not missing, "routes without a row in tests/security/matrix.py:\n" + "\n".join(
        f"  {m} /{p}  ({routes[(m, p)].name}, {routes[(m, p)].view})" for m, p in missing
    )
    assert not stale, "matrix rows whose route no longer exists:\n" + "\n".join(
        f"  {m} /{p}" for m, p in stale
    )


def test_matrix_rows_are_well_formed() -> None:
    for key, row in MATRIX.items():
        assert len(row.expect) == len(PERSONAS), key
        assert set(row.expect) <= {ALLOW, DENY, INVALID}, key


def test_the_excluded_admin_is_for_superusers_only(world: World, db: Any) -> None:
    """The Django admin is out of the matrix (Django's own gate): only the superuser
    gets in; everyone else is sent to the admin's sign-in page."""
    assert excluded_routes(), "the exclusion list names routes that exist"
    for persona in PERSONAS:
        client, headers = client_for(persona, world)
        response = client.get("/admin/", **headers)
        if persona == "admin":
            assert response.status_code == 200, persona
        else:
            assert response.status_code == 302, persona
            assert response["Location"].startswith("/admin/login/"), persona


def _filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: str(ids[m.group(1)]), value)
    if isinstance(value, dict):
        return {k: _filled(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, ids) for v in value]
    return value


def _body(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content


CASES = [
    pytest.param(key, persona, id=f"{key[0]} /{key[1]} as {persona}")
    for key in sorted(MATRIX)
    for persona in PERSONAS
]


@pytest.mark.parametrize(("key", "persona"), CASES)
def test_route_as_persona(key: tuple[str, str], persona: str, w: World) -> None:
    method, pattern = key
    row: R = MATRIX[key]
    expected = row.expect[PERSONAS.index(persona)]
    values = values_for(persona, w)
    path = fill(pattern, values) + _filled(row.query, values)
    req = Request(method, path, _filled(row.body, values), pattern.startswith("api/"))
    client, headers = client_for(persona, w)
    before = snapshot(w) if method not in SAFE else None

    response = perform(client, headers, req)

    got = classify(response)
    detail = f"{method} {path} as {persona}: HTTP {response.status_code}"
    if row.bug:
        detail += f"\nknown bug: {row.bug}"
    assert got == expected, (
        f"{detail}, {OUTCOME_NAMES.get(got, got)}; the matrix says "
        f"{OUTCOME_NAMES[expected]}" + (f" ({row.note})" if row.note else "")
    )
    if before is not None and expected in (DENY, INVALID):
        assert snapshot(w) == before, f"{detail} was refused but changed something"
    blind = (
        persona in BLIND
        or (persona == "customer" and not pattern.startswith("c/"))
        or (persona == "technician" and not pattern.startswith(FIELD_ROUTES))
    )
    if got == ALLOW and blind:
        body = _body(response)
        for secret in (w.customer.pk, w.case.pk, w.case.number, w.customer.given_name):
            assert secret.encode() not in body, f"{detail} shows {secret!r}"


SEARCHES = ("/customers/?q=Demir", "/contacts/new/?q=Demir", "/api/v1/contacts/tickets?q=Demir")


@pytest.mark.parametrize("url", SEARCHES)
def test_searches_find_the_customer_only_for_those_who_may_see_him(url: str, w: World) -> None:
    """The matrix's "shows nothing" check on searches is not vacuous: the same search
    finds Mehmet for his agent."""
    for persona, sees in (("agent", True), ("other_agent", False), ("technician", False)):
        client, headers = client_for(persona, w)
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, persona)
        body = response.content
        found = w.case.number.encode() in body or w.customer.pk.encode() in body
        assert found is sees, (url, persona)
