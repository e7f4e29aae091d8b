"""Reads shared by the API and the UI: contacts the user may see, what the page
shows of one (its script run, the facts the playbook computes)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.access.policy import visible_via
from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_of
from opsdesk.common import clock
from opsdesk.contacts.models import Contact
from opsdesk.contacts.services import contact_context
from opsdesk.engine.scripts import ScriptRun, run_script
from opsdesk.playbook.model import Playbook


def visible_contacts(user: Any) -> QuerySet[Contact]:
    return Contact.objects.filter(visible_via(user, "customer_id"))


def contact_for(user: Any, contact_id: str) -> Contact:
    """The contact, if the user may see its customer (else Contact.DoesNotExist)."""
    return (
        visible_contacts(user)
        .select_related("case__playbook", "ticket", "customer")
        .get(pk=contact_id)
    )


def contact_view(contact: Contact) -> dict[str, Any]:
    """The playbook, the script run (None before a reason), the script labels and
    the computed facts (name -> value) for one contact."""
    case = Case.objects.select_related("customer", "playbook", "team", "agent").get(
        pk=contact.case_id
    )
    pb: Playbook = playbook_of(case.playbook)
    ctx = contact_context(case, pb, clock.now())
    run: ScriptRun | None = None
    if contact.reason:
        run = run_script(pb, contact.reason, ctx, contact.answers)
    return {
        "pb": pb,
        "run": run,
        "reasons": {key: s.label for key, s in pb.scripts.items()},
        "facts": {name: ctx.get(name) for name in pb.computed},
    }


def run_dict(run: ScriptRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    end = run.end
    return {
        "script": run.script,
        "path": [
            {"node": s.node, "kind": s.kind, "say": s.say, "branch": s.branch, "answer": s.answer}
            for s in run.path
        ],
        "waiting": run.waiting,
        "question": run.question,
        "answers": run.answers,
        "end": None
        if end is None
        else {
            "tag": end.tag,
            "resolution": end.resolution,
            "remarks": end.remarks,
            "action": end.action,
        },
    }
