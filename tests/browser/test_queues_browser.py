"""The queues in Chromium: an agent routes an order from the exceptions queue, and a
retention agent records a root cause and wins a customer back.

Data is set up through the domain functions (as the sales channel and the
confirmation call would); the clock is frozen on Wednesday 28 October 2026.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import ConsoleMessage, Page, Response, expect

from opsdesk.cases.models import Case, CaseMilestone
from opsdesk.common.actors import Actor
from opsdesk.orders.intake import orders_receive
from opsdesk.orders.models import ServiceOrder
from tests.orders.test_intake import order
from tests.web.test_retention_queue import to_retention

CHANNEL = Actor("api:channel-telesales")


def submit(page: Page, action: Callable[[], None]) -> Response:
    """Run an action that posts a form through htmx; wait for the swap."""
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        action()
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    return info.value


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()


def watch(page: Page) -> list[str]:
    """Script errors and CSP violations: the pages must have none."""
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and "422" not in msg.text and "409" not in msg.text:
            problems.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm's "are you sure?"
    return problems


def test_an_agent_routes_an_order_from_the_exceptions_queue(
    live_server: Any,
    page: Page,
    service_desk: Any,
    frozen_clock: Any,
) -> None:
    now = frozen_clock.now()
    frozen_clock.set_now(now - dt.timedelta(hours=1))
    izmir_data = order("TS-IZM", city="İzmir", postcode="35000", latitude=38.42, longitude=27.14)
    orders_receive(service_desk.channel, [izmir_data], CHANNEL)
    frozen_clock.set_now(now)
    bursa_data = order(
        "TS-BUR",
        given_name="Zeynep",
        family_name="Kaya",
        phone="+905327654321",
        city="Bursa",
        postcode="16000",
        latitude=40.21,
        longitude=28.95,
    )
    orders_receive(service_desk.channel, [bursa_data], CHANNEL)
    problems = watch(page)
    sign_in(page, live_server.url, "cem", "pw-cem-123")
    page.get_by_role("link", name="Exceptions").click()
    expect(page.get_by_role("heading", name="Exceptions", level=1)).to_be_visible()
    queue = page.get_by_role("table", name="Awaiting manual routing")
    expect(queue.get_by_role("row")).to_have_count(3)  # the header and two orders
    expect(queue.get_by_role("row").nth(1)).to_contain_text("TS-IZM")
    expect(queue.get_by_role("row").nth(1)).to_contain_text("Outside every zone")

    # Route without a team: the error sits at the field.
    form = page.get_by_role("form", name="Route order TS-IZM")
    assert submit(page, form.get_by_role("button", name="Route").click).status == 422
    form = page.get_by_role("form", name="Route order TS-IZM")
    expect(form.get_by_text("choose a team", exact=True)).to_be_visible()

    form.get_by_label("Team").select_option(label="Istanbul COBO")
    form.get_by_label("Priority").select_option(label="High")
    submit(page, form.get_by_role("button", name="Route").click)
    izmir = ServiceOrder.objects.select_related("case").get(external_ref="TS-IZM")
    assert (izmir.status, izmir.priority, izmir.team.name) == ("ACCEPTED", "HIGH", "Istanbul COBO")
    expect(page.get_by_role("status")).to_have_text(
        f"Order TS-IZM (Telesales) routed to Istanbul COBO: case {izmir.case.number} opened."
    )
    expect(page.get_by_role("form", name="Route order TS-IZM")).to_have_count(0)
    expect(page.get_by_role("form", name="Route order TS-BUR")).to_have_count(1)
    assert problems == []


def test_a_retention_agent_records_the_root_cause_and_wins_the_customer_back(
    live_server: Any,
    page: Page,
    service_desk: Any,
    frozen_clock: Any,
) -> None:
    ahmet = to_retention(service_desk, "TS-1", "reject", "+905321110001", "Ahmet")
    elif_ = to_retention(service_desk, "TS-2", "no_answer", "+905321110002", "Elif")
    problems = watch(page)
    sign_in(page, live_server.url, "rana", "pw-rana-123")
    page.get_by_role("link", name="Retention", exact=True).click()
    expect(page.get_by_role("heading", name="Retention", level=1)).to_be_visible()
    card = page.get_by_role("article", name="Ahmet Demir")
    expect(card).to_contain_text("Rejected")
    expect(page.get_by_role("article", name="Elif Demir")).to_contain_text("Not responding")

    # The root cause is required.
    card.get_by_label("Retention notes").fill("Found a cheaper offer")
    assert submit(page, card.get_by_role("button", name="Record the call").click).status == 422
    card = page.get_by_role("article", name="Ahmet Demir")
    expect(card.get_by_text("this field is required")).to_be_visible()
    expect(card.get_by_label("Retention notes")).to_have_value("Found a cheaper offer")

    card.get_by_label(re.compile(r"^Root cause")).select_option(label="Price")
    submit(page, card.get_by_role("button", name="Record the call").click)
    expect(page.get_by_role("status")).to_have_text(
        f"Retention call of case {ahmet.number} recorded."
    )
    card = page.get_by_role("article", name="Ahmet Demir")
    expect(card).to_contain_text("Root cause: price")
    ahmet.refresh_from_db()
    assert (ahmet.fields["rejection_cause"], ahmet.fields["retention_notes"]) == (
        "price",
        "Found a cheaper offer",
    )

    submit(page, card.get_by_role("button", name="Won back — book a visit").click)
    expect(page.get_by_role("status")).to_have_text(
        f"Case {ahmet.number}: Won back — book a visit. Now: Visit scheduled."
    )
    expect(page.get_by_role("article", name="Ahmet Demir")).to_have_count(0)
    expect(page.get_by_role("article", name="Elif Demir")).to_have_count(1)
    ahmet.refresh_from_db()
    assert ahmet.state == "scheduled"
    assert CaseMilestone.objects.filter(case=ahmet, name="won_back").count() == 1
    assert Case.objects.get(pk=elif_.pk).state == "retention"
    assert problems == []
