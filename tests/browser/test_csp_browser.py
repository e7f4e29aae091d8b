"""The Content-Security-Policy in Chromium: the main pages load and work with it,
and none of them makes the browser report a violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from playwright.sync_api import Error as PlaywrightError

from opsdesk.cases.playbooks import playbook_install
from opsdesk.portal.links import case_link
from opsdesk.staff.services import agent_create
from tests.intake.conftest import PLAYBOOK
from tests.portal.conftest import VISIT
from tests.portal.helpers import confirm, install_desk, receive_order

PAGES = [
    "/tasks/",
    "/customers/",
    "/customers/new/",
    "/contacts/new/",
    "/exceptions/",
    "/retention/",
    "/dispatch/",
    "/playbooks/",
    "/testimonials/",
    "/retainers/",
]


def watch(page: Page) -> list[str]:
    messages: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        messages.append(f"{msg.type}: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    return messages


def csp_problems(messages: list[str]) -> list[str]:
    return [m for m in messages if "Content Security Policy" in m or m.startswith("pageerror")]


def test_the_main_pages_break_no_rule_of_the_policy(
    live_server: Any, page: Page, frozen_clock: Any
) -> None:
    case = confirm(receive_order(install_desk(), "TS-1"), VISIT)
    playbook_install(PLAYBOOK)
    agent_create(username="maria", name="Maria Manager", password="pw-maria-123", role="manager")
    messages = watch(page)
    base = live_server.url

    # Public pages: the customer link and the public request form.
    for path in (case_link(case.pk), "/request/trips/"):
        response = page.goto(base + path)
        assert response is not None and (path, response.status) == (path, 200)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    # The sign-in page, then the agent's pages, signed in through the form.
    page.goto(base + "/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("pw-maria-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    for path in PAGES:
        response = page.goto(base + path)
        assert response is not None and (path, response.status) == (path, 200)
        page.wait_for_load_state("load")
    assert csp_problems(messages) == []

    # The policy is in force, and the listener hears a violation: an inline script
    # is refused.
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(content="document.title = 'inline ran'")
    page.wait_for_timeout(200)
    assert page.title() != "inline ran"
    assert any("Content Security Policy" in m for m in messages)


def test_the_api_docs_page_runs_from_our_own_static_files(live_server: Any, page: Page) -> None:
    # django-ninja's Swagger UI: served from /static/ninja/, no CDN, no inline script.
    messages = watch(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(live_server.url + "/api/v1/docs")
    assert response is not None and response.status == 200
    expect(page.get_by_text("Get Customer", exact=True).first).to_be_visible()
    assert csp_problems(messages) == []
    assert [url for url in requested if not url.startswith(live_server.url)] == []
