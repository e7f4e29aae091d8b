"""The playbook pages (managers): the active playbooks, and one playbook's diagram
with the open cases in each state."""

from __future__ import annotations

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from opsdesk.access.policy import restrict
from opsdesk.cases.models import Case, CaseStatus, PlaybookVersion
from opsdesk.cases.playbooks import playbook_of
from opsdesk.playbook import diagram
from opsdesk.web.shortcuts import page, staff_view

# Like the reports: how many cases sit where is a manager's figure.
ACTION = "report.view"


@require_GET
@staff_view
def playbook_list(request: HttpRequest) -> HttpResponse:
    restrict(request.user, ACTION)
    versions = list(PlaybookVersion.objects.filter(active=True).order_by("key"))
    open_by_key = dict(
        Case.objects.filter(status=CaseStatus.OPEN)
        .values_list("playbook__key")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = [(v, open_by_key.get(v.key, 0)) for v in versions]
    return page(request, "web/playbooks.html", {"nav": "playbooks", "rows": rows})


@require_GET
@staff_view
def playbook_detail(request: HttpRequest, key: str) -> HttpResponse:
    restrict(request.user, ACTION)
    version = PlaybookVersion.objects.filter(key=key, active=True).first()
    if version is None:
        raise Http404("no such playbook")
    pb = playbook_of(version)
    # Open cases of every version of the playbook, per state: one aggregate query.
    counts: dict[str, int] = dict(
        Case.objects.filter(status=CaseStatus.OPEN, playbook__key=key)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    states = [(name, spec.label or name, counts.get(name, 0)) for name, spec in pb.states.items()]
    # Cases started under an older version may sit in a state this one no longer has.
    elsewhere = sorted((s, n) for s, n in counts.items() if s not in pb.states)
    ctx = {
        "nav": "playbooks",
        "version": version,
        "playbook": pb,
        "svg": diagram.svg(pb, counts),
        "mermaid": diagram.mermaid(pb),
        "states": states,
        "elsewhere": elsewhere,
        "total": sum(counts.values()),
    }
    return page(request, "web/playbook.html", ctx)
