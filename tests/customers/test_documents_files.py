"""Documents as files: upload, verify, the document pack (ZIP, email) and their API."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opsdesk.access.tokens import token_create
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.comms.models import Message
from opsdesk.customers.documents import (
    document_pack,
    document_pack_email,
    document_upload,
    document_verify,
)
from opsdesk.customers.models import Customer, Document
from opsdesk.customers.services import CustomerInput, customer_create, order_review
from opsdesk.runtime.models import OutboxItem
from opsdesk.runtime.worker import Worker
from opsdesk.tasks.models import Task
from opsdesk.tasks.services import task_complete, task_create
from tests.fakes.smtp import FakeSmtpServer

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(50)
AGENT = Actor("user:ayse")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """A fresh MEDIA_ROOT for the test: default_storage writes here."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def stored_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def new_customer(**changes: Any) -> Customer:
    data: dict[str, Any] = {
        "given_name": "Elif",
        "family_name": "Demir",
        "email": "elif@example.com",
        "language": "en",
    }
    data.update(changes)
    return customer_create(CustomerInput(**data), Actor("test"))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- upload --------------------------------------------------------------------------


def test_upload_stores_the_file_under_a_generated_name_with_its_checksum(
    media: Path, frozen_clock: Any
) -> None:
    customer = new_customer()
    doc = document_upload(
        customer,
        doc_type=" Passport ",
        file=upload("../../etc/Passport scan.pdf", PDF, "text/plain"),  # declared type ignored
        actor=AGENT,
        subject="trv_1",
    )

    doc = Document.objects.get(pk=doc.pk)
    assert doc.file.name == f"documents/2026/10/{doc.pk}.pdf"
    assert stored_files(media) == [f"documents/2026/10/{doc.pk}.pdf"]
    assert (media / doc.file.name).read_bytes() == PDF
    assert (doc.sha256, doc.size, doc.content_type) == (sha(PDF), len(PDF), "application/pdf")
    assert (doc.original_name, doc.doc_type, doc.subject) == (
        "Passport scan.pdf",
        "Passport",
        "trv_1",
    )
    assert (doc.case, doc.source, doc.received_at) == (None, "STAFF", frozen_clock.now())
    assert (doc.verified_by, doc.verified_at) == ("", None)
    (row,) = TimelineEvent.objects.filter(customer=customer, type="DOCUMENT_RECEIVED")
    assert (row.actor, row.case, row.payload) == (
        "user:ayse",
        None,
        {"document_id": doc.pk, "doc_type": "Passport"},
    )


NOT_ALLOWED = {"file": ["must be a PDF, JPEG, PNG, WebP or HEIC file"]}
EMPTY = {"file": ["the file is empty"]}
NO_TYPE = {"doc_type": ["this field is required"]}


@pytest.mark.parametrize(
    ("doc_type", "file", "errors"),
    [
        ("Passport", upload("notes.pdf", b"just some text", "application/pdf"), NOT_ALLOWED),
        ("Passport", upload("big.pdf", PDF + bytes(100)), {"file": ["at most 64 bytes"]}),
        ("Passport", upload("empty.pdf", b""), EMPTY),
        ("  ", upload("p.pdf", PDF), NO_TYPE),
        ("", upload("empty.pdf", b""), NO_TYPE | EMPTY),
    ],
    ids=["wrong-type", "too-big", "empty", "no-doc-type", "both"],
)
def test_bad_uploads_are_refused_and_store_nothing(
    media: Path, settings: Any, doc_type: str, file: SimpleUploadedFile, errors: dict[str, Any]
) -> None:
    settings.OPSDESK_DOCUMENT_MAX_BYTES = 64
    customer = new_customer()
    timeline_before = TimelineEvent.objects.count()

    with pytest.raises(ValidationFailed) as exc:
        document_upload(customer, doc_type=doc_type, file=file, actor=AGENT)

    assert exc.value.errors == errors
    assert Document.objects.count() == 0
    assert stored_files(media) == []
    assert TimelineEvent.objects.count() == timeline_before


def test_a_case_of_another_customer_is_refused(media: Path, onboarding: Any, staff: Any) -> None:
    other = new_customer(given_name="Other", fields={"service_type": "immigration"})
    customer = new_customer(fields={"service_type": "immigration"})
    with pytest.raises(ValidationFailed) as exc:
        document_upload(
            customer,
            doc_type="Passport",
            file=upload("p.pdf", PDF),
            actor=AGENT,
            case=Case.objects.get(customer=other),
        )
    assert exc.value.errors == {"case": ["not a case of this customer"]}
    assert (Document.objects.count(), stored_files(media)) == (0, [])


