"""The workspace's documents section with files: upload, verify, the ZIP download and
the pack by email, each with its refusals leaving everything as it was."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.applications.models import Application, Traveller
from opsdesk.cases.models import TimelineEvent
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.customers.documents import document_pack, document_upload, document_verify
from opsdesk.customers.models import Customer, Document
from opsdesk.partners.services import partner_create
from opsdesk.runtime.models import OutboxItem
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(50)
AYSE = Actor("user:ayse")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def stored_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def ws(customer: Customer, rest: str = "") -> str:
    return f"/customers/{customer.pk}/{rest}"


def section(html: str) -> str:
    start = html.index('id="sec-documents"')
    return html[start : html.index("</section>", start)]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def rows(html: str) -> list[str]:
    """The documents table's rows as text."""
    body = section(html)
    return [text(r) for r in re.findall(r'<tr id="doc-[^"]+">(.*?)</tr>', body, re.S)]


def state() -> tuple[Any, ...]:
    docs = tuple(
        Document.objects.order_by("id").values_list("id", "verified_by", "verified_at", "file")
    )
    return (
        docs,
        TimelineEvent.objects.count(),
        Message.objects.count(),
        OutboxItem.objects.count(),
    )


@pytest.fixture
def customer(make_customer: Callable[..., Customer], frozen_clock: Any) -> Customer:
    return make_customer()


@pytest.fixture
def traveller(customer: Customer, frozen_clock: Any) -> Traveller:
    partner, _ = partner_create(
        "tourport", "TourPort", webhook_url="https://tourport.example/hook", actor=Actor("test")
    )
    now = clock.now()
    app = Application.objects.create(
        partner=partner,
        partner_ref="TP-1",
        customer=customer,
        destination="DE",
        visa_type="Schengen",
        received_at=now,
        updated_at=now,
    )
    return Traveller.objects.create(
        application=app, position=1, given_name="Selin", family_name="Kaya", updated_at=now
    )


def test_an_upload_shows_its_row_with_the_traveller_by_name(
    media: Path, customer: Customer, traveller: Traveller, as_agent: Any, staff: Any
) -> None:
    client = as_agent(staff.ayse)
    r = client.post(
        ws(customer, "documents/upload/"),
        {
            "doc_type": "Passport",
            "subject": traveller.pk,
            "file": SimpleUploadedFile("scan.pdf", PDF, "application/pdf"),
        },
        **HTMX,
    )

    assert r.status_code == 200, r.content
    doc = Document.objects.get(customer=customer)
    assert (doc.doc_type, doc.subject, doc.size, doc.source) == (
        "Passport",
        traveller.pk,
        len(PDF),
        "STAFF",
    )
    assert stored_files(media) == [doc.file.name]
    html = r.content.decode()
    assert rows(html) == [
        f"Passport scan.pdf Selin Kaya {traveller.pk} {len(PDF)} bytes "
        f"28 Oct 2026, 10:00 STAFF {doc.sha256[:12]}… Verify"
    ]
    assert f'title="{doc.sha256}"' in section(html)
    # A subject that is no traveller of the customer is shown as it is.
    document_upload(
        customer,
        doc_type="Photo",
        file=SimpleUploadedFile("p.png", PNG, "image/png"),
        actor=AYSE,
        subject="trv_elsewhere",
    )
    page = client.get(ws(customer)).content.decode()
    assert [r.split(" 28 Oct 2026")[0] for r in rows(page)] == [
        f"Passport scan.pdf Selin Kaya {traveller.pk} {len(PDF)} bytes",
        f"Photo p.png trv_elsewhere {len(PNG)} bytes",
    ]


def test_verify_shows_who_and_when_and_twice_is_a_conflict(
    media: Path, customer: Customer, as_agent: Any, staff: Any, frozen_clock: Any
) -> None:
    doc = document_upload(
        customer,
        doc_type="Passport",
        file=SimpleUploadedFile("scan.pdf", PDF, "application/pdf"),
        actor=AYSE,
    )
    john = as_agent(staff.john)

    r = john.post(ws(customer, f"documents/{doc.pk}/verify/"), **HTMX)

    assert r.status_code == 200
    doc.refresh_from_db()
    assert (doc.verified_by, doc.verified_at) == ("user:john", frozen_clock.now())
    (row,) = rows(r.content.decode())
    assert row.endswith("verified by John Carter at 28 Oct 2026, 10:00")
    assert "Verify" not in row

    before = state()
    r = as_agent(staff.ayse).post(ws(customer, f"documents/{doc.pk}/verify/"), **HTMX)

    assert r.status_code == 409
    body = section(r.content.decode())
    assert "the document is already verified by user:john" in text(body)
    assert 'class="alert alert-refused"' in body
    assert state() == before
    # As a plain form post, the whole page with the same message.
    r = as_agent(staff.ayse).post(ws(customer, f"documents/{doc.pk}/verify/"))
    assert r.status_code == 409
    assert "the document is already verified by user:john" in text(section(r.content.decode()))
    assert state() == before


