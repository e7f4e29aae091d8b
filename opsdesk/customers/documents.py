"""Customer documents as files: upload, verify, and the document pack (ZIP, or by email).

Files go through Django's storage API (`default_storage`, local disk under
MEDIA_ROOT by default) under generated names; the uploaded name is only recorded.
The type is read from the file's first bytes, not from what the client declared.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import slugify

from opsdesk.cases.models import Case
from opsdesk.common import clock, ids
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.comms.attachments import email_with_attachment_queue
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer, Document
from opsdesk.customers.profile import normalize_email
from opsdesk.customers.services import document_received

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Content type -> the extension stored files and pack entries get.
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
}
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_CHUNK = 64 * 1024
MANIFEST_COLUMNS = (
    "name",
    "doc_type",
    "subject",
    "sha256",
    "size",
    "received_at",
    "verified_by",
)

PACKS = "packs"  # where emailed document packs are stored, by message id


def max_bytes() -> int:
    return int(getattr(settings, "OPSDESK_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff_content_type(head: bytes) -> str | None:
    """The allowed type the first bytes show (PDF, JPEG, PNG, WebP, HEIC), else None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "image/heic"
    return None


def _digest(chunks: Iterable[bytes]) -> tuple[str, int, bytes]:
    """sha256 hex, size and the first 16 bytes of a stream of chunks."""
    sha, size, head = hashlib.sha256(), 0, b""
    for chunk in chunks:
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size, head


def _stored_digest(name: str) -> str | None:
    """sha256 of a stored file, None when it is missing."""
    try:
        with default_storage.open(name, "rb") as f:
            return _digest(iter(lambda: f.read(_CHUNK), b""))[0]
    except FileNotFoundError:
        return None


def document_upload(
    customer: Customer,
    *,
    doc_type: str,
    file: UploadedFile,
    actor: Actor,
    case: Case | None = None,
    subject: str = "",
) -> Document:
    """Store an uploaded file as a document of the customer and tell its open cases
    (`document.received`, as `document_receive` does)."""
    doc_type, subject = doc_type.strip(), subject.strip()
    errors: dict[str, list[str]] = {}
    if not doc_type:
        errors["doc_type"] = ["this field is required"]
    elif len(doc_type) > 120:
        errors["doc_type"] = ["at most 120 characters"]
    if len(subject) > 64:
        errors["subject"] = ["at most 64 characters"]
    if case is not None and case.customer_id != customer.pk:
        errors["case"] = ["not a case of this customer"]
    limit = max_bytes()
    content_type = None
    if file.size is not None and file.size > limit:
        errors["file"] = [f"at most {limit} bytes"]
    else:
        file.seek(0)
        sha256, size, head = _digest(file.chunks(_CHUNK))
        content_type = sniff_content_type(head)
        if size == 0:
            errors["file"] = ["the file is empty"]
        elif size > limit:
            errors["file"] = [f"at most {limit} bytes"]
        elif content_type is None:
            errors["file"] = ["must be a PDF, JPEG, PNG, WebP or HEIC file"]
    if errors:
        raise ValidationFailed(errors)
    assert content_type is not None

    now = clock.now()
    doc = Document(
        customer=customer,
        case=case,
        subject=subject,
        doc_type=doc_type,
        sha256=sha256,
        size=size,
        content_type=content_type,
        original_name=(file.name or "").replace("\\", "/").rsplit("/", 1)[-1][:255],
        received_at=now,
        source="API" if actor.label.startswith("api:") else "STAFF",
    )
    file.seek(0)
    stored = default_storage.save(
        f"documents/{now:%Y/%m}/{doc.pk}.{EXTENSIONS[content_type]}", file
    )
    try:
        with transaction.atomic():
            doc.file.name = stored
            doc.save(force_insert=True)
            document_received(doc, actor)
    except BaseException:
        default_storage.delete(stored)
        raise
    return doc


def document_verify(document_id: str, *, actor: Actor) -> Document:
    """Record who checked the document. A file is re-read first: if its bytes no
    longer match the checksum taken when it was received, nothing is recorded."""
    with transaction.atomic():
        doc = Document.objects.select_for_update().get(pk=document_id)
        if doc.verified_at is not None:
            raise Conflict(f"the document is already verified by {doc.verified_by}")
        if doc.file and doc.sha256:
            actual = _stored_digest(doc.file.name)
            if actual is None:
                raise Conflict("the document's file is missing from storage")
            if actual != doc.sha256:
                raise Conflict("the document's file changed since it was received")
        doc.verified_by, doc.verified_at = actor.label, clock.now()
        doc.save(update_fields=["verified_by", "verified_at"])
    return doc