def test_an_upload_tells_the_open_cases_like_a_received_document(
    media: Path, onboarding: Any, staff: Any, frozen_clock: Any
) -> None:
    # The onboarding SOP up to its last missing document (as in test_whole_sop_to_onboarded).
    agent = Actor.of_user(staff.ayse.user)
    docs = ["Passport (all pages)", "Biometric photo", "Residence permit card"]
    docs.append("Rental contract or proof of address")
    customer = new_customer(
        whatsapp=True,
        phone="+90 532 123 45 67",
        nationality="TR",
        fields={"service_type": "immigration"},
        order={"service_type": "immigration", "notes": ""},
        documents=docs,
    )
    case = Case.objects.get(customer=customer)
    order_review(customer.orders.get().pk, agent, service_type="immigration", notes="")
    task_create(case_id=case.pk, key="follow_up", actor=agent)
    task_complete(Task.objects.get(case=case, key="intake").pk, agent)
    case.refresh_from_db()
    assert case.state == "collecting_documents"

    doc = document_upload(
        customer,
        doc_type="Health insurance policy",
        file=upload("policy.jpg", JPEG, "image/jpeg"),
        actor=agent,
        case=case,
    )

    case.refresh_from_db()
    assert (case.state, case.status) == ("onboarded", "CLOSED")
    assert (doc.case_id, doc.content_type, doc.file.name) == (
        case.pk,
        "image/jpeg",
        f"documents/2026/10/{doc.pk}.jpg",
    )


# --- verify --------------------------------------------------------------------------


def test_verify_records_who_and_when_and_twice_is_a_conflict(
    media: Path, frozen_clock: Any
) -> None:
    doc = document_upload(
        new_customer(), doc_type="Passport", file=upload("p.pdf", PDF), actor=AGENT
    )
    verified = document_verify(doc.pk, actor=Actor("user:john"))
    at = frozen_clock.now()
    assert (verified.verified_by, verified.verified_at) == ("user:john", at)
    doc.refresh_from_db()
    assert (doc.verified_by, doc.verified_at) == ("user:john", at)

    frozen_clock.set_now(at.replace(hour=9))
    with pytest.raises(Conflict, match="already verified by user:john"):
        document_verify(doc.pk, actor=AGENT)
    doc.refresh_from_db()
    assert (doc.verified_by, doc.verified_at) == ("user:john", at)


def test_a_file_changed_on_disk_is_not_verified(media: Path, frozen_clock: Any) -> None:
    doc = document_upload(
        new_customer(), doc_type="Passport", file=upload("p.pdf", PDF), actor=AGENT
    )
    (media / doc.file.name).write_bytes(PDF.replace(b"1.7", b"1.4"))

    with pytest.raises(Conflict, match="changed since it was received"):
        document_verify(doc.pk, actor=AGENT)
    doc.refresh_from_db()
    assert (doc.verified_by, doc.verified_at) == ("", None)
    with pytest.raises(Conflict, match="changed since received"):
        document_pack(doc.customer)


# --- the pack ------------------------------------------------------------------------


