"""The public request form in Chromium: a customer enters a return date before the
departure, sees the error next to that field with everything else kept, fixes it
and gets the case number. The clock is frozen on Wednesday 28 October 2026."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import ConsoleMessage, Page, expect

from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_install
from tests.intake.conftest import PLAYBOOK


def test_a_customer_sends_a_request_from_the_public_form(
    live_server: Any, page: Page, staff: Any, frozen_clock: Any
) -> None:
    playbook_install(PLAYBOOK)
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        # CSP violations and script errors show up here; the page must have none
        # (the refused post's 422 is logged too, and expected).
        if msg.type in ("error", "warning") and "status of 422" not in msg.text:
            problems.append(msg.text)

    page.on("console", on_console)
    page.goto(live_server.url + "/request/trips/")
    expect(page.get_by_role("heading", name="Plan your trip")).to_be_visible()
    page.get_by_label("Given name").fill("Elif")
    page.get_by_label("Family name").fill("Demir")
    page.get_by_label("Phone").fill("+90 532 765 43 21")
    page.get_by_label("Email").fill("elif@example.com")
    page.get_by_label("Type of service").select_option("airport_transfer")
    page.get_by_label("Travel date (from)").fill("2026-12-10")
    page.get_by_label("Travel date (until)").fill("2026-12-01")
    page.get_by_role("button", name="Send request").click()

    expect(page.locator("#err-return_date")).to_have_text(
        "the return date is before the departure date"
    )
    expect(page.get_by_label("Travel date (until)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Given name")).to_have_value("Elif")
    expect(page.get_by_label("Type of service")).to_have_value("airport_transfer")
    assert Case.objects.count() == 0

    page.get_by_label("Travel date (until)").fill("2026-12-14")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#request-done")).to_have_text(
        "Your request TRP-2026-000001 is received; we have sent a confirmation to elif@example.com."
    )
    case = Case.objects.get()
    assert (case.number, case.fields["return_date"]) == ("TRP-2026-000001", "2026-12-14")
    assert problems == []
