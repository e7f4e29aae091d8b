"""The customer link in Chromium on a phone-sized screen: the customer opens the
link from the "visit scheduled" message, moves the visit to another slot and
sees the new time, then adds it to the calendar.

The clock is frozen on Wednesday 28 October 2026, 10:00 in Istanbul; the visit
is booked for Tuesday 3 November, 09:00–11:00.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import icalendar
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from opsdesk.portal.links import case_link
from opsdesk.scheduling.models import Appointment
from tests.portal.helpers import confirm, install_desk, receive_order

VISIT = dt.datetime(2026, 11, 3, 6, 0, tzinfo=dt.UTC)
NEW_SLOT = dt.datetime(2026, 11, 5, 11, 0, tzinfo=dt.UTC)  # Thursday 14:00 in Istanbul
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone_page(playwright_browser: Browser) -> Iterator[Page]:
    context = playwright_browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_customer_moves_the_visit_from_the_link(
    live_server: Any, phone_page: Page, frozen_clock: Any, tmp_path: Path
) -> None:
    page = phone_page
    case = confirm(receive_order(install_desk(), "TS-1"), VISIT)
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        # CSP violations and script errors show up here; the page must have none.
        if msg.type in ("error", "warning"):
            problems.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    response = page.goto(live_server.url + case_link(case.pk))
    assert response is not None and response.status == 200
    expect(page.locator("#status-line")).to_have_text(
        "Ziyaretiniz 3 Kasım 2026 Salı, 09:00–11:00 için planlandı."
    )
    expect(page.locator("#visit-time")).to_have_text("3 Kasım 2026 Salı, 09:00–11:00")
    # Phone-sized: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    thursday = page.get_by_role("group", name="5 Kasım 2026 Perşembe")
    thursday.get_by_text("14:00–16:00", exact=True).click()
    expect(thursday.get_by_label("14:00–16:00")).to_be_checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Randevumu taşı").click()

    expect(page.get_by_role("status")).to_have_text(
        "Ziyaretiniz 5 Kasım 2026 Perşembe, 14:00–16:00 olarak değişti."
    )
    expect(page.locator("#visit-time")).to_have_text("5 Kasım 2026 Perşembe, 14:00–16:00")
    expect(page.locator("#status-line")).to_have_text(
        "Ziyaretiniz 5 Kasım 2026 Perşembe, 14:00–16:00 için planlandı."
    )
    # The slot now taken is no longer offered; the old one is free again.
    expect(page.locator(f'input[value="{NEW_SLOT.isoformat()}"]')).to_have_count(0)
    expect(page.locator(f'input[value="{VISIT.isoformat()}"]')).to_have_count(1)
    assert list(
        Appointment.objects.filter(case=case, status="BOOKED").values_list("start", "sequence")
    ) == [(NEW_SLOT, 1)]

    with page.expect_download() as info:
        page.get_by_role("link", name="Takvime ekle").click()
    path = tmp_path / "visit.ics"
    info.value.save_as(path)
    (event,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert (str(event["uid"]), event["sequence"], event["dtstart"].dt) == (
        f"{case.pk}@opsdesk",
        1,
        NEW_SLOT,
    )
    assert problems == []
