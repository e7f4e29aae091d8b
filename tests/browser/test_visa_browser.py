"""The visa SOP in Chromium: a partner assigns an application (through the API),
Ayşe reviews it with a missing item, makes the introduction call, records both
travellers' appointments with their confirmation PDFs and closes the booking;
then files the application, is refused the four-eyes QA of her own filing on
the page, and John, signed in in another browser, approves it.

The worker does not run, so status pushes and messages stay queued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Response, expect

from opsdesk.applications.models import Application, MissingItem, Traveller
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.actors import Actor
from opsdesk.customers.models import Document
from opsdesk.partners.services import partner_create
from opsdesk.runtime.models import OutboxItem
from opsdesk.tasks.models import Task
from tests.applications.helpers import APPLICATION, visa_desk

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "visa-appointment.yaml"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
FOUR_EYES = (
    "Four eyes: you completed the work under review (file_application); someone else must review it"
)


@pytest.fixture
def visa_app(staff: Any, frozen_clock: Any, settings: Any, tmp_path: Path) -> Application:
    """The shipped visa playbook, a partner platform, and its application."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    playbook_install(PLAYBOOK.read_text(encoding="utf-8"))
    # Olga (Izmir) takes no English cases, so the case stays in the Istanbul team.
    visa_desk(staff)
    _, token = partner_create(
        "tourport",
        "TourPort",
        webhook_url="https://tourport.example/hook",
        actor=Actor("user:admin"),
    )
    created = Client().post(
        "/api/v1/applications",
        APPLICATION,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert created.status_code == 201, created.content
    return Application.objects.get(pk=created.json()["id"])


def submit(page: Page, action: Callable[[], None]) -> Response:
    """Run an action that posts a form (htmx or plain); wait for the page to settle."""
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        action()
    page.wait_for_load_state()
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    return info.value


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Application", exact=True)).to_be_visible()


def open_task(case: Case, key: str) -> Task:
    return Task.objects.get(case=case, key=key, status="OPEN")


def task_card(page: Page, task: Task) -> Locator:
    return page.locator(f"#task-{task.pk}")


def watch(page: Page, problems: list[str]) -> None:
    def on_console(msg: ConsoleMessage) -> None:
        # CSP violations and script errors show up here; refusals (409) are expected.
        if msg.type == "error" and "409" not in msg.text and "422" not in msg.text:
            problems.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))


