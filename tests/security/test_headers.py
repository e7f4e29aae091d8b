"""The Content-Security-Policy and the other security headers, exactly, on a UI page,
an API answer, a customer-link page and a rate-limit refusal."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsdesk.portal.links import case_link
from tests.portal.conftest import VISIT
from tests.portal.helpers import confirm, install_desk, receive_order
from tests.security.limits import tight

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def security_headers(response: Any) -> dict[str, str | None]:
    return {name: response.get(name) for name in HEADERS}


def test_a_ui_page(staff: Any) -> None:
    client = Client()
    client.force_login(staff.ayse.user)
    page = client.get("/tasks/")
    assert page.status_code == 200
    assert security_headers(page) == HEADERS
    signin = Client().get("/login/")
    assert signin.status_code == 200
    assert security_headers(signin) == HEADERS


def test_an_api_answer(staff: Any) -> None:
    ok = Client().get("/api/v1/customers/cus_nope", HTTP_AUTHORIZATION=f"Bearer {staff.token}")
    assert ok.status_code == 404
    assert ok["Content-Type"] == "application/json; charset=utf-8"
    assert security_headers(ok) == HEADERS
    refused = Client().get("/api/v1/customers/cus_nope")
    assert refused.status_code == 401
    assert security_headers(refused) == HEADERS


def test_a_customer_link_page(frozen_clock: Any) -> None:
    case = confirm(receive_order(install_desk(), "TS-1"), VISIT)
    page = Client().get(case_link(case.pk))
    assert page.status_code == 200
    assert security_headers(page) == HEADERS
    forged = Client().get("/c/not-a-link/")
    assert forged.status_code == 404
    assert security_headers(forged) == HEADERS


def test_a_rate_limit_refusal(settings: Any) -> None:
    tight(settings, customer_link=1)
    Client().get("/c/not-a-link/")
    refused = Client().get("/c/not-a-link/")
    assert refused.status_code == 429
    assert security_headers(refused) == HEADERS


def test_no_template_has_an_inline_script_handler_or_style() -> None:
    """What lets the policy go without 'unsafe-inline' for scripts and styles."""
    import re
    from pathlib import Path

    import opsdesk

    root = Path(opsdesk.__file__).parent
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=", re.IGNORECASE
    )
    found = [
        f"{path.relative_to(root)}: {m.group(0)}"
        for path in sorted(root.glob("*/templates/**/*.html"))
        for m in inline.finditer(re.sub(r"{#.*?#}", "", path.read_text(), flags=re.DOTALL))
    ]
    assert found == []
