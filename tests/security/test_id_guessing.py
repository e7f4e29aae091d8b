"""Guessing ids: another customer's id or token, or a made-up one, in a customer
link or a resource path is refused (404/403) and shows nothing of anyone; files
(quote and invoice PDFs, document packs, uploaded documents) are served only
after an authorization check."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.security.harness import (
    DENY,
    PARAM,
    PERSONAS,
    SAFE,
    Request,
    classify,
    client_for,
    fill,
    perform,
    snapshot,
)
from tests.security.matrix import MATRIX
from tests.security.world import MISSING, NOW, World

PORTAL = [key for key in sorted(MATRIX) if key[1].startswith("c/")]
# URL parameters that name an object (ids), by the prefix their values carry.
ID_PARAMS = (
    "customer_id",
    "case_id",
    "task_id",
    "quote_id",
    "invoice_id",
    "retainer_id",
    "contact_id",
    "testimonial_id",
    "work_order_id",
    "technician_id",
    "order_id",
    "document_id",
)
# The other customer's object for a parameter, where the world has one.
OTHERS = {
    "customer_id": "other_customer_id",
    "case_id": "other_case_id",
    "quote_id": "other_quote_id",
    "invoice_id": "other_invoice_id",
    "document_id": "other_document_id",
}


def _secrets(w: World) -> list[str]:
    """What must not appear in an answer to a guess: both customers' names and ids."""
    return [
        w.customer.given_name,
        w.customer.pk,
        w.case.number,
        w.other_customer.given_name,
        w.other_customer.family_name,
        w.other_customer.pk,
        w.other_case.number,
    ]


def _tampered_tokens(w: World) -> dict[str, str]:
    payload, stamp, signature = w.link.split(":")
    other_payload = w.other_link.split(":")[0]
    return {
        "random": "x" * len(w.link),
        "other case, my signature": f"{other_payload}:{stamp}:{signature}",
        "my case, other signature": f"{payload}:{stamp}:{w.other_link.split(':')[2]}",
        "truncated": w.link[:-3],
        "no signature": f"{payload}:{stamp}",
        "bare case id": w.case.pk,
    }


def _assert_reveals_nothing(body: bytes, w: World, what: str) -> None:
    for secret in _secrets(w):
        assert secret.encode() not in body, f"{what} shows {secret!r}"


@pytest.mark.parametrize("key", PORTAL, ids=[f"{m} /{p}" for m, p in PORTAL])
def test_a_forged_or_altered_customer_link_is_refused(key: tuple[str, str], w: World) -> None:
    method, pattern = key
    for name, token in _tampered_tokens(w).items():
        before = snapshot(w) if method not in SAFE else None
        response = perform(
            Client(), {}, Request(method, fill(pattern, {"token": token}), {}, api=False)
        )
        what = f"{method} /{pattern} with a {name} token"
        assert response.status_code == 404, f"{what}: HTTP {response.status_code}"
        _assert_reveals_nothing(response.content, w, what)
        if before is not None:
            assert snapshot(w) == before, f"{what} changed something"


def test_an_expired_customer_link_is_refused(w: World) -> None:
    from opsdesk.common import clock

    clock.set_now(NOW + dt.timedelta(days=settings.OPSDESK_CUSTOMER_LINK_DAYS, hours=1))
    response = Client().get(f"/c/{w.link}/")
    assert response.status_code == 404
    _assert_reveals_nothing(response.content, w, "an expired link")


def test_each_customer_link_shows_only_its_own_customer(w: World) -> None:
    mine = Client().get(f"/c/{w.link}/")
    theirs = Client().get(f"/c/{w.other_link}/")
    assert mine.status_code == theirs.status_code == 200
    assert w.other_customer.given_name.encode() not in mine.content
    assert w.other_case.number.encode() not in mine.content
    assert w.customer.given_name.encode() not in theirs.content
    assert w.case.number.encode() not in theirs.content