def read_zip(data: bytes) -> tuple[dict[str, bytes], list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        entries = {name: zf.read(name) for name in zf.namelist()}
    manifest = list(csv.DictReader(io.StringIO(entries["manifest.csv"].decode())))
    return entries, manifest


@pytest.fixture
def family(media: Path, onboarding: Any, staff: Any, frozen_clock: Any) -> dict[str, Any]:
    """A customer with a case and five documents: two travellers, a legacy row without a file."""
    customer = new_customer(fields={"service_type": "immigration"})
    case = Case.objects.get(customer=customer)
    Document.objects.create(customer=customer, doc_type="Old paper", received_at=frozen_clock.now())
    up = {
        "p1": document_upload(
            customer, doc_type="Passport", file=upload("a.pdf", PDF), actor=AGENT,
            subject="trv_1", case=case,
        ),
        "photo1": document_upload(
            customer, doc_type="Biometric photo", file=upload("a.png", PNG, "image/png"),
            actor=AGENT, subject="trv_1", case=case,
        ),
        "p2": document_upload(
            customer, doc_type="Passport", file=upload("b.jpg", JPEG, "image/jpeg"),
            actor=AGENT, subject="trv_2", case=case,
        ),
    }  # fmt: skip
    # Later, so the two passports of trv_2 have an order (same type, same subject).
    frozen_clock.set_now(frozen_clock.now() + dt.timedelta(hours=1))
    up["p2b"] = document_upload(
        customer, doc_type="Passport", file=upload("c.pdf", PDF + b"page 2"), actor=AGENT,
        subject="trv_2",
    )  # fmt: skip
    up["bill"] = document_upload(
        customer, doc_type="Utility bill", file=upload("d.pdf", PDF), actor=AGENT
    )
    document_verify(up["p1"].pk, actor=Actor("user:john"))
    return {"customer": customer, "case": case, **up}


def test_the_pack_holds_every_file_and_a_manifest(family: dict[str, Any]) -> None:
    customer = family["customer"]
    filename, data = document_pack(customer)

    assert filename == f"{customer.pk}-documents.zip"
    entries, manifest = read_zip(data)
    assert entries == {
        "customer/utility-bill-1.pdf": PDF,
        "trv_1/biometric-photo-1.png": PNG,
        "trv_1/passport-1.pdf": PDF,
        "trv_2/passport-1.jpg": JPEG,
        "trv_2/passport-2.pdf": PDF + b"page 2",
        "manifest.csv": entries["manifest.csv"],
    }

    def row(name: str, key: str, data: bytes) -> dict[str, str]:
        doc = family[key]
        return {
            "name": name,
            "doc_type": doc.doc_type,
            "subject": doc.subject,
            "sha256": sha(data),
            "size": str(len(data)),
            "received_at": doc.received_at.isoformat(),
            "verified_by": "user:john" if key == "p1" else "",
        }

    assert manifest == [
        row("customer/utility-bill-1.pdf", "bill", PDF),
        row("trv_1/biometric-photo-1.png", "photo1", PNG),
        row("trv_1/passport-1.pdf", "p1", PDF),
        row("trv_2/passport-1.jpg", "p2", JPEG),
        row("trv_2/passport-2.pdf", "p2b", PDF + b"page 2"),
    ]
    assert manifest[0]["received_at"] == "2026-10-28T08:00:00+00:00"
    assert document_pack(customer) == (filename, data)  # the same documents, the same bytes


def test_the_pack_narrowed_to_a_case_or_a_subject(family: dict[str, Any]) -> None:
    customer, case = family["customer"], family["case"]
    filename, data = document_pack(customer, case=case)
    assert filename == f"{case.number}-documents.zip"
    assert sorted(read_zip(data)[0]) == [
        "manifest.csv",
        "trv_1/biometric-photo-1.png",
        "trv_1/passport-1.pdf",
        "trv_2/passport-1.jpg",
    ]
    filename, data = document_pack(customer, subject="trv_2")
    assert filename == f"{customer.pk}-trv_2-documents.zip"
    entries, manifest = read_zip(data)
    assert sorted(entries) == ["manifest.csv", "trv_2/passport-1.jpg", "trv_2/passport-2.pdf"]
    assert [row["name"] for row in manifest] == ["trv_2/passport-1.jpg", "trv_2/passport-2.pdf"]


def test_the_pack_is_emailed_as_an_attachment_by_the_worker(
    family: dict[str, Any], smtp_adapter: FakeSmtpServer, media: Path
) -> None:
    customer = family["customer"]
    filename, data = document_pack(customer)

    message = document_pack_email(customer, actor=AGENT, to="Visa.Office@Example.com")

    stored = f"packs/{message.pk}/{filename}"
    assert (media / stored).read_bytes() == data
    message.refresh_from_db()
    assert (message.channel, message.direction, message.status) == ("EMAIL", "OUTBOUND", "QUEUED")
    assert message.to_address == "Visa.Office@example.com"
    assert message.attachments == [
        {"name": filename, "content_type": "application/zip", "storage_path": stored}
    ]
    assert OutboxItem.objects.get(message=message).kind == "message.send"
    queued = TimelineEvent.objects.filter(type="MESSAGE_QUEUED", payload__message_id=message.pk)
    assert [(e.actor, e.payload) for e in queued] == [
        ("user:ayse", {"message_id": message.pk, "channel": "EMAIL", "template": ""})
    ]
    assert smtp_adapter.received == []  # nothing leaves before the worker runs

    Worker().run_once()

    # The onboarding's own emails went out too; ours is the one with our Message-ID.
    (received,) = [r for r in smtp_adapter.received if message.pk.encode() in r.data]
    assert received.rcpt_tos == ("Visa.Office@example.com",)
    email = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(received.data))
    assert email["Subject"] == "Your documents (5)"
    (attachment,) = list(email.iter_attachments())
    assert (attachment.get_content_type(), attachment.get_filename()) == (
        "application/zip",
        filename,
    )
    assert attachment.get_content() == data
    message.refresh_from_db()
    assert message.status == "SENT"


