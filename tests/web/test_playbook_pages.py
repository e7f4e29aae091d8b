"""The playbook pages (managers): the active playbooks and one playbook's diagram
with the open cases in each state."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opsdesk.cases.models import Case, CaseStatus
from tests.web.conftest import login

pytestmark = pytest.mark.django_db

NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def cases(make_customer: Callable[..., Any], frozen_clock: Any) -> list[Case]:
    """Three onboarding cases; one is closed, so two are open."""
    for i in range(3):
        make_customer(phone=f"+90532123456{i}", email=f"c{i}@example.com")
    rows = list(Case.objects.order_by("number"))
    assert [c.state for c in rows] == ["intake", "intake", "intake"]
    Case.objects.filter(pk=rows[2].pk).update(status=CaseStatus.CLOSED)
    return rows


def _svg(html: str) -> ET.Element:
    match = re.search(r"<svg .*?</svg>", html, re.S)
    assert match is not None
    return ET.fromstring(match.group())


def test_manager_sees_the_list_with_open_cases(staff: Any, cases: list[Case]) -> None:
    response = login(staff.manager).get("/playbooks/")
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(r'<tr id="playbook-customer-onboarding">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", row.group(1))]
    assert cells == ["customer-onboarding", "v1", "New customer onboarding", "2"]
    assert 'href="/playbooks/"' in html and 'aria-current="page">Playbooks<' in html


def test_manager_sees_the_diagram_with_counts(staff: Any, cases: list[Case]) -> None:
    response = login(staff.manager).get("/playbooks/customer-onboarding/")
    assert response.status_code == 200
    html = response.content.decode()
    root = _svg(html)
    counts = {
        g.get("id"): "".join(g.find(f"{NS}text[@class='count']").itertext())  # type: ignore[union-attr]
        for g in root.iter(f"{NS}g")
        if g.get("class") == "state"
    }
    assert counts == {
        "state-profile_review": "0 open",
        "state-intake": "2 open",
        "state-collecting_documents": "0 open",
        "state-onboarded": "0 open",
        "state-withdrawn": "0 open",
    }
    assert "<details>" in html and "stateDiagram-v2" in html
    assert "    [*] --&gt; profile_review" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "2 open cases." in html


def test_counts_take_one_query(staff: Any, cases: list[Case]) -> None:
    client = login(staff.manager)
    client.get("/playbooks/customer-onboarding/")  # warm the parsed playbook
    with CaptureQueriesContext(connection) as ctx:
        client.get("/playbooks/customer-onboarding/")
    on_cases = [q["sql"] for q in ctx.captured_queries if '"cases_case"' in q["sql"]]
    assert len(on_cases) == 1
    assert "GROUP BY" in on_cases[0]


@pytest.mark.parametrize("url", ["/playbooks/", "/playbooks/customer-onboarding/"])
def test_an_agent_is_refused(staff: Any, onboarding: Any, url: str) -> None:
    response = login(staff.ayse).get(url)
    assert response.status_code == 403
    assert 'href="/playbooks/"' not in response.content.decode()


def test_an_unknown_playbook_is_a_404(staff: Any, onboarding: Any) -> None:
    assert login(staff.manager).get("/playbooks/no-such-thing/").status_code == 404


def test_signed_out_goes_to_login(onboarding: Any) -> None:
    response = Client().get("/playbooks/customer-onboarding/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