def _name_part(value: str, fallback: str) -> str:
    return slugify(value, allow_unicode=True) or fallback


def _extension(doc: Document) -> str:
    if doc.content_type in EXTENSIONS:
        return EXTENSIONS[doc.content_type]
    suffix = doc.file.name.rsplit(".", 1)[-1] if "." in doc.file.name else ""
    return _name_part(suffix, "bin")


def document_pack(
    customer: Customer, *, case: Case | None = None, subject: str | None = None
) -> tuple[str, bytes]:
    """The customer's documents that have a file, as one ZIP: `<subject or
    'customer'>/<doc_type>-<n>.<ext>` per document plus `manifest.csv`.

    Optionally only a case's documents, or one subject's. Entries are in a fixed
    order (subject, doc_type, received_at, id) with fixed timestamps, so the same
    documents always make the same bytes. A file whose bytes no longer match its
    checksum stops the pack (Conflict)."""
    if case is not None and case.customer_id != customer.pk:
        raise ValidationFailed({"case": ["not a case of this customer"]})
    docs = Document.objects.filter(customer=customer).exclude(file="")
    if case is not None:
        docs = docs.filter(case=case)
    if subject is not None:
        docs = docs.filter(subject=subject.strip())
    docs = docs.order_by("subject", "doc_type", "received_at", "id")

    buffer = io.BytesIO()
    manifest = io.StringIO()
    writer = csv.writer(manifest, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for doc in docs:
            folder = _name_part(doc.subject, "customer")
            stem = f"{folder}/{_name_part(doc.doc_type, 'document')}"
            counts[stem] = counts.get(stem, 0) + 1
            name = f"{stem}-{counts[stem]}.{_extension(doc)}"
            try:
                with default_storage.open(doc.file.name, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                raise Conflict(f"the file of {doc.doc_type} ({doc.pk}) is missing") from None
            sha256 = hashlib.sha256(data).hexdigest()
            if doc.sha256 and sha256 != doc.sha256:
                raise Conflict(f"the file of {doc.doc_type} ({doc.pk}) changed since received")
            zf.writestr(_entry(name, doc.received_at.timetuple()[:6]), data)
            writer.writerow(
                [
                    name,
                    doc.doc_type,
                    doc.subject,
                    sha256,
                    len(data),
                    doc.received_at.isoformat(),
                    doc.verified_by,
                ]
            )
        zf.writestr(_entry("manifest.csv", (1980, 1, 1, 0, 0, 0)), manifest.getvalue())
    parts = [case.number if case is not None else customer.pk]
    if subject:
        parts.append(_name_part(subject, "subject"))
    return f"{'-'.join(parts)}-documents.zip", buffer.getvalue()


def _entry(name: str, date_time: Any) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=tuple(date_time))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def document_pack_email(
    customer: Customer, *, to: str | None = None, actor: Actor, case: Case | None = None
) -> Message:
    """Email the document pack (a ZIP attachment) to the customer, or to `to`.

    The ZIP is stored under `packs/`; the message and its outbox row are written
    in one transaction and the worker sends it after commit (SMTP adapter)."""
    raw = (customer.email if to is None else to).strip()
    address = normalize_email(raw) if raw else None
    if address is None:
        what = "not a valid email address" if raw else "the customer has no email address"
        raise ValidationFailed({"to": [what]})
    filename, data = document_pack(customer, case=case)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        count = len(zf.namelist()) - 1  # the manifest
    if count == 0:
        raise ValidationFailed({"documents": ["no document with a file to send"]})

    now = clock.now()
    message_id = ids.message_id()
    # Stored before the message, so the send after commit can read it (Message.attachments).
    stored = default_storage.save(f"{PACKS}/{message_id}/{filename}", ContentFile(data))
    try:
        with transaction.atomic():
            message = email_with_attachment_queue(
                message_id=message_id,
                customer=customer,
                case=case,
                to_address=address,
                subject=f"Your documents ({count})",
                body=(
                    f"Dear {customer.full_name},\n\n"
                    f"Attached is {filename}: the {count} document(s) we hold for you, "
                    "listed with their checksums in manifest.csv.\n"
                ),
                attachment={
                    "name": stored.rsplit("/", 1)[-1],
                    "content_type": "application/zip",
                    "storage_path": stored,
                },
                actor=actor,
                now=now,
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    return message
