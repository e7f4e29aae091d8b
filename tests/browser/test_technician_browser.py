"""The technician's day on a phone-sized screen (390×844) in Chromium: sign in, see
today's route, start travel (On the way, with the ETA), arrive, and complete with
a part used and a photo; the van's stock drops by exactly that part."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect

from opsdesk.field.models import StockLevel, StockMove, WorkOrder, WorkOrderPhoto, WorkOrderStatus
from tests.browser.conftest import DEFAULT_TIMEOUT_MS
from tests.browser.test_queues_browser import sign_in, watch
from tests.web.conftest import make_customer as make_customer  # a fixture, used by name
from tests.web.test_dispatch_views import Day, at, put
from tests.web.test_dispatch_views import day as day  # a fixture, used by name
from tests.web.test_technician_views import PNG

PHONE = {"width": 390, "height": 844}
IST = ZoneInfo("Europe/Istanbul")


def test_a_technician_works_through_a_job_on_the_phone(
    live_server: Any,
    playwright_browser: Browser,
    day: Day,
    frozen_clock: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    boiler1, fiber = day.wo["boiler1"], day.wo["fiber"]
    put(boiler1, day.ali, 1, at(9))
    put(fiber, day.ali, 2, at(10, 30))
    frozen_clock.set_now(at(8, 30).astimezone(dt.UTC))
    context = playwright_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page: Page = context.new_page()
    try:
        problems = watch(page)
        sign_in(page, live_server.url, "ayse", "pw-ayse-123")
        # (The agent pages' navigation does not wrap on a phone yet: app.css.)
        page.goto(live_server.url + "/my-day/")
        expect(page.get_by_role("link", name="My day")).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("heading", name="My day · Fri 30 Oct")).to_be_visible()
        stops = page.get_by_role("article")
        expect(stops).to_have_count(2)
        first = page.get_by_role("article", name="09:00 · Büyükdere Cd. 1, Şişli")
        expect(stops.nth(0)).to_contain_text("Büyükdere Cd. 1, Şişli")
        expect(stops.nth(1)).to_contain_text("Levent 3")
        expect(first).to_contain_text("Amira Hassan")
        expect(first.get_by_role("link", name="+905321234567")).to_have_attribute(
            "href", "tel:+905321234567"
        )
        # Nothing sticks out sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        first.get_by_role("button", name="Start travel").click()
        first = page.get_by_role("article", name="09:00 · Büyükdere Cd. 1, Şişli")
        expect(first).to_contain_text("On the way")
        wo = WorkOrder.objects.get(pk=boiler1.pk)
        assert wo.status == WorkOrderStatus.TRAVELLING and wo.eta is not None
        eta = wo.eta.astimezone(IST).strftime("%H:%M")
        expect(first.locator(".eta")).to_have_text(f"ETA {eta}")
        expect(page.get_by_role("status")).to_contain_text(f"ETA {eta} sent to the customer")

        first.get_by_role("button", name="Arrived").click()
        first = page.get_by_role("article", name="09:00 · Büyükdere Cd. 1, Şişli")
        expect(first).to_contain_text("On site")
        assert WorkOrder.objects.get(pk=boiler1.pk).status == WorkOrderStatus.ON_SITE

        before = StockLevel.objects.get(location=day.ali_van, part__sku="FLT-10").quantity
        form = first.get_by_role("form", name="Complete Büyükdere Cd. 1, Şişli")
        expect(form.get_by_label("FLT-10")).to_have_value("1")  # the job's required part
        expect(form.get_by_label("ONT-1")).to_have_value("0")
        form.get_by_label("Notes").fill("Filter replaced")
        form.get_by_label("Photos").set_input_files(
            files=[{"name": "boiler.png", "mimeType": "image/png", "buffer": PNG}]
        )
        form.get_by_role("button", name="Complete").click()
        expect(page.get_by_role("status")).to_have_text("Done: Büyükdere Cd. 1, Şişli.")
        first = page.get_by_role("article", name="09:00 · Büyükdere Cd. 1, Şişli")
        expect(first).to_contain_text("Done at 08:30")
        expect(first.get_by_role("button")).to_have_count(0)

        wo = WorkOrder.objects.get(pk=boiler1.pk)
        assert (wo.status, wo.notes) == (WorkOrderStatus.DONE, "Filter replaced")
        after = StockLevel.objects.get(location=day.ali_van, part__sku="FLT-10").quantity
        assert (before, after) == (2, 1)
        assert StockLevel.objects.get(location=day.ali_van, part__sku="ONT-1").quantity == 1
        used = StockMove.objects.get(work_order=wo)
        assert (used.kind, used.quantity, used.part.sku) == ("USED", 1, "FLT-10")
        photo = WorkOrderPhoto.objects.get(work_order=wo)
        assert photo.content_type == "image/png"
        assert photo.image.read() == PNG
        # The next stop is now the one to start.
        expect(page.get_by_role("article", name="10:30 · Levent 3")).to_contain_text("Planned")
        assert problems == []
    finally:
        context.close()
