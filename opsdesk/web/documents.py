"""The workspace's document files: upload, verify, the pack as a ZIP download or by email.

Thin views: each form post runs one domain function of
`opsdesk.customers.documents` through the workspace's `_act` (policy
`case.act`); the download is a GET under `customer.view`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opsdesk.access.policy import restrict
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.customers.documents import (
    document_pack,
    document_pack_email,
    document_upload,
    document_verify,
)
from opsdesk.customers.models import Document
from opsdesk.privacy.audit import record_export
from opsdesk.web.actions import _act
from opsdesk.web.shortcuts import customer_or_404, page, staff_view

SECTION = "documents"


@require_POST
@staff_view
def document_upload_view(request: HttpRequest, customer_id: str) -> HttpResponse:
    """A file (PDF or image) with its type and, optionally, whom it is for."""
    customer = customer_or_404(request, customer_id)
    file = request.FILES.get("file")
    doc_type, subject = request.POST.get("doc_type", ""), request.POST.get("subject", "")

    def call(actor: Actor) -> Any:
        if file is None:
            raise ValidationFailed({"file": [_("choose a file")]})
        return document_upload(customer, doc_type=doc_type, file=file, actor=actor, subject=subject)

    return _act(
        request,
        customer,
        section=SECTION,
        key="documents.upload",
        action="case.act",
        call=call,
    )


@require_POST
@staff_view
def document_verify_view(request: HttpRequest, customer_id: str, document_id: str) -> HttpResponse:
    customer = customer_or_404(request, customer_id)
    doc = get_object_or_404(Document, pk=document_id, customer=customer)
    return _act(
        request,
        customer,
        section=SECTION,
        key=f"doc:{doc.pk}",
        action="case.act",
        call=lambda actor: document_verify(doc.pk, actor=actor),
    )


@require_POST
@staff_view
def document_pack_email_view(request: HttpRequest, customer_id: str) -> HttpResponse:
    """The pack as an email attachment to the customer's address."""
    customer = customer_or_404(request, customer_id)
    return _act(
        request,
        customer,
        section=SECTION,
        key="documents.email",
        action="case.act",
        call=lambda actor: document_pack_email(customer, actor=actor),
    )


@require_GET
@staff_view
def document_pack_download(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Every document with a file as one ZIP (`document_pack`), as an attachment."""
    customer = customer_or_404(request, customer_id)
    restrict(request.user, "customer.view", customer)
    try:
        filename, data = document_pack(customer)
    except Conflict as exc:  # a stored file changed or went missing
        return page(request, "web/error.html", {"message": str(exc)}, status=409)
    record_export(request, customer.pk, "zip")
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