def test_agents_work_a_visa_application_in_the_browser(
    live_server: Any, page: Page, playwright_browser: Browser, visa_app: Application, staff: Any
) -> None:
    problems: list[str] = []
    watch(page, problems)
    case = Case.objects.get(pk=visa_app.case_id)
    deniz, ece = Traveller.objects.filter(application=visa_app).order_by("position")
    workspace = f"{live_server.url}/customers/{visa_app.customer_id}/"

    # --- Ayşe opens the application ------------------------------------------------------
    sign_in(page, workspace, "ayse", "pw-ayse-123")
    panel = page.locator("#sec-application")
    expect(panel.get_by_role("link", name="TP-77812")).to_have_attribute(
        "href", APPLICATION["partner_url"]
    )
    expect(panel).to_contain_text("Booking: German visa centre, İstanbul (Gayrettepe)")
    expect(panel.get_by_role("link", name="+905325551212")).to_have_attribute(
        "href", "tel:+905325551212"
    )

    # --- 1. review: Ece's passport copy is missing ---------------------------------------
    panel.get_by_text("Add a missing item").click()
    panel.get_by_label("Key").fill("passport_copy")
    panel.get_by_label("Label").fill("Passport copy")
    panel.get_by_label("Traveller").select_option(ece.pk)
    panel.get_by_label("Note").fill("the scan is cut off")
    assert submit(page, panel.get_by_role("button", name="Add missing item").click).status == 302
    expect(panel.get_by_role("status")).to_have_text("Noted as missing: Passport copy.")
    item = MissingItem.objects.get()
    assert (item.key, item.traveller_id, item.status, item.noted_by) == (
        "passport_copy",
        ece.pk,
        "MISSING",
        "user:ayse",
    )
    expect(panel.get_by_role("list", name="Missing items")).to_contain_text("Passport copy")

    review = open_task(case, "review_application")
    submit(page, task_card(page, review).get_by_role("button", name="Complete").click)
    case.refresh_from_db()
    assert case.state == "introduction"
    assert Task.objects.get(pk=review.pk).status == "DONE"
    assert OutboxItem.objects.filter(kind="message.send").count() == 1  # missing_items

    # --- 2. the introduction call with its notes -----------------------------------------
    intro = open_task(case, "introduction_call")
    card = task_card(page, intro)
    expect(card).to_be_visible()
    card.get_by_label("What the customer told us on the introduction call").fill(
        "Both can attend in Istanbul"
    )
    card.get_by_label("Customer ready to proceed").select_option("yes")
    assert submit(page, card.get_by_role("button", name="Complete").click).status == 200
    case.refresh_from_db()
    assert case.state == "booking"
    assert (case.fields["introduction_notes"], case.fields["customer_ready"]) == (
        "Both can attend in Istanbul",
        "yes",
    )

    # --- 3-4. both appointments, each with its confirmation PDF ---------------------------
    for t, time in ((deniz, "10:30"), (ece, "10:45")):
        form = panel.get_by_role("form", name=f"Appointment for {t.given_name} {t.family_name}")
        form.get_by_label("Appointment date and time").fill(f"2026-11-09T{time}")
        form.get_by_label("Visa centre address").fill("Gayrettepe, İstanbul")
        form.get_by_label("Confirmation PDF").set_input_files(
            files=[{"name": f"{t.given_name}.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        response = submit(page, form.get_by_role("button", name="Record appointment").click)
        assert response.status == 302
        expect(panel.get_by_role("status")).to_have_text(
            f"Appointment recorded for {t.given_name} {t.family_name}."
        )
        t.refresh_from_db()
        hour, minute = (int(x) for x in time.split(":"))
        assert t.status == "APPOINTMENT_BOOKED"
        assert t.appointment_at == dt.datetime(2026, 11, 9, hour - 3, minute, tzinfo=dt.UTC)
        assert t.appointment_place == "Gayrettepe, İstanbul"
        doc = Document.objects.get(pk=t.appointment_document_id)
        assert (doc.doc_type, doc.subject, doc.content_type, doc.case_id) == (
            "appointment_confirmation",
            t.pk,
            "application/pdf",
            case.pk,
        )
    assert Document.objects.count() == 2

    booking = open_task(case, "book_appointments")
    submit(page, task_card(page, booking).get_by_role("button", name="Complete").click)
    case.refresh_from_db()
    assert case.state == "preparing"

    # --- 5-6. the passport copy arrives; documents reviewed; the filing ------------------
    page.reload()
    missing = panel.get_by_role("list", name="Missing items")
    submit(page, missing.get_by_role("button", name="Received").click)
    expect(panel.get_by_role("status")).to_have_text("Passport copy: received.")
    item.refresh_from_db()
    assert (item.status, item.resolved_by) == ("RECEIVED", "user:ayse")
    docs = open_task(case, "review_documents")
    submit(page, task_card(page, docs).get_by_role("button", name="Complete").click)
    filing = open_task(case, "file_application")
    submit(page, task_card(page, filing).get_by_role("button", name="Complete").click)
    assert Task.objects.get(pk=filing.pk).status == "DONE"

    # --- 7. Ayşe may not QA her own filing ------------------------------------------------
    qa = open_task(case, "qa_online_submission")
    case.refresh_from_db()
    before = (
        case.state,
        case.fields,
        TimelineEvent.objects.count(),
        OutboxItem.objects.count(),
        list(Task.objects.order_by("pk").values_list("pk", "status")),
    )
    card = task_card(page, qa)
    card.get_by_label("QA outcome").select_option("approve")
    assert submit(page, card.get_by_role("button", name="Complete").click).status == 409
    expect(card.get_by_role("alert").get_by_role("listitem")).to_have_text([FOUR_EYES])
    case.refresh_from_db()
    after = (
        case.state,
        case.fields,
        TimelineEvent.objects.count(),
        OutboxItem.objects.count(),
        list(Task.objects.order_by("pk").values_list("pk", "status")),
    )
    assert after == before
    assert Task.objects.get(pk=qa.pk).status == "OPEN"

    # --- John, in another browser, approves ----------------------------------------------
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        john = context.new_page()
        watch(john, problems)
        sign_in(john, workspace, "john", "pw-john-123")
        card = john.locator(f"#task-{qa.pk}")
        card.get_by_label("QA outcome").select_option("approve")
        assert submit(john, card.get_by_role("button", name="Complete").click).status == 200
        expect(john.locator(f"#task-{qa.pk}").get_by_role("button", name="Complete")).to_have_count(
            0
        )
    finally:
        context.close()
    done = Task.objects.get(pk=qa.pk)
    assert (done.status, done.completed_by_id) == ("DONE", staff.john.user.pk)
    case.refresh_from_db()
    assert (case.state, case.fields["qa_outcome"]) == ("submitting", "approve")
    assert open_task(case, "submit_and_pay").title == "Submit and pay for TP-77812"
    assert problems == []
