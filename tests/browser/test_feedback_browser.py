"""Feedback in Chromium: the customer opens their link on a phone, gives five stars with
a comment and consent to quote it, and sees the thanks; a manager then finds it on
the testimonials page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from opsdesk.feedback import models as fm
from opsdesk.portal.links import case_link
from tests.feedback.helpers import case_of, install_playbook, new_customer

PHONE = {"width": 390, "height": 844}
COMMENT = "Quick, friendly and everything was ready on time."


@pytest.fixture
def phone_page(playwright_browser: Browser) -> Iterator[Page]:
    context = playwright_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def watch(page: Page) -> list[str]:
    """Script errors and CSP violations: the pages must have none."""
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning"):
            problems.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def test_customer_gives_five_stars_and_a_manager_sees_the_testimonial(
    live_server: Any, phone_page: Page, page: Page, staff: Any, frozen_clock: Any
) -> None:
    install_playbook()
    case = case_of(new_customer())
    customer_problems = watch(phone_page)

    phone_page.goto(live_server.url + case_link(case.pk))
    with phone_page.expect_navigation():
        phone_page.get_by_role("link", name="Give feedback").click()
    expect(phone_page.get_by_role("heading", name="How did we do?")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    phone_page.get_by_text("5 – Excellent", exact=True).click()
    expect(phone_page.get_by_label("5 – Excellent")).to_be_checked()
    phone_page.get_by_label("Your comment (optional)").fill(COMMENT)
    phone_page.get_by_label("You may quote my feedback on your website").check()
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Send my feedback").click()
    expect(phone_page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(phone_page.locator("#feedback-thanks")).to_have_text(
        "Thank you for your feedback. It helps us do better."
    )
    testimonial = fm.Testimonial.objects.get()
    assert (testimonial.rating, testimonial.text) == (5, COMMENT)
    assert customer_problems == []

    manager_problems = watch(page)
    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("pw-maria-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    page.get_by_role("link", name="Testimonials").click()
    row = page.locator(f"#testimonial-{testimonial.pk}")
    expect(row).to_contain_text("Deniz Aksoy")
    expect(row).to_contain_text("5/5")
    expect(row).to_contain_text(COMMENT)
    expect(row).to_contain_text(case.number)
    with page.expect_navigation():
        row.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_have_text("Deniz Aksoy's testimonial published.")
    expect(page.locator(f"#testimonial-{testimonial.pk}")).to_contain_text("Published")
    testimonial.refresh_from_db()
    assert testimonial.published is True
    assert manager_problems == []
