"""The agent UI's privacy pages: a customer's audit log, the data export (ZIP)
and erasure with its confirmation. Thin, like opsdesk.web's views: find the
customer (404 when the user may not see it), authorize (opsdesk.privacy.access),
call one domain function, render."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.privacy import audit, export, services
from opsdesk.privacy.access import may_export_or_erase, restrict_admin, restrict_audit
from opsdesk.privacy.selectors import audit_entries
from opsdesk.web.feedback import attempt
from opsdesk.web.selectors import page_number, paginate
from opsdesk.web.shortcuts import customer_or_404, page, staff_view


@require_GET
@staff_view
def audit_log(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Who viewed, exported or erased the customer's record. Reading the log is
    not itself logged: it shows ids and staff names, not the customer's data."""
    customer = customer_or_404(request, customer_id)
    restrict_audit(request.user, customer)
    entries = paginate(audit_entries(customer.pk), page_number(request.GET.get("page")))
    return page(
        request,
        "web/privacy_audit.html",
        {
            "nav": "customers",
            "customer": customer,
            "entries": entries,
            "can_erase": may_export_or_erase(request.user),
            "erased": services.is_erased(customer.pk),
        },
    )


@require_POST
@staff_view
def data_export(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Everything held about the customer as a ZIP (data.json and files/), as an
    attachment; a POST because it writes the audit entry."""
    customer = customer_or_404(request, customer_id)
    restrict_admin(request.user, "privacy.export")
    # A file, not memory: a customer's files can be large. FileResponse closes it.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    export.data_export(customer, out, audit.access_of(request))
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=export.zip_filename(customer),
        content_type="application/zip",
    )


@require_http_methods(["GET", "POST"])
@staff_view
def erase_view(request: HttpRequest, customer_id: str) -> HttpResponse:
    """The confirmation page; the post erases once the customer's id is typed."""
    customer = customer_or_404(request, customer_id)
    restrict_admin(request.user, "privacy.erase")
    fb = None
    if request.method == "POST":

        def call(actor: Actor) -> services.Erasure:
            if request.POST.get("confirm", "").strip() != customer.pk:
                raise ValidationFailed({"confirm": [f"type the customer's id, {customer.pk}"]})
            return services.customer_erase(
                customer,
                actor,
                request.POST.get("reason", ""),
                access=audit.access_of(request),
            )

        fb = attempt(request, "privacy.erase", call, section="erase")
        if fb is None:
            messages.success(request, f"The personal data of customer {customer.pk} is erased.")
            return redirect("web:customer_audit", customer_id=customer.pk)
    return page(
        request,
        "web/privacy_erase.html",
        {
            "nav": "customers",
            "customer": customer,
            "fb": fb,
            "erased": services.is_erased(customer.pk),
        },
        status=fb.status if fb else 200,
    )
