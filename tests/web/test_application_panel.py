"""The workspace's Application panel: what it shows, and its forms (missing
items, appointments with the confirmation PDF, later statuses), each with its
success and its refusals leaving everything as it was."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opsdesk.applications.models import Application, MissingItem, Traveller
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.actors import Actor
from opsdesk.common.errors import NotAllowed
from opsdesk.customers.models import Document
from opsdesk.partners.services import partner_create
from opsdesk.runtime.models import OutboxItem
from opsdesk.staff.models import Agent
from opsdesk.web import actions
from tests.applications.helpers import APPLICATION, bearer, post, visa_desk

pytestmark = pytest.mark.django_db

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "visa-appointment.yaml"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def app(staff: Any, frozen_clock: Any, media: Path) -> Application:
    """The visa playbook, a partner, and its application with two travellers."""
    playbook_install(PLAYBOOK.read_text(encoding="utf-8"))
    visa_desk(staff)
    _, token = partner_create(
        "tourport",
        "TourPort",
        webhook_url="https://tourport.example/hook",
        actor=Actor("user:admin"),
    )
    created = post("/api/v1/applications", bearer(token), APPLICATION)
    assert created.status_code == 201, created.content
    return Application.objects.select_related("case", "customer").get(pk=created.json()["id"])


def client_for(agent: Any) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def ws(app: Application, rest: str = "") -> str:
    return f"/customers/{app.customer_id}/{rest}"


def travellers(app: Application) -> list[Traveller]:
    return list(app.travellers.order_by("position"))


def state(app: Application) -> tuple[Any, ...]:
    """Everything a panel form may change."""
    case = Case.objects.get(pk=app.case_id)
    return (
        list(MissingItem.objects.values_list("key", "status", "traveller_id")),
        list(
            Traveller.objects.order_by("position").values_list(
                "status", "appointment_at", "appointment_place", "appointment_document_id"
            )
        ),
        Document.objects.count(),
        TimelineEvent.objects.count(),
        (case.state, case.fields, case.updated_at),
        OutboxItem.objects.count(),
    )


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# --- the panel -----------------------------------------------------------------------


def test_the_panel_shows_the_application(app: Application, staff: Any) -> None:
    response = client_for(staff.ayse).get(ws(app))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="sec-application"' in html
    assert "TourPort" in html
    assert '<a href="https://tourport.example/applications/TP-77812"' in html
    assert ">TP-77812</a>" in html
    assert "Schengen C (tourism)" in html
    assert "18 Dec 2026 – 28 Dec 2026" in html
    assert '<a href="tel:+905325551212">+905325551212</a>' in html
    # Germany's booking instructions from the playbook's catalog.
    assert "Booking: German visa centre, İstanbul (Gayrettepe)" in html
    assert "Download each confirmation PDF." in html
    assert 'href="https://visa.example/de/istanbul"' in html
    for t in travellers(app):
        assert f"/customers/{app.customer_id}/travellers/{t.pk}/appointment/" in html
        assert f"/customers/{app.customer_id}/travellers/{t.pk}/status/" in html
    panel = html.split('id="sec-application"')[1].split("</section>")[0]
    assert panel.count('enctype="multipart/form-data"') == 2  # one upload per traveller
    assert 'value="AT_EMBASSY"' in html and 'value="APPROVED"' in html
    assert 'value="REJECTED"' in html
    assert "Nothing missing." in html


def test_booking_instructions_fall_back_to_the_default(app: Application, staff: Any) -> None:
    Application.objects.filter(pk=app.pk).update(destination="JP")
    html = client_for(staff.ayse).get(ws(app)).content.decode()
    assert "Booking: the visa centre of the destination" in html


def test_no_panel_without_an_application(app: Application, staff: Any) -> None:
    Application.objects.filter(pk=app.pk).update(case=None)
    html = client_for(staff.ayse).get(ws(app)).content.decode()
    assert 'id="sec-application"' not in html


# --- missing items -------------------------------------------------------------------


def test_record_a_missing_item(app: Application, staff: Any) -> None:
    ece = travellers(app)[1]
    client = client_for(staff.ayse)
    response = client.post(
        ws(app, f"applications/{app.pk}/missing-items/"),
        {
            "kind": "DOCUMENT",
            "key": "passport_copy",
            "label": "Passport copy",
            "traveller": ece.pk,
            "note": "expired one sent",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{app.customer_id}/#sec-application"
    item = MissingItem.objects.get()
    assert (item.kind, item.key, item.label, item.traveller_id, item.note, item.status) == (
        "DOCUMENT",
        "passport_copy",
        "Passport copy",
        ece.pk,
        "expired one sent",
        "MISSING",
    )
    assert item.noted_by == "user:ayse"
    html = client.get(response["Location"]).content.decode()
    assert "Noted as missing: Passport copy." in html  # once
    assert "Ece Aydın" in html
    assert "Noted as missing" not in client.get(response["Location"]).content.decode()


def test_an_invalid_missing_item_is_shown_at_the_form(app: Application, staff: Any) -> None:
    before = state(app)
    response = client_for(staff.ayse).post(
        ws(app, f"applications/{app.pk}/missing-items/"),
        {"kind": "DOCUMENT", "key": "Passport Copy", "label": ""},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "a lower-case key such as passport_copy" in html
    assert "1-200 characters" in html
    assert 'value="Passport Copy"' in html  # refilled
    assert state(app) == before


def test_the_same_missing_item_twice_is_a_conflict(app: Application, staff: Any) -> None:
    client = client_for(staff.ayse)
    body = {"kind": "INFORMATION", "key": "hotel", "label": "Hotel booking"}
    assert client.post(ws(app, f"applications/{app.pk}/missing-items/"), body).status_code == 302
    before = state(app)
    response = client.post(ws(app, f"applications/{app.pk}/missing-items/"), body)
    assert response.status_code == 409
    assert "Hotel booking is already noted as missing" in response.content.decode()
    assert state(app) == before


@pytest.mark.parametrize("status", ["RECEIVED", "WAIVED"])
def test_mark_a_missing_item_received_or_waived(app: Application, staff: Any, status: str) -> None:
    client = client_for(staff.ayse)
    client.post(
        ws(app, f"applications/{app.pk}/missing-items/"),
        {"kind": "DOCUMENT", "key": "bank_statement", "label": "Bank statement"},
    )
    item = MissingItem.objects.get()
    response = client.post(ws(app, f"missing-items/{item.pk}/resolve/"), {"status": status})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.resolved_by) == (status, "user:ayse")
    html = client.get(response["Location"]).content.decode()
    assert f"Bank statement: {status.lower()}." in html
    assert "Nothing missing." in html

    before = state(app)
    again = client.post(ws(app, f"missing-items/{item.pk}/resolve/"), {"status": "WAIVED"})
    assert again.status_code == 409
    assert f"Bank statement is already {status.lower()}" in again.content.decode()
    assert state(app) == before


# --- travellers ----------------------------------------------------------------------


def test_record_an_appointment_with_its_confirmation(
    app: Application, staff: Any, media: Path
) -> None:
    deniz = travellers(app)[0]
    client = client_for(staff.ayse)
    response = client.post(
        ws(app, f"travellers/{deniz.pk}/appointment/"),
        {
            "appointment_at": "2026-11-09T10:30",  # Istanbul, Ayşe's zone
            "appointment_place": "Gayrettepe, İstanbul",
            "confirmation": SimpleUploadedFile("deniz.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    deniz.refresh_from_db()
    assert deniz.status == "APPOINTMENT_BOOKED"
    assert deniz.appointment_at == dt.datetime(2026, 11, 9, 7, 30, tzinfo=dt.UTC)
    assert deniz.appointment_place == "Gayrettepe, İstanbul"
    doc = Document.objects.get()
    assert deniz.appointment_document_id == doc.pk
    assert (doc.doc_type, doc.subject, doc.case_id, doc.content_type, doc.original_name) == (
        "appointment_confirmation",
        deniz.pk,
        app.case_id,
        "application/pdf",
        "deniz.pdf",
    )
    assert len(stored_files(media)) == 1
    html = client.get(response["Location"]).content.decode()
    assert "Appointment recorded for Deniz Aydın." in html
    assert "Appointment booked" in html
    assert "Gayrettepe, İstanbul" in html


def test_an_appointment_without_a_date_changes_nothing(
    app: Application, staff: Any, media: Path
) -> None:
    deniz = travellers(app)[0]
    before = state(app)
    response = client_for(staff.ayse).post(
        ws(app, f"travellers/{deniz.pk}/appointment/"),
        {
            "appointment_at": "",
            "appointment_place": "Gayrettepe",
            "confirmation": SimpleUploadedFile("deniz.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 422
    assert "the appointment&#x27;s date and time are needed" in response.content.decode()
    assert state(app) == before
    assert stored_files(media) == []  # the confirmation went with the refusal


def test_a_confirmation_that_is_not_a_pdf_changes_nothing(
    app: Application, staff: Any, media: Path
) -> None:
    deniz = travellers(app)[0]
    before = state(app)
    response = client_for(staff.ayse).post(
        ws(app, f"travellers/{deniz.pk}/appointment/"),
        {
            "appointment_at": "2026-11-09T10:30",
            "appointment_place": "Gayrettepe",
            "confirmation": SimpleUploadedFile("x.pdf", b"not a pdf", "application/pdf"),
        },
    )
    assert response.status_code == 422
    assert "must be a PDF, JPEG, PNG, WebP or HEIC file" in response.content.decode()
    assert state(app) == before
    assert stored_files(media) == []


def test_set_a_later_status_and_refuse_an_unknown_one(app: Application, staff: Any) -> None:
    deniz = travellers(app)[0]
    client = client_for(staff.ayse)
    before = state(app)
    bad = client.post(ws(app, f"travellers/{deniz.pk}/status/"), {"status": ""})
    assert bad.status_code == 422
    assert "one of NEW, APPOINTMENT_BOOKED" in bad.content.decode()
    assert state(app) == before
    done = client.post(ws(app, f"travellers/{deniz.pk}/status/"), {"status": "AT_EMBASSY"})
    assert done.status_code == 302
    deniz.refresh_from_db()
    assert deniz.status == "AT_EMBASSY"
    assert "Deniz Aydın: status updated." in client.get(done["Location"]).content.decode()


# --- who may --------------------------------------------------------------------------


def test_another_teams_agent_gets_404_and_changes_nothing(app: Application, staff: Any) -> None:
    deniz = travellers(app)[0]
    olga = client_for(staff.outsider)
    before = state(app)
    assert olga.get(ws(app)).status_code == 404
    posts = [
        (f"applications/{app.pk}/missing-items/", {"kind": "DOCUMENT", "key": "x", "label": "X"}),
        (f"travellers/{deniz.pk}/appointment/", {"appointment_at": "2026-11-09T10:30"}),
        (f"travellers/{deniz.pk}/status/", {"status": "AT_EMBASSY"}),
    ]
    for rest, body in posts:
        assert olga.post(ws(app, rest), body).status_code == 404
    assert state(app) == before


def test_the_integration_user_gets_404_and_changes_nothing(app: Application, staff: Any) -> None:
    deniz = travellers(app)[0]
    before = state(app)
    response = client_for(staff.integration).post(
        ws(app, f"travellers/{deniz.pk}/status/"), {"status": "AT_EMBASSY"}
    )
    assert response.status_code == 404
    assert state(app) == before


def test_a_refused_permission_is_a_403_at_the_form(
    app: Application, staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No shipped role sees a customer without `case.act`; the policy says no here."""

    def refuse(user: Any, action: str, obj: Any = None) -> None:
        assert action == "case.act"
        raise NotAllowed(f"not allowed: {action}")

    monkeypatch.setattr(actions, "restrict", refuse)  # the panel posts through web.actions
    deniz = travellers(app)[0]
    before = state(app)
    response = client_for(staff.ayse).post(
        ws(app, f"travellers/{deniz.pk}/status/"), {"status": "AT_EMBASSY"}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "You are not allowed to do this." in html
    assert html.index("You are not allowed") > html.index(f'id="traveller-{deniz.pk}"')
    assert state(app) == before


def test_get_is_not_allowed(app: Application, staff: Any) -> None:
    deniz = travellers(app)[0]
    assert client_for(staff.ayse).get(ws(app, f"travellers/{deniz.pk}/status/")).status_code == 405


def test_call_from_my_phone_rings_the_agent_first(app: Application, staff: Any) -> None:
    client = client_for(staff.ayse)
    page = client.get(ws(app)).content.decode()
    assert 'aria-label="Call the customer"' in page
    url = ws(app, "call/")
    body = {"case_id": app.case_id, "case": app.case_id, "section": "application"}
    before = state(app)
    refused = client.post(url, body)
    assert refused.status_code == 422
    assert "has no phone number with a country code to ring first" in refused.content.decode()
    assert state(app) == before
    Agent.objects.filter(pk=staff.ayse.pk).update(phone="+905329998877")
    done = client.post(url, body)
    assert (done.status_code, done["Location"]) == (
        302,
        f"/customers/{app.customer_id}/?case={app.case_id}#sec-application",
    )
    (connect,) = OutboxItem.objects.filter(kind="call.connect")
    assert connect.payload["agent_phone"] == "+905329998877"
