"""Reads shared by the API and the UI: contacts the user may see, what the page
shows of one (its script run, the facts the playbook computes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from opsdesk.access.policy import visible_via
from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import active_versions_for, playbook_of
from opsdesk.common import clock
from opsdesk.comms.models import Direction, Message
from opsdesk.contacts.models import Contact, ContactChannel
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


WAITING_DAYS = 7


def messages_waiting(user: Any, limit: int = 50) -> list[tuple[Message, list[Case]]]:
    """Inbound WhatsApp and email messages of the last week that no contact answers
    yet, from customers with a service ticket the user may see, newest first, each
    with the customer's tickets (newest first): the desk's inbox."""
    since = clock.now() - dt.timedelta(days=WAITING_DAYS)
    tickets = Case.objects.filter(
        customer_id=OuterRef("customer_id"), playbook__key__in=ticket_playbook_keys()
    )
    messages = list(
        Message.objects.filter(
            visible_via(user),
            direction=Direction.INBOUND,
            channel__in=[ContactChannel.WHATSAPP, ContactChannel.EMAIL],
            created_at__gte=since,
            contact__isnull=True,
        )
        .filter(Exists(tickets))
        .select_related("customer")
        .order_by("-created_at")[:limit]
    )
    by_customer: dict[str, list[Case]] = {}
    for case in Case.objects.filter(
        customer_id__in={m.customer_id for m in messages}, playbook__key__in=ticket_playbook_keys()
    ).order_by("-opened_at"):
        by_customer.setdefault(case.customer_id, []).append(case)
    return [(m, by_customer.get(m.customer_id, [])) for m in messages]


def ticket_playbook_keys() -> set[str]:
    """The keys of the active service-order playbooks: their cases are tickets."""
    return {pb.key for _, pb in active_versions_for("order.received")}


def safety_contacts(user: Any) -> QuerySet[Contact]:
    """Safety contacts the user may see (the Safety desk and admins: the case sits
    in the Safety desk team), open first, newest first: the safety desk's queue."""
    return (
        visible_contacts(user)
        .filter(safety=True)
        .select_related("customer", "ticket", "agent")
        .order_by("status", "-closed_at", "-opened_at")
    )