def _guesses(w: World) -> list[tuple[str, str, str]]:
    """(parameter, label, value): another customer's id where the world has one, and
    a made-up id with the right prefix."""
    out = []
    for param in ID_PARAMS:
        real = w.ids[param]
        prefix = real.split("_")[0] + "_" if "_" in real else ""
        out.append((param, "made-up", prefix + MISSING))
        if param in OTHERS:
            out.append((param, "the other customer's", w.ids[OTHERS[param]]))
    return out


# Multipart only: django-ninja refuses a JSON body (422) before the id is looked at.
SCHEMA_FIRST = {("POST", "api/v1/customers/<customer_id>/documents/upload")}
ID_ROUTES = [
    key
    for key in sorted(MATRIX)
    if key not in SCHEMA_FIRST and any(m.group("name") in ID_PARAMS for m in PARAM.finditer(key[1]))
]


@pytest.mark.parametrize("key", ID_ROUTES, ids=[f"{m} /{p}" for m, p in ID_ROUTES])
def test_a_guessed_id_in_a_path_is_refused(key: tuple[str, str], w: World) -> None:
    """As the admin (who may see everything, so a guess that answers is a wrong
    object, not a permission) a made-up id is a 404; as Mehmet's agent (who may
    not see Zeynep, of Ankara), Zeynep's ids are refused too. Neither answer
    names the other customer."""
    method, pattern = key
    params = {m.group("name") for m in PARAM.finditer(pattern)}
    row = MATRIX[key]
    for param, label, value in _guesses(w):
        if param not in params:
            continue
        personas = ("agent",) if label == "the other customer's" else ("admin", "agent")
        for persona in personas:
            values = {**w.ids, param: value}
            client, headers = client_for(persona, w)
            before = snapshot(w) if method not in SAFE else None
            body: Any = row.body
            if isinstance(body, dict):
                body = {k: (value if v == "{" + param + "}" else v) for k, v in body.items()}
                body = {
                    k: (w.ids[v[1:-1]] if isinstance(v, str) and v[:1] == "{" else v)
                    for k, v in body.items()
                }
            req = Request(method, fill(pattern, values), body, pattern.startswith("api/"))
            response = perform(client, headers, req)
            what = f"{method} {req.path} as {persona} ({label} {param})"
            assert classify(response) == DENY, f"{what}: HTTP {response.status_code}"
            content = response.content if not response.streaming else b""
            for secret in (w.other_customer.given_name, w.other_customer.family_name):
                assert secret.encode() not in content, f"{what} shows {secret!r}"
            if before is not None:
                assert snapshot(w) == before, f"{what} changed something"


FILES = [
    ("UI quote PDF", "/quotes/{other_quote_id}/pdf"),
    ("UI invoice PDF", "/invoices/{other_invoice_id}/pdf"),
    ("UI document pack", "/customers/{other_customer_id}/documents/pack.zip"),
    ("API quote PDF", "/api/v1/quotes/{other_quote_id}/pdf"),
    ("API document pack", "/api/v1/customers/{other_customer_id}/documents/pack.zip"),
]


@pytest.mark.parametrize(("label", "url"), FILES, ids=[f[0] for f in FILES])
def test_files_are_served_only_after_an_authorization_check(label: str, url: str, w: World) -> None:
    """Zeynep's files: her team and the admin get them; Mehmet's agent, the other
    personas and the customer link's holder do not."""
    path = url.format(**w.ids)
    for persona in PERSONAS:
        client, headers = client_for(persona, w)
        response = client.get(path, **headers)
        got = classify(response)
        if persona == "admin":
            assert response.status_code == 200, f"{label} as admin: {response.status_code}"
        else:
            assert got == DENY, f"{label} as {persona}: HTTP {response.status_code}"
            assert "pdf" not in response.get("Content-Type", ""), label
            assert "zip" not in response.get("Content-Type", ""), label


def test_uploaded_files_have_no_public_url(w: World) -> None:
    """Uploads live under MEDIA_ROOT and no URL serves that folder: a document is
    read only through the views above."""
    name = w.ids["document_file"]
    for prefix in ("/media/", "/static/", "/"):
        response = Client().get(prefix + name)
        assert response.status_code == 404, prefix + name