def test_no_email_address_or_no_files_sends_nothing(media: Path, frozen_clock: Any) -> None:
    customer = new_customer(email="")
    document_upload(customer, doc_type="Passport", file=upload("p.pdf", PDF), actor=AGENT)
    before = (Message.objects.count(), OutboxItem.objects.count(), TimelineEvent.objects.count())
    files = stored_files(media)

    with pytest.raises(ValidationFailed) as exc:
        document_pack_email(customer, actor=AGENT)
    assert exc.value.errors == {"to": ["the customer has no email address"]}
    with pytest.raises(ValidationFailed) as exc:
        document_pack_email(customer, actor=AGENT, to="not an address")
    assert exc.value.errors == {"to": ["not a valid email address"]}
    with pytest.raises(ValidationFailed) as exc:
        document_pack_email(new_customer(), actor=AGENT)
    assert exc.value.errors == {"documents": ["no document with a file to send"]}

    after = (Message.objects.count(), OutboxItem.objects.count(), TimelineEvent.objects.count())
    assert after == (before[0], before[1], before[2] + 1)  # + the second customer's creation
    assert stored_files(media) == files


# --- API -----------------------------------------------------------------------------


def url(customer: Customer, rest: str) -> str:
    return f"/api/v1/customers/{customer.pk}/documents/{rest}"


