"""The dispatch board in Chromium: a dispatcher plans the day, drags an unplanned
job onto a technician's timeline, and sees a drag onto a technician without the
skill refused with nothing changed. The clock is frozen on Wednesday 28 October
2026; the board shows Friday the 30th."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from opsdesk.field.models import WorkOrder, WorkOrderStatus
from tests.browser.test_queues_browser import sign_in, submit, watch
from tests.web.conftest import make_customer as make_customer  # a fixture, used by name
from tests.web.test_dispatch_views import Day, state
from tests.web.test_dispatch_views import day as day  # fixtures, used by name
from tests.web.test_dispatch_views import planned as planned  # a fixture, used by name

BOARD = "/dispatch/?date=2026-10-30"


def open_board(page: Page, base: str) -> None:
    sign_in(page, base, "maria", "pw-maria-123")
    page.goto(base + "/dispatch/")
    expect(page.get_by_role("heading", name="Dispatch · Wed 28 Oct 2026")).to_be_visible()
    expect(page.get_by_role("link", name="Dispatch")).to_have_attribute("aria-current", "page")
    page.goto(base + BOARD)
    expect(page.get_by_role("heading", name="Dispatch · Fri 30 Oct 2026")).to_be_visible()


def row(page: Page, name: str) -> Any:
    return page.get_by_role("region", name=name, exact=True)


def test_the_dispatcher_plans_the_day_from_the_board(
    live_server: Any, page: Page, day: Day
) -> None:
    problems = watch(page)
    open_board(page, live_server.url)
    unplanned = page.get_by_role("region", name="Unplanned (4)")
    expect(unplanned.locator(".unplanned-item")).to_have_count(4)

    assert submit(page, page.get_by_role("button", name="Plan the day").click).status == 302
    expect(page.get_by_role("status")).to_have_text(
        "Day planned: 3 work orders on routes, 1 left unplanned."
    )
    unplanned = page.get_by_role("region", name="Unplanned (1)")
    expect(unplanned).to_contain_text("Eminönü 9")
    expect(unplanned).to_contain_text("no technician has skill gas")
    fiber = WorkOrder.objects.get(pk=day.wo["fiber"].pk)
    assert (fiber.status, fiber.technician_id) == (WorkOrderStatus.PLANNED, day.ali.pk)
    on_ali = WorkOrder.objects.filter(technician=day.ali).count()
    on_can = WorkOrder.objects.filter(technician=day.can).count()
    assert on_ali + on_can == 3
    expect(row(page, "Ayşe Yılmaz").locator(".timeline .block")).to_have_count(on_ali)
    expect(row(page, "John Carter").locator(".timeline .block")).to_have_count(on_can)
    expect(row(page, "Ayşe Yılmaz").locator(".timeline")).to_contain_text("Levent 3")
    expect(page.locator("svg.map polyline.route")).to_have_count(
        sum(1 for n in (on_ali, on_can) if n)
    )
    assert problems == []


def test_dragging_an_unplanned_job_onto_a_technician_places_it(
    live_server: Any, page: Page, planned: Day
) -> None:
    problems = watch(page)
    open_board(page, live_server.url)
    fiber = planned.wo["fiber"]
    item = page.locator(f"#stop-{fiber.pk}")
    timeline = row(page, "Ayşe Yılmaz").locator(".timeline")
    # Dropped at the middle of Ali's day (13:00): after his 09:00 stop.
    response = submit(page, lambda: item.drag_to(timeline))
    assert response.status == 302
    expect(page.get_by_role("status")).to_have_text("Levent 3: moved to Ayşe Yılmaz, stop 2.")
    blocks = row(page, "Ayşe Yılmaz").locator(".timeline .block")
    expect(blocks).to_have_count(2)
    expect(blocks.nth(1)).to_contain_text("Levent 3")
    expect(page.get_by_role("region", name="Unplanned (1)")).to_be_visible()
    fiber.refresh_from_db()
    assert (fiber.status, fiber.technician_id, fiber.route_position) == (
        WorkOrderStatus.PLANNED,
        planned.ali.pk,
        2,
    )
    assert problems == []


def test_dragging_a_job_onto_a_technician_without_the_skill_is_refused(
    live_server: Any, page: Page, planned: Day
) -> None:
    problems = watch(page)
    open_board(page, live_server.url)
    before = state()
    fiber = planned.wo["fiber"]
    response = submit(
        page,
        lambda: page.locator(f"#stop-{fiber.pk}").drag_to(
            row(page, "John Carter").locator(".timeline")
        ),
    )
    assert response.status == 409
    alert = page.get_by_role("alert").filter(has_text="The move was refused")
    expect(alert).to_contain_text("Levent 3: John Carter lacks skill fiber-splice")
    expect(row(page, "John Carter").locator(".timeline .block")).to_have_count(1)
    expect(page.get_by_role("region", name="Unplanned (2)")).to_contain_text("Levent 3")
    assert state() == before
    assert problems == []


def test_moving_without_dragging(live_server: Any, page: Page, planned: Day) -> None:
    """The keyboard (and no-script) way: the work order's own move form."""
    problems = watch(page)
    open_board(page, live_server.url)
    boiler2 = planned.wo["boiler2"]
    form = page.get_by_role("form", name="Move Bağdat Cd. 2, Kadıköy")
    form.get_by_label("Move to").select_option(label="Ayşe Yılmaz")
    form.get_by_label("Stop").fill("2")
    submit(page, form.get_by_role("button", name="Move").click)
    expect(page.get_by_role("status")).to_have_text(
        "Bağdat Cd. 2, Kadıköy: moved to Ayşe Yılmaz, stop 2."
    )
    boiler2.refresh_from_db()
    assert (boiler2.technician_id, boiler2.route_position) == (planned.ali.pk, 2)
    expect(row(page, "John Carter").locator(".timeline .block")).to_have_count(0)
    assert problems == []
