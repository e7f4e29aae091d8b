"""/api/v1 documents as files: upload, verify, and the document pack (a ZIP, or by email)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema, Status, UploadedFile

from opsdesk.access.policy import restrict, visible_via
from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.schemas import ERRORS, MessageOut
from opsdesk.cases.models import Case
from opsdesk.comms.models import Message
from opsdesk.customers.documents import (
    document_pack,
    document_pack_email,
    document_upload,
    document_verify,
)
from opsdesk.customers.models import Document
from opsdesk.privacy.audit import record_export

router = Router(tags=["documents"], auth=AUTH)


class DocumentOut(Schema):
    id: str
    customer_id: str
    case_id: str | None
    subject: str
    doc_type: str
    original_name: str
    content_type: str
    size: int | None
    sha256: str
    received_at: dt.datetime
    verified_by: str
    verified_at: dt.datetime | None


class PackEmailIn(Schema):
    to: str | None = None  # else the customer's email address
    case_id: str | None = None  # only this case's documents


ZIP_RESPONSE = {
    "responses": {
        200: {
            "description": "The document pack: one entry per file and manifest.csv",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get(
    "/customers/{customer_id}/documents/pack.zip",
    response=ERRORS,
    openapi_extra=ZIP_RESPONSE,
)
def pack(
    request: HttpRequest, customer_id: str, case: str | None = None, subject: str | None = None
) -> HttpResponse:
    """The customer's documents with files as one ZIP; `case` or `subject` narrow it."""
    c = lookups.customer(request, customer_id, "customer.view")
    only_case = Case.objects.get(pk=case, customer=c) if case else None
    filename, data = document_pack(c, case=only_case, subject=subject)
    record_export(request, c.pk, "zip", case_id=only_case.pk if only_case else None)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post("/customers/{customer_id}/documents/pack/email", response={201: MessageOut, **ERRORS})
def pack_email(request: HttpRequest, customer_id: str, payload: PackEmailIn) -> Status[Message]:
    """Queue the pack as an email attachment to the customer, or to `to`; 422 when
    there is no address or no document with a file."""
    c = lookups.customer(request, customer_id, "case.act")
    case = Case.objects.get(pk=payload.case_id, customer=c) if payload.case_id else None
    message = document_pack_email(c, to=payload.to, actor=lookups.actor(request), case=case)
    return Status(201, message)


@router.post("/customers/{customer_id}/documents/upload", response={201: DocumentOut, **ERRORS})
def upload(
    request: HttpRequest,
    customer_id: str,
    file: File[UploadedFile],
    doc_type: Form[str] = "",
    subject: Form[str] = "",
    case_id: Form[str] = "",
) -> Status[Any]:
    """A document as a file (multipart): PDF, JPEG, PNG, WebP or HEIC."""
    c = lookups.customer(request, customer_id, "case.act")
    case = Case.objects.get(pk=case_id, customer=c) if case_id else None
    doc = document_upload(
        c, doc_type=doc_type, file=file, actor=lookups.actor(request), case=case, subject=subject
    )
    return Status(201, doc)


@router.post("/documents/{document_id}/verify", response={200: DocumentOut, **ERRORS})
def verify(request: HttpRequest, document_id: str) -> Document:
    """Record that the caller checked the document; 409 if its file changed on disk."""
    doc = Document.objects.select_related("customer").get(visible_via(request.user), pk=document_id)
    restrict(request.user, "case.act", doc)
    return document_verify(doc.pk, actor=lookups.actor(request))