def test_api_upload_then_verify(
    client: Client, media: Path, onboarding: Any, staff: Any, frozen_clock: Any
) -> None:
    customer = new_customer(fields={"service_type": "immigration"})
    case = Case.objects.get(customer=customer)
    _, token = token_create(staff.ayse.user, "ayse-laptop")

    form = {"doc_type": "Passport", "subject": "trv_1", "case_id": case.pk}
    r = client.post(
        url(customer, "upload"),
        {**form, "file": upload("p.pdf", PDF)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert r.status_code == 201, r.content
    doc = Document.objects.get()
    assert r.json() == {
        "id": doc.pk,
        "customer_id": customer.pk,
        "case_id": case.pk,
        "subject": "trv_1",
        "doc_type": "Passport",
        "original_name": "p.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": sha(PDF),
        "received_at": "2026-10-28T07:00:00Z",
        "verified_by": "",
        "verified_at": None,
    }
    assert (doc.source, stored_files(media)) == ("API", [doc.file.name])
    assert TimelineEvent.objects.get(type="DOCUMENT_RECEIVED").actor == "api:ayse"

    client.force_login(staff.john.user)
    r = client.post(f"/api/v1/documents/{doc.pk}/verify")
    assert r.status_code == 200, r.content
    assert (r.json()["verified_by"], r.json()["verified_at"]) == (
        "user:john",
        "2026-10-28T07:00:00Z",
    )
    r = client.post(f"/api/v1/documents/{doc.pk}/verify")
    assert r.status_code == 409
    assert r.json() == {"detail": "the document is already verified by user:john"}


def test_api_bad_upload_is_422_and_stores_nothing(
    client: Client, media: Path, onboarding: Any, staff: Any
) -> None:
    customer = new_customer(fields={"service_type": "immigration"})
    client.force_login(staff.ayse.user)
    before = TimelineEvent.objects.count()

    r = client.post(url(customer, "upload"), {"file": upload("x.gif", b"GIF89a....", "image/gif")})

    assert r.status_code == 422
    assert r.json() == {
        "detail": "invalid input",
        "errors": {
            "doc_type": ["this field is required"],
            "file": ["must be a PDF, JPEG, PNG, WebP or HEIC file"],
        },
    }
    r = client.post(url(customer, "upload"), {"doc_type": "Passport"})  # no file at all
    assert r.status_code == 422
    # ninja's own check (opsdesk.api.errors names the field by its location).
    assert r.json() == {"detail": "invalid input", "errors": {"file.file": ["Field required"]}}
    assert (Document.objects.count(), stored_files(media)) == (0, [])
    assert TimelineEvent.objects.count() == before


def test_api_refusals_change_nothing(
    client: Client, media: Path, onboarding: Any, staff: Any, frozen_clock: Any
) -> None:
    # Created by the integration, so it may see it (customer.view) but not act on it.
    customer = customer_create(
        CustomerInput(
            given_name="Elif",
            family_name="Demir",
            email="elif@example.com",
            phone="+44 7911 123456",
            whatsapp=True,
            nationality="GB",
            fields={"service_type": "immigration"},
        ),
        Actor.of_user(staff.integration.user, "api"),
    )
    doc = document_upload(customer, doc_type="Passport", file=upload("p.pdf", PDF), actor=AGENT)
    case = Case.objects.get(customer=customer)
    assert case.team_id == staff.team.pk  # Olga's team is another one
    before = (Document.objects.count(), TimelineEvent.objects.count(), stored_files(media))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {staff.token}"}

    client.force_login(staff.outsider.user)
    assert (
        client.post(
            url(customer, "upload"), {"doc_type": "Visa", "file": upload("v.pdf", PDF)}
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/documents/{doc.pk}/verify").status_code == 404
    assert client.get(url(customer, "pack.zip")).status_code == 404
    client.logout()

    assert (
        client.post(
            url(customer, "upload"), {"doc_type": "Visa", "file": upload("v.pdf", PDF)}, **bearer
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/documents/{doc.pk}/verify", **bearer).status_code == 403
    assert client.post(f"/api/v1/documents/{doc.pk}/verify").status_code == 401
    assert client.post("/api/v1/documents/doc_nope/verify", **bearer).status_code == 404

    doc.refresh_from_db()
    assert (doc.verified_by, doc.verified_at) == ("", None)
    assert (Document.objects.count(), TimelineEvent.objects.count(), stored_files(media)) == before

    # The integration may read what it created: the pack.
    r = client.get(url(customer, "pack.zip"), **bearer)
    assert r.status_code == 200
    assert r["Content-Type"] == "application/zip"
    assert r["Content-Disposition"] == f'attachment; filename="{customer.pk}-documents.zip"'
    assert r.content == document_pack(customer)[1]


def test_api_pack_filters(client: Client, family: dict[str, Any], staff: Any) -> None:
    customer, case = family["customer"], family["case"]
    client.force_login(staff.ayse.user)

    r = client.get(url(customer, "pack.zip"), {"case": case.pk})
    assert r.status_code == 200
    assert r.content == document_pack(customer, case=case)[1]
    r = client.get(url(customer, "pack.zip"), {"subject": "trv_1"})
    assert r.content == document_pack(customer, subject="trv_1")[1]
    assert client.get(url(customer, "pack.zip"), {"case": "case_unknown"}).status_code == 404


def test_api_pack_email_queues_the_pack_and_refusals_change_nothing(
    client: Client, family: dict[str, Any], staff: Any, media: Path
) -> None:
    customer, case = family["customer"], family["case"]
    filename, data = document_pack(customer, case=case)
    before = (Message.objects.count(), OutboxItem.objects.count(), stored_files(media))
    endpoint = url(customer, "pack/email")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {staff.token}"}  # the integration did not create it

    assert client.post(endpoint, {}, content_type="application/json", **bearer).status_code == 404
    assert client.post(endpoint, {}, content_type="application/json").status_code == 401
    client.force_login(staff.ayse.user)
    r = client.post(endpoint, {"to": "nope"}, content_type="application/json")
    assert (r.status_code, r.json()["errors"]) == (422, {"to": ["not a valid email address"]})
    r = client.post(endpoint, {"case_id": "case_unknown"}, content_type="application/json")
    assert r.status_code == 404
    assert (Message.objects.count(), OutboxItem.objects.count(), stored_files(media)) == before

    r = client.post(
        endpoint, {"to": "office@example.com", "case_id": case.pk}, content_type="application/json"
    )

    assert r.status_code == 201, r.content
    message = Message.objects.get(pk=r.json()["id"])
    assert r.json() == {
        "id": message.pk,
        "case_id": case.pk,
        "channel": "EMAIL",
        "direction": "OUTBOUND",
        "template": "",
        "body": message.body,
        "status": "QUEUED",
        "created_at": "2026-10-28T08:00:00Z",
    }
    stored = f"packs/{message.pk}/{filename}"
    assert (message.to_address, message.subject, message.actor) == (
        "office@example.com",
        "Your documents (3)",
        "user:ayse",
    )
    assert message.attachments == [
        {"name": filename, "content_type": "application/zip", "storage_path": stored}
    ]
    assert (media / stored).read_bytes() == data
    assert OutboxItem.objects.get(message=message).kind == "message.send"
    assert Message.objects.count() == before[0] + 1
