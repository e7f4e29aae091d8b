"""The testimonials page (managers): feedback kept with the customer's consent,
published or withdrawn one by one, and a CSV export."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opsdesk.access.policy import restrict
from opsdesk.common.actors import Actor
from opsdesk.common.spreadsheets import no_formula
from opsdesk.feedback import selectors
from opsdesk.feedback.services import testimonial_publish
from opsdesk.privacy.audit import record_exports
from opsdesk.web.feedback import Feedback, attempt
from opsdesk.web.selectors import page_number, paginate
from opsdesk.web.shortcuts import page, staff_view

# Deciding what goes on the website is a manager's call, like the reports.
ACTION = "report.view"
CSV_COLUMNS = ("customer", "rating", "text", "case", "date", "published")


def _page(request: HttpRequest, fb: Feedback | None = None) -> HttpResponse:
    restrict(request.user, ACTION)
    rows = paginate(selectors.testimonials(request.user), page_number(request.GET.get("page")))
    return page(
        request,
        "web/testimonials.html",
        {"nav": "testimonials", "testimonials": rows, "fb": fb},
        status=fb.status if fb else 200,
    )


@require_GET
@staff_view
def testimonials(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@staff_view
def publish(request: HttpRequest, testimonial_id: str) -> HttpResponse:
    restrict(request.user, ACTION)
    item = selectors.testimonials(request.user).filter(pk=testimonial_id).first()
    if item is None:
        raise Http404("no such testimonial")
    published = request.POST.get("published") == "1"

    def call(actor: Actor) -> None:
        testimonial_publish(item.pk, published, actor)

    fb = attempt(request, f"testimonial:{item.pk}", call, section="testimonials")
    if fb is not None:
        return _page(request, fb)
    done = (
        _("%(name)s's testimonial published.")
        if published
        else _("%(name)s's testimonial withdrawn from the website.")
    )
    messages.success(request, done % {"name": item.customer.full_name})
    return redirect("web:testimonials")


@require_GET
@staff_view
def testimonials_csv(request: HttpRequest) -> HttpResponse:
    restrict(request.user, ACTION)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    customer_ids: list[str] = []
    for t in selectors.testimonials(request.user).iterator():
        customer_ids.append(t.customer_id)
        writer.writerow(
            [
                # Customers wrote these: no spreadsheet formulas.
                no_formula(t.customer.full_name),
                t.rating,
                no_formula(t.text),
                t.feedback.case.number,
                timezone.localtime(t.created_at).date().isoformat(),
                "yes" if t.published else "no",
            ]
        )
    record_exports(request, customer_ids, "csv", {"file": "testimonials.csv"})
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="testimonials.csv"'
    return response