def test_the_zip_download_is_the_document_pack(
    media: Path, customer: Customer, as_agent: Any, staff: Any
) -> None:
    for name, data, ctype in (("a.pdf", PDF, "application/pdf"), ("b.png", PNG, "image/png")):
        document_upload(
            customer,
            doc_type=name,
            file=SimpleUploadedFile(name, data, ctype),
            actor=AYSE,
        )
    html = as_agent(staff.ayse).get(ws(customer)).content.decode()
    assert f'href="/customers/{customer.pk}/documents/pack.zip"' in section(html)

    r = as_agent(staff.john).get(ws(customer, "documents/pack.zip"))

    filename, data = document_pack(customer)
    assert r.status_code == 200
    assert r["Content-Type"] == "application/zip"
    assert r["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert r.content == data


def test_the_email_button_queues_one_email_with_the_pack(
    media: Path, customer: Customer, as_agent: Any, staff: Any
) -> None:
    document_upload(
        customer,
        doc_type="Passport",
        file=SimpleUploadedFile("scan.pdf", PDF, "application/pdf"),
        actor=AYSE,
    )
    filename, data = document_pack(customer)
    before = set(Message.objects.values_list("id", flat=True))

    r = as_agent(staff.ayse).post(ws(customer, "documents/pack/email/"))

    assert r.status_code == 302
    assert r["Location"] == f"/customers/{customer.pk}/#sec-documents"
    (message,) = Message.objects.exclude(id__in=before)
    stored = f"packs/{message.pk}/{filename}"
    assert (message.channel, message.status, message.to_address, message.actor) == (
        "EMAIL",
        "QUEUED",
        "amira.hassan@example.com",
        "user:ayse",
    )
    assert message.subject == "Your documents (1)"
    assert message.attachments == [
        {"name": filename, "content_type": "application/zip", "storage_path": stored}
    ]
    assert (media / stored).read_bytes() == data
    assert OutboxItem.objects.get(message=message).kind == "message.send"


def test_another_teams_agent_gets_404_and_nothing_changes(
    media: Path, customer: Customer, as_agent: Any, staff: Any
) -> None:
    doc = document_upload(
        customer,
        doc_type="Passport",
        file=SimpleUploadedFile("scan.pdf", PDF, "application/pdf"),
        actor=AYSE,
    )
    before, files = state(), stored_files(media)
    olga = as_agent(staff.outsider)

    upload = {"doc_type": "Visa", "file": SimpleUploadedFile("v.pdf", PDF, "application/pdf")}
    assert olga.post(ws(customer, "documents/upload/"), upload).status_code == 404
    assert olga.post(ws(customer, f"documents/{doc.pk}/verify/")).status_code == 404
    assert olga.post(ws(customer, "documents/pack/email/")).status_code == 404
    assert olga.get(ws(customer, "documents/pack.zip")).status_code == 404

    assert state() == before
    assert stored_files(media) == files


def test_a_bad_upload_is_422_at_the_field_and_stores_nothing(
    media: Path, customer: Customer, as_agent: Any, staff: Any
) -> None:
    before = state()

    r = as_agent(staff.ayse).post(
        ws(customer, "documents/upload/"),
        {"doc_type": "Passport", "file": SimpleUploadedFile("x.gif", b"GIF89a....", "image/gif")},
        **HTMX,
    )

    assert r.status_code == 422
    body = section(r.content.decode())
    assert re.search(
        r'id="up-file"[^>]*aria-invalid="true".*?<ul class="field-errors">'
        r"<li>must be a PDF, JPEG, PNG, WebP or HEIC file</li></ul>",
        body,
        re.S,
    )
    assert 'value="Passport"' in body  # what was typed stays
    assert state() == before
    assert stored_files(media) == []

    r = as_agent(staff.ayse).post(ws(customer, "documents/upload/"), {"doc_type": "Passport"})
    assert r.status_code == 422
    assert '<ul class="field-errors"><li>choose a file</li></ul>' in section(r.content.decode())
    assert state() == before


def test_recording_a_document_by_type_still_works(
    media: Path, customer: Customer, as_agent: Any, staff: Any
) -> None:
    r = as_agent(staff.ayse).post(ws(customer, "documents/"), {"doc_type": "Biometric photo"})

    assert r.status_code == 302
    doc = Document.objects.get(customer=customer)
    assert (doc.doc_type, doc.file.name, doc.sha256, doc.size) == ("Biometric photo", "", "", None)
    (row,) = rows(as_agent(staff.ayse).get(ws(customer)).content.decode())
    assert row == "Biometric photo — — 28 Oct 2026, 10:00 STAFF — Verify"
    document_verify(doc.pk, actor=AYSE)
    (row,) = rows(as_agent(staff.ayse).get(ws(customer)).content.decode())
    assert row.endswith("verified by Ayşe Yılmaz at 28 Oct 2026, 10:00")
