"""The dead-letter page (admins and managers): messages and effects the worker gave
up on, newest first, each with a Retry button (opsdesk.runtime.deadletters)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opsdesk.access.policy import restrict
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.runtime.deadletters import (
    dead_letter_rows,
    dead_letters,
    dead_letters_retry,
    outbox_items,
)
from opsdesk.web.feedback import Feedback, attempt
from opsdesk.web.selectors import page_number, paginate
from opsdesk.web.shortcuts import page, staff_view

# Operations pages are for managers and admins, like the reports.
ACTION = "report.view"
SECTION = "dead-letters"


def _page(request: HttpRequest, fb: Feedback | None = None) -> HttpResponse:
    restrict(request.user, ACTION)
    pg = paginate(dead_letters(request.user), page_number(request.GET.get("page")))
    return page(
        request,
        "web/dead_letters.html",
        {"nav": "dead_letters", "pg": pg, "rows": dead_letter_rows(pg.items), "fb": fb},
        status=fb.status if fb else 200,
    )


@require_GET
@staff_view
def dead_letter_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@staff_view
def dead_letter_retry(request: HttpRequest) -> HttpResponse:
    restrict(request.user, ACTION)
    raw = request.POST.get("item", "")
    try:
        item_id = int(raw)
    except ValueError:
        return _page(request, _invalid(request, raw))
    # Only what this user may see exists: another team's dead letter is a 404. Any
    # status: one retried meanwhile is the domain's Conflict, not a 404.
    if not outbox_items(request.user).filter(pk=item_id).exists():
        raise Http404("no such dead letter")
    confirm = request.POST.get("confirm_unknown") == "1"

    def call(actor: Actor) -> None:
        dead_letters_retry([item_id], actor, confirm_unknown=confirm)

    fb = attempt(request, f"dead:{item_id}", call, section=SECTION)
    if fb is not None:
        return _page(request, fb)
    messages.success(
        request, _("Dead letter #%(id)s queued again; the worker sends it next.") % {"id": item_id}
    )
    return redirect("web:dead_letters")


def _invalid(request: HttpRequest, raw: str) -> Feedback:
    exc = ValidationFailed({"item": ["choose a dead letter to retry"]})
    return Feedback(f"dead:{raw}", 422, errors=exc.errors, values=request.POST, section=SECTION)
