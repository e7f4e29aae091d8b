"""The travel concierge in Chromium: the coordinator takes a relocation request by
phone and reviews it; the specialist quotes it (the playbook's 50% deposit
prefilled), is refused "Start the service" before payment, and the customer pays
the deposit on the test provider's checkout page; the specialist works through the
checklist; the guest services manager approves the quality review.

The worker does not run, so messages and chat posts stay queued.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Response, expect

from opsdesk.billing.models import PaymentLink, Quote
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.cases.playbooks import playbook_install
from opsdesk.comms.models import Message
from opsdesk.staff.models import BusinessCalendar, Team
from opsdesk.staff.services import agent_create
from opsdesk.tasks.models import Task

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "travel-concierge.yaml"
REFUSAL = "No service begins without confirmed payment or deposit"


@pytest.fixture
def agency(db: Any, frozen_clock: Any, settings: Any) -> None:
    settings.OPSDESK_TEST_PAYMENT_SECRET = "browser-test-secret"
    settings.OPSDESK_PAYMENT_PROVIDER = "test"
    playbook_install(PLAYBOOK.read_text(encoding="utf-8"))
    calendar = BusinessCalendar.objects.create(name="Istanbul office", country="TR")
    for username, name, team, role in (
        ("cem", "Cem Koç", "Account coordinators", "agent"),
        ("selin", "Selin Aksoy", "Travel concierge specialists", "agent"),
        ("keila", "Keila Anderson", "Guest services", "manager"),
    ):
        agent_create(
            username=username,
            name=name,
            password=f"pw-{username}-123",
            team=Team.objects.get_or_create(name=team, defaults={"calendar": calendar})[0],
            role=role,
            languages=["en"],
            service_types=[],
        )


def submit(page: Page, action: Callable[[], None]) -> Response:
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        action()
    page.wait_for_load_state()
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    return info.value


def sign_in(browser: Browser, url: str, username: str, problems: list[str]) -> Page:
    """A fresh browser (own cookies) signed in as `username`, on `url`."""
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and "409" not in msg.text and "422" not in msg.text:
            problems.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("dialog", lambda d: d.accept())  # hx-confirm on transition buttons
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"pw-{username}-123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def task_card(page: Page, case: Case, key: str) -> Locator:
    task = Task.objects.get(case=case, key=key, status="OPEN")
    return page.locator(f"#task-{task.pk}")


def test_phone_intake_quote_payment_and_quality_review(
    live_server: Any, playwright_browser: Browser, agency: None
) -> None:
    problems: list[str] = []

    # --- the coordinator takes the call ----------------------------------------------
    cem = sign_in(
        playwright_browser, f"{live_server.url}/requests/new/travel-concierge/", "cem", problems
    )
    expect(cem.get_by_role("heading", name="New request: Tell us about your trip")).to_be_visible()
    cem.get_by_label("Given name").fill("Omar")
    cem.get_by_label("Family name").fill("Haddad")
    cem.get_by_label("Phone", exact=True).fill("+971 50 123 4567")
    cem.get_by_label("Email").fill("omar@example.com")
    cem.get_by_label("Type of service").select_option("relocation")
    cem.get_by_label("Travel date (from)").fill("2026-12-01")
    cem.get_by_label("Travel date (until)").fill("2026-11-20")  # before the departure
    cem.get_by_label("Destination(s)").fill("Dubai → İstanbul")
    cem.get_by_label("Urgent needs").fill("school place for a 9-year-old")
    assert submit(cem, cem.get_by_role("button", name="Open the request").click).status == 422
    expect(cem.locator("#err-return_date")).to_contain_text(
        "the return date is before the departure date"
    )
    assert not Case.objects.exists()
    cem.get_by_label("Travel date (until)").fill("2027-01-15")
    assert submit(cem, cem.get_by_role("button", name="Open the request").click).status == 302
    case = Case.objects.get()
    assert (case.state, case.fields["service_type"], case.fields["return_date"]) == (
        "review",
        "relocation",
        "2027-01-15",
    )
    assert list(Message.objects.filter(case=case).values_list("template", "channel")) == [
        ("receipt", "EMAIL")
    ]
    expect(cem).to_have_url(f"{live_server.url}/customers/{case.customer_id}/?case={case.pk}")

    review = task_card(cem, case, "review_request")
    review.get_by_label("Client type").select_option("individual")
    submit(cem, review.get_by_role("button", name="Complete").click)
    case.refresh_from_db()
    assert case.state == "quoting" and case.agent.user.username == "selin"

    # --- the specialist quotes: the deposit comes from the playbook ------------------
    workspace = f"{live_server.url}/customers/{case.customer_id}/"
    selin = sign_in(playwright_browser, workspace, "selin", problems)
    form = selin.get_by_role("form", name="New quote")
    expect(form.get_by_label("Deposit % (100: full payment up front)")).to_have_value("50")
    expect(form.get_by_label("Currency")).to_have_value("EUR")
    form.get_by_label("Line 1 description").fill("Relocation package")
    form.get_by_label("Line 1 quantity").fill("1")
    form.get_by_label("Line 1 unit price").fill("2000")
    submit(selin, form.get_by_role("button", name="Create quote").click)
    quote = Quote.objects.get(case=case)
    assert (str(quote.total), quote.deposit_percent) == ("2400.00", 50)
    submit(selin, selin.get_by_role("button", name="Send quote").click)
    link = PaymentLink.objects.get(quote=quote)
    assert str(link.amount) == "1200.00"
    assert link.url in Message.objects.get(case=case, template="quote").body
    submit(
        selin, task_card(selin, case, "prepare_quote").get_by_role("button", name="Complete").click
    )
    case.refresh_from_db()
    assert case.state == "awaiting_payment"

    # --- "Start the service" before payment: refused, nothing changes ----------------
    selin.reload()
    rows = TimelineEvent.objects.filter(case=case).count()
    response = submit(selin, selin.get_by_role("button", name="Start the service").click)
    assert response.status == 409
    expect(selin.locator("#sec-case")).to_contain_text(REFUSAL)
    case.refresh_from_db()
    assert case.state == "awaiting_payment"
    assert TimelineEvent.objects.filter(case=case).count() == rows

    # --- the customer pays the deposit on the provider's page ------------------------
    customer = playwright_browser.new_context().new_page()
    customer.goto(link.url if link.url.startswith("http") else live_server.url + link.url)
    customer.get_by_role("button", name="Pay 1200.00 EUR").click()
    customer.wait_for_load_state()
    case.refresh_from_db()
    assert case.state == "confirmed"

    # --- confirmation and the relocation checklist -----------------------------------
    selin.reload()
    confirm = task_card(selin, case, "confirm_details")
    confirm.get_by_label("What the client confirmed (itinerary or document checklist)").fill(
        "Housing in Kadıköy, two schools to visit"
    )
    submit(selin, confirm.get_by_role("button", name="Complete").click)
    case.refresh_from_db()
    assert case.state == "in_service"
    selin.reload()
    deliver = task_card(selin, case, "deliver_relocation")
    assert submit(selin, deliver.get_by_role("button", name="Complete").click).status == 409
    expect(selin.locator("#sec-tasks")).to_contain_text("not done yet: Housing options provided")
    for item in ("Housing options provided", "School options provided"):
        submit(selin, task_card(selin, case, "deliver_relocation").get_by_label(item).check)
    submit(
        selin,
        task_card(selin, case, "deliver_relocation")
        .get_by_label("Documentation guidance given")
        .check,
    )
    ticks = TimelineEvent.objects.filter(case=case, type="CHECKLIST_ITEM").order_by("pk")
    assert [t.payload["item"] for t in ticks] == [
        "Housing options provided",
        "School options provided",
        "Documentation guidance given",
    ]
    submit(
        selin,
        task_card(selin, case, "deliver_relocation").get_by_role("button", name="Complete").click,
    )
    case.refresh_from_db()
    assert case.state == "quality_review"
    assert Message.objects.filter(case=case, template="balance_due").count() == 1

    # --- the guest services manager's quality review ---------------------------------
    keila = sign_in(playwright_browser, workspace, "keila", problems)
    qc = task_card(keila, case, "quality_review")
    qc.get_by_role("combobox").select_option("approve")  # the one choice: the outcome
    qc.get_by_label("Quality review notes (performance, timeliness, satisfaction)").fill(
        "On time; client happy with the schools"
    )
    submit(keila, qc.get_by_role("button", name="Complete").click)
    case.refresh_from_db()
    assert case.state == "follow_up"
    assert (case.fields["qc_outcome"], case.fields["qc_notes"]) == (
        "approve",
        "On time; client happy with the schools",
    )
    assert Task.objects.get(case=case, key="follow_up", status="OPEN")
    assert problems == []
