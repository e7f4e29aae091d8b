"""SOP 003, "New customer onboarding", walked end to end by a staff member in Chromium.

The live server runs the real code; the worker does not run, so messages stay
QUEUED until the test runs one worker pass itself. The clock is frozen on
Wednesday 28 October 2026 (29 October is a public holiday in Türkiye), so the
intake task is due on Monday 2 November at the end of the business day.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Locator, Page, Response, expect

from opsdesk.runtime.worker import Worker

REQUIRED_DOCUMENTS = [
    "Passport (all pages)",
    "Biometric photo",
    "Residence permit card",
    "Rental contract or proof of address",
    "Health insurance policy",
]
INTAKE_TITLE = "Review amira Hassan — initial document check"


def submit(page: Page, action: Callable[[], None]) -> Response:
    """Run an action that posts a workspace form through htmx; wait for the swap."""
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        action()
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    return info.value


def region(page: Page, name: str) -> Locator:
    """A workspace section (a <section> landmark named by its heading)."""
    return page.get_by_role("region", name=re.compile(rf"^{re.escape(name)}\b"))


def screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    # OPSDESK_SCREENSHOTS keeps them for a look after the run; else pytest's tmp dir.
    folder = Path(os.environ.get("OPSDESK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    print("SHOT", name, flush=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def test_staff_member_walks_the_onboarding_sop(
    live_server: Any, page: Page, onboarding: Any, staff: Any, frozen_clock: Any, tmp_path: Path
) -> None:
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        # CSP violations and script errors show up here; the page must have none.
        if msg.type == "error" and "422" not in msg.text and "409" not in msg.text:
            print("CONSOLE", msg.text[:80], msg.location, flush=True)
            problems.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    # --- sign in ---------------------------------------------------------------------------
    page.goto(live_server.url + "/tasks/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/tasks/$"))
    page.get_by_label("Username").fill("ayse")
    page.get_by_label("Password").fill("pw-ayse-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    expect(page.get_by_text("Ayşe Yılmaz")).to_be_visible()

    # --- trigger: a staff member creates the customer ---------------------------------------
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Given name").fill("amira")  # lower-case: not as in the passport
    page.get_by_label("Family name").fill("Hassan")
    page.get_by_label("Phone").fill("532 123 45 67")  # no country code
    page.get_by_label("WhatsApp-capable").check()
    page.get_by_label("Email").fill("amira.hassan@example.com")
    page.get_by_label("Nationality").fill("EG")
    page.get_by_label("Preferred language").select_option("tr")
    page.get_by_label(re.compile(r"^Service type")).select_option("immigration")
    page.get_by_label("Notes from the intake form").fill("Residence permit expires in March")
    page.get_by_label("Order service type").fill("immigration")
    page.get_by_label("Order notes").fill("Renewal, family of three")
    page.get_by_role("button", name="Create customer").click()

    # --- step 1: review the profile; the case waits in "Profile review" ---------------------
    expect(page).to_have_url(re.compile(r"/customers/cus_[A-Za-z0-9]{16}/$"))
    expect(page.get_by_role("heading", name="amira Hassan", level=1)).to_be_visible()
    state = page.get_by_test_id("case-state")
    expect(state).to_have_text("Profile review")
    open_flags = page.get_by_role("list", name="Open flags").get_by_role("listitem")
    expect(open_flags).to_have_count(2)
    expect(open_flags.filter(has_text="Given name 'amira' is all lower-case")).to_have_count(1)
    expect(open_flags.filter(has_text="Phone '532 123 45 67' has no country code")).to_have_count(1)
    screenshot(page, tmp_path, "1-profile-review")

    # Fix the phone in "Edit profile": that flag resolves itself.
    profile = region(page, "Profile")
    profile.get_by_text("Edit profile").click()
    profile.get_by_label("Phone").fill("+90 532 123 45 67")
    assert submit(page, profile.get_by_role("button", name="Save profile").click).status == 200
    expect(profile.get_by_text("+905321234567")).to_be_visible()
    expect(open_flags).to_have_count(1)
    closed = page.get_by_role("list", name="Closed flags").get_by_role("listitem")
    expect(closed.filter(has_text="Resolved")).to_contain_text("has no country code")
    expect(state).to_have_text("Profile review")

    # Override the name flag with a reason: the last flag, so the case moves on.
    name_flag = open_flags.filter(has_text="Given name")
    name_flag.get_by_label("Override reason").fill("Passport checked: the customer confirms it")
    submit(page, name_flag.get_by_role("button", name="Override").click)
    expect(page.get_by_text("No open flags.")).to_be_visible()
    expect(closed.filter(has_text="Overridden")).to_contain_text(
        "reason: Passport checked: the customer confirms it"
    )

    # --- steps 2-7 happen on entering intake ---------------------------------------------------
    expect(state).to_have_text("Intake")
    header = page.get_by_role("region", name="Summary")
    expect(header).to_contain_text("Ayşe Yılmaz")
    timeline = region(page, "Timeline")
    expect(
        timeline.get_by_role("listitem").filter(has_text="AGENT_ASSIGNED").first
    ).to_contain_text("Assigned to Ayşe Yılmaz — handles immigration; speaks tr")

    comms = region(page, "Communications")
    messages = comms.get_by_role("list", name="Messages, newest first").get_by_role("listitem")

    def message(label: str) -> Locator:
        return messages.filter(has=page.get_by_text(label, exact=True))

    # Newest first; queued in one decision, they keep the SOP's order.
    expect(messages).to_have_count(3)
    for i, label in enumerate(("What happens next", "Required documents", "Welcome")):
        expect(messages.nth(i)).to_contain_text(f"WHATSAPP · OUTBOUND {label} QUEUED")
    expect(message("Welcome").get_by_role("blockquote")).to_have_text(
        "Merhaba amira, Ikamet’e hoş geldiniz! Ben Ayşe Yılmaz, size yardımcı olacak "
        "uzmanınızım. Bir sorunuz olursa buradan ulaşabilirsiniz."
    )
    # One document per line, as the SOP asks.
    lines = message("Required documents").get_by_role("blockquote").inner_text().splitlines()
    assert [line.strip() for line in lines if line.strip()] == [
        "Başvurunuz için aşağıdaki belgelere ihtiyacımız var:",
        *REQUIRED_DOCUMENTS,
    ]
    expect(message("What happens next")).to_contain_text("Belge toplama genellikle 5-7 iş günü")

    # The worker hands the queued messages to the (development) provider.
    assert Worker().run_once() == 3
    page.reload()
    for label in ("Welcome", "Required documents", "What happens next"):
        expect(message(label)).to_contain_text(f"WHATSAPP · OUTBOUND {label} DELIVERED")
    expect(timeline.get_by_role("listitem").first).to_contain_text("MESSAGE_SENT")

    # Step 4: the intake task is on my list, MEDIUM, due in two business days.
    page.get_by_role("link", name="My tasks").click()
    my_row = page.get_by_role("row").filter(has_text=INTAKE_TITLE)
    expect(my_row.get_by_role("cell").nth(1)).to_have_text("Medium")
    expect(my_row.get_by_role("cell").nth(2)).to_have_text("Mon 2 Nov 2026, 18:00")
    expect(my_row.get_by_role("cell").nth(4)).to_have_text("Intake")
    my_row.get_by_role("link", name=INTAKE_TITLE).click()

    tasks = region(page, "Tasks")
    intake = tasks.get_by_role("article", name=INTAKE_TITLE)
    expect(intake).to_contain_text("Medium")
    expect(intake).to_contain_text("Due Mon 2 Nov 2026, 18:00 · Ayşe Yılmaz")
    expect(intake).to_contain_text("Missing documents:")
    submit(page, intake.get_by_label("Name matches the passport").check)
    expect(intake.get_by_label("Name matches the passport")).to_be_checked()

    # Quality checks: completing now is refused, naming what is missing.
    response = submit(page, intake.get_by_role("button", name="Complete").click)
    assert response.status == 409
    expect(intake.get_by_role("alert").get_by_role("listitem")).to_have_text(
        ["Order reviewed and service type confirmed", "Next follow-up task created"]
    )
    screenshot(page, tmp_path, "2-intake-refused")

    # Step 5: review the order.
    order = region(page, "Order")
    expect(order.get_by_label("Confirmed notes")).to_have_value("Renewal, family of three")
    submit(page, order.get_by_role("button", name="Mark reviewed").click)
    expect(order.get_by_text("Reviewed", exact=True)).to_be_visible()
    expect(intake.get_by_role("alert")).to_have_count(0)

    # The next follow-up task.
    submit(
        page,
        tasks.get_by_role(
            "button", name="Create follow-up task: Follow up with amira Hassan on documents"
        ).click,
    )
    follow_up = tasks.get_by_role("article", name="Follow up with amira Hassan on documents")
    expect(follow_up).to_contain_text("Due Tue 3 Nov 2026, 18:00 · Ayşe Yılmaz")

    # Every check met: the task completes and the case collects documents.
    assert submit(page, intake.get_by_role("button", name="Complete").click).status == 200
    expect(intake).to_contain_text("Done")
    expect(intake.get_by_role("button", name="Complete")).to_have_count(0)
    expect(state).to_have_text("Collecting documents")

    # Reassign by hand from the workspace: another AGENT_ASSIGNED.
    case_panel = region(page, "Case")
    case_panel.get_by_label("Agent", exact=True).select_option(staff.john.pk)
    case_panel.get_by_label("Reason").fill("Ayşe is on leave next week")
    submit(page, case_panel.get_by_role("button", name="Assign agent").click)
    expect(header).to_contain_text("John Carter")
    expect(timeline.get_by_role("listitem").first).to_contain_text(
        "AGENT_ASSIGNED Assigned to John Carter — Ayşe is on leave next week"
    )
    expect(follow_up).to_contain_text("John Carter")  # open tasks follow the case

    # Record the documents as they arrive: the last one completes onboarding.
    documents = region(page, "Documents")
    for name in REQUIRED_DOCUMENTS:
        documents.get_by_label("Record document received").fill(name)
        submit(page, documents.get_by_role("button", name="Record").click)
        expect(documents.get_by_role("cell", name=name, exact=True)).to_be_visible()
    expect(state).to_have_text("Onboarded")
    expect(timeline).to_contain_text("Onboarding complete: every required document is in.")
    expect(timeline).to_contain_text("Collecting documents → Onboarded")
    shot = screenshot(page, tmp_path, "3-onboarded")
    assert shot.stat().st_size > 10_000

    assert problems == []
