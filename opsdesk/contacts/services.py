"""Domain functions of a contact desk: find the ticket, open a contact, walk the
script (reason, answers), close it with its disposition and do its action.

A contact is a case of its own (the active `contact.received` playbook) about a
ticket (a service-order case). The script is the playbook's; the facts it checks
come from the contact case's context (`ticket`, `contact`, computed values), so
the web page, the API and the walk here all see the same path.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q

from opsdesk.access.policy import agent_of, visible_via
from opsdesk.cases.apply import bump_open_cases, timeline_row
from opsdesk.cases.models import Case, CaseStatus
from opsdesk.cases.playbooks import active_versions_for, playbook_of
from opsdesk.cases.services import Known, case_open, decide_and_apply, lock_case
from opsdesk.cases.snapshot import build_snapshot
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, Refused, ValidationFailed
from opsdesk.comms.models import Direction, Message
from opsdesk.contacts.context import contact_dict, tickets_context
from opsdesk.contacts.models import Contact, ContactChannel, ContactStatus
from opsdesk.customers.profile import normalize_phone
from opsdesk.engine.decide import context_of
from opsdesk.engine.scripts import ScriptError, ScriptRun, run_script
from opsdesk.engine.types import Event
from opsdesk.playbook.model import Playbook, ScriptEnd
from opsdesk.scheduling.services import booked_appointment, free_slots
from opsdesk.staff.models import Agent, Role, Team
from opsdesk.tasks.models import Priority, Task
from opsdesk.tasks.services import task_create

TICKET_TRIGGER = "order.received"
CONTACT_TRIGGER = "contact.received"
SAFETY_TEAM = "Safety desk"
SEARCH_LIMIT = 20
# Facts kept on the row at close (for the reports) when the playbook computes them.
FACTS = ("spd_breached", "within_warranty")


# --- finding the ticket -------------------------------------------------------


def ticket_search(query: str, user: Any) -> list[Case]:
    """Service-order cases the user may see, by the customer's phone, the case
    number or the customer's name (every word in the given or family name),
    newest first."""
    text = query.strip()
    if not text:
        return []
    keys = {pb.key for _, pb in active_versions_for(TICKET_TRIGGER)}
    if not keys:
        return []
    phone = normalize_phone(text)
    if phone:
        match = Q(customer__phone=phone)
    else:
        match = Q(number__iexact=text)
        words = Q()
        for word in text.split():
            words &= Q(customer__given_name__icontains=word) | Q(
                customer__family_name__icontains=word
            )
        match |= words
    rows = (
        Case.objects.filter(match, visible_via(user, "customer_id"), playbook__key__in=keys)
        .select_related("customer")
        .order_by("-opened_at", "-pk")
    )
    return list(rows[:SEARCH_LIMIT])


# --- the contact ----------------------------------------------------------------


def contact_open(
    ticket_case_id: str, channel: str, actor: Actor, *, message_id: str | None = None
) -> Contact:
    """Open a contact about a ticket: a case under the active contact-desk playbook
    for the ticket's customer, and its Contact row. `message_id`: the customer's
    inbound WhatsApp or email the contact answers (its channel is the contact's).
    Raises ValidationFailed."""
    message = None
    if message_id:
        message = Message.objects.filter(pk=message_id, direction=Direction.INBOUND).first()
        if message is None or message.channel not in (
            ContactChannel.WHATSAPP,
            ContactChannel.EMAIL,
        ):
            raise ValidationFailed({"message_id": ["no such inbound WhatsApp or email"]})
        channel = message.channel
    if channel not in ContactChannel.values:
        raise ValidationFailed({"channel": [f"one of {', '.join(ContactChannel.values)}"]})
    ticket = Case.objects.select_related("customer").filter(pk=ticket_case_id).first()
    if ticket is None:
        raise ValidationFailed({"ticket_id": ["no such ticket"]})
    if message is not None:
        if message.customer_id != ticket.customer_id:
            raise ValidationFailed({"message_id": ["the message is from another customer"]})
        if Contact.objects.filter(message=message).exists():
            raise ValidationFailed({"message_id": ["a contact already answers this message"]})
    if ticket.playbook.key not in {pb.key for _, pb in active_versions_for(TICKET_TRIGGER)}:
        raise ValidationFailed({"ticket_id": [f"{ticket.number} is not a service order"]})
    desks = active_versions_for(CONTACT_TRIGGER)
    if not desks:
        raise ValidationFailed({"ticket_id": ["no contact desk playbook is active"]})
    version, _ = desks[0]
    now = clock.now()
    with transaction.atomic():
        contact = Contact(
            ticket=ticket,
            customer=ticket.customer,
            channel=channel,
            message=message,
            agent=agent_of(actor.user),
            opened_at=now,
        )
        known = Known(
            context={
                "ticket": tickets_context([ticket])[ticket.pk],
                "contact": contact_dict(contact),
            }
        )
        case = case_open(
            customer=ticket.customer,
            version=version,
            fields={},
            actor=actor,
            known=known,
            partial=True,  # a contact's fields, if any, are filled during the call
        )
        contact.case = case
        contact.save(force_insert=True)
        timeline_row(
            ticket,
            ticket.customer_id,
            "CONTACT_OPENED",
            actor,
            now,
            contact_id=contact.pk,
            contact_case=case.number,
            channel=channel,
        ).save()
    return contact


def _locked(contact_id: str) -> Contact:
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None:
        raise ValidationFailed({"contact": ["no such contact"]})
    if contact.status != ContactStatus.OPEN:
        raise Conflict(f"contact {contact.pk} is already closed")
    return contact


def contact_context(case: Case, pb: Playbook, now: dt.datetime) -> dict[str, Any]:
    """What the script's checks see: the contact case's context, computed values included."""
    return context_of(pb, build_snapshot(case, pb), now)


def contact_run(contact: Contact, now: dt.datetime | None = None) -> ScriptRun | None:
    """Where the contact's script stands (None before a reason is chosen)."""
    if not contact.reason:
        return None
    case = Case.objects.select_related("customer", "playbook", "team", "agent").get(
        pk=contact.case_id
    )
    pb = playbook_of(case.playbook)
    ctx = contact_context(case, pb, now or clock.now())
    return run_script(pb, contact.reason, ctx, contact.answers)


def contact_reason(contact_id: str, reason: str, actor: Actor) -> Contact:
    """Choose the script (the reason for the contact); starts its answers afresh."""
    with transaction.atomic():
        contact = _locked(contact_id)
        pb = playbook_of(Case.objects.select_related("playbook").get(pk=contact.case_id).playbook)
        if reason not in pb.scripts:
            choices = ", ".join(pb.scripts) or "none"
            raise ValidationFailed({"reason": [f"one of {choices}"]})
        Contact.objects.filter(pk=contact.pk).update(reason=reason, answers={})
        contact.reason, contact.answers = reason, {}
    return contact


def contact_answer(contact_id: str, step: str, answer: str, actor: Actor) -> ScriptRun:
    """Record the customer's answer to a question on the current path (the open one,
    or an earlier one to change it: answers the new path no longer asks are dropped)."""
    with transaction.atomic():
        contact = _locked(contact_id)
        if not contact.reason:
            raise ValidationFailed({"reason": ["choose a reason first"]})
        case = lock_case(contact.case_id)
        pb = playbook_of(case.playbook)
        ctx = contact_context(case, pb, clock.now())
        current = run_script(pb, contact.reason, ctx, contact.answers)
        asked = {s.node for s in current.path if s.kind == "ask"}
        if step != current.waiting and step not in asked:
            raise ValidationFailed({"step": [f"{step!r} is not a question on this path"]})
        try:
            run = run_script(pb, contact.reason, ctx, {**contact.answers, step: answer})
        except ScriptError as exc:
            raise ValidationFailed({"answer": [str(exc)]}) from None
        kept = {s.node: s.answer for s in run.path if s.kind == "ask"}
        Contact.objects.filter(pk=contact.pk).update(answers=kept)
    return run


def contact_close(
    contact_id: str, *, remarks: str, preferred_at: dt.datetime | None, actor: Actor
) -> Contact:
    """Close the contact with its script's end: the disposition tag and resolution
    are recorded, the end's action is done on the ticket, CONTACT_CLOSED goes on both
    timelines and the contact case hears `contact.closed`. Raises ValidationFailed
    (field by field) and changes nothing when the script has not ended, remarks or
    the preferred time are missing, or the action cannot be done."""
    remarks = (remarks or "").strip()
    with transaction.atomic():
        contact = _locked(contact_id)
        case = lock_case(contact.case_id)
        pb = playbook_of(case.playbook)
        now = clock.now()
        if not contact.reason:
            raise ValidationFailed({"reason": ["choose a reason first"]})
        ctx = contact_context(case, pb, now)
        run = run_script(pb, contact.reason, ctx, contact.answers)
        if run.end is None:
            raise ValidationFailed({"answer": [f"the script is waiting for {run.question!r}"]})
        end = run.end
        errors: dict[str, list[str]] = {}
        if end.remarks == "required" and not remarks:
            errors["remarks"] = ["required for this outcome"]
        if end.action == "reschedule" and preferred_at is None:
            errors["preferred_at"] = ["the customer's preferred date and time are required"]
        if errors:
            raise ValidationFailed(errors)
        facts = {name: bool(ctx.get(name)) for name in FACTS if name in pb.computed}
        ticket = lock_case(contact.ticket_id)
        _act(end, contact, case, ticket, pb, remarks, preferred_at, actor, now)
        Contact.objects.filter(pk=contact.pk).update(
            tag=end.tag,
            resolution=end.resolution or "",
            path=[
                {"node": s.node, "kind": s.kind, "branch": s.branch, "answer": s.answer}
                for s in run.path
            ],
            remarks=remarks,
            action=end.action,
            preferred_at=preferred_at if end.action == "reschedule" else None,
            safety=end.action == "safety",
            status=ContactStatus.CLOSED,
            closed_at=now,
            **facts,
        )
        payload = {
            "contact_id": contact.pk,
            "tag": end.tag,
            "resolution": end.resolution or "",
            "action": end.action,
            "remarks": remarks,
        }
        for on in (case, ticket):
            timeline_row(on, on.customer_id, "CONTACT_CLOSED", actor, now, **payload).save()
        event = {k: payload[k] for k in ("tag", "resolution", "action", "remarks")}
        decide_and_apply(case, Event("contact.closed", event), actor, now)
    return Contact.objects.get(pk=contact.pk)


# --- the actions ----------------------------------------------------------------


def _act(
    end: ScriptEnd,
    contact: Contact,
    case: Case,
    ticket: Case,
    pb: Playbook,
    remarks: str,
    preferred_at: dt.datetime | None,
    actor: Actor,
    now: dt.datetime,
) -> None:
    if end.action == "reschedule":
        assert preferred_at is not None
        _reschedule(ticket, preferred_at, actor, now)
    elif end.action == "cancel":
        _cancel(ticket, actor, now)
    elif end.action == "reopen":
        _ticket_task(
            ticket,
            f"Reopen {ticket.number}: {end.tag}",
            remarks,
            Priority.HIGH,
            _manager_of(ticket.team_id),
            actor,
        )
    elif end.action in ("change_address", "escalate"):
        team_name = pb.catalogs.get("escalation_team")
        team = Team.objects.filter(name=team_name).first() if team_name else case.team
        manager = _manager_of(team.pk if team else None)
        if manager is None:
            who = team.name if team else "the contact's team"
            raise ValidationFailed({"action": [f"{who} has no manager to take this"]})
        what = "Change address" if end.action == "change_address" else "Escalation"
        _ticket_task(
            ticket, f"{what} {ticket.number}: {end.tag}", remarks, Priority.URGENT, manager, actor
        )
    elif end.action == "safety":
        team = Team.objects.filter(name=SAFETY_TEAM).first()
        if team is None:
            raise ValidationFailed({"action": [f"there is no team named {SAFETY_TEAM!r}"]})
        # Someone on the desk must follow it up; the open task is also what lets them
        # see the customer, whose ticket belongs to another team (opsdesk.access.policy).
        taker = _manager_of(team.pk) or (
            Agent.objects.filter(team=team, active=True).order_by("name", "pk").first()
        )
        if taker is None:
            raise ValidationFailed({"action": [f"{SAFETY_TEAM!r} has no active agent"]})
        _move_to_team(case, team, actor, now)
        _ticket_task(
            ticket, f"Safety {ticket.number}: {end.tag}", remarks, Priority.URGENT, taker, actor
        )


def _has_transition(pb: Playbook, state: str, event: str) -> bool:
    spec = pb.states.get(state)
    return spec is not None and any(tr.on == event for tr in spec.transitions)


def _reschedule(ticket: Case, preferred_at: dt.datetime, actor: Actor, now: dt.datetime) -> None:
    """Book the first free slot at or after the customer's preferred time, through the
    ticket's playbook (`customer.rescheduled`), like the customer link does."""
    tpb = playbook_of(ticket.playbook)
    if ticket.status != CaseStatus.OPEN:
        raise ValidationFailed({"preferred_at": [f"ticket {ticket.number} is closed"]})
    if not _has_transition(tpb, ticket.state, "customer.rescheduled"):
        raise ValidationFailed(
            {"preferred_at": [f"ticket {ticket.number} cannot be rescheduled now"]}
        )
    current = booked_appointment(ticket.pk)
    team = ticket.team.name if ticket.team_id and ticket.team else None
    # Locks the team's slots until commit: nobody takes the last place meanwhile.
    slots = [
        s
        for s in free_slots(tpb, team, max(preferred_at, now), now)
        if s.start >= preferred_at and (current is None or s.start != current.start)
    ]
    if not slots:
        raise ValidationFailed({"preferred_at": ["no free slot at or after this time"]})
    start = slots[0].start
    try:
        decide_and_apply(
            ticket, Event("customer.rescheduled", {"start": start.isoformat()}), actor, now
        )
    except Refused as exc:
        raise ValidationFailed({"preferred_at": exc.reasons}) from None
    booked = booked_appointment(ticket.pk)
    if booked is None or booked.start != start:
        # The playbook booked something else (or nothing): undo it all.
        raise ValidationFailed({"preferred_at": ["the ticket's playbook did not book this slot"]})


def _cancel(ticket: Case, actor: Actor, now: dt.datetime) -> None:
    tpb = playbook_of(ticket.playbook)
    if ticket.status != CaseStatus.OPEN:
        raise ValidationFailed({"action": [f"ticket {ticket.number} is already closed"]})
    if not _has_transition(tpb, ticket.state, "customer.cancelled"):
        raise ValidationFailed({"action": [f"ticket {ticket.number} cannot be cancelled now"]})
    try:
        decide_and_apply(ticket, Event("customer.cancelled"), actor, now)
    except Refused as exc:
        raise ValidationFailed({"action": exc.reasons}) from None


def _manager_of(team_id: str | None) -> Agent | None:
    if team_id is None:
        return None
    return (
        Agent.objects.filter(team_id=team_id, role=Role.MANAGER, active=True)
        .order_by("name", "pk")
        .first()
    )


def _ticket_task(
    ticket: Case,
    title: str,
    description: str,
    priority: str,
    assignee: Agent | None,
    actor: Actor,
) -> Task:
    """An ad-hoc task about the ticket: on the ticket while it is open; once it is
    closed, on its customer without a case (a closed case takes no tasks)."""
    if ticket.status == CaseStatus.OPEN:
        return task_create(
            case_id=ticket.pk,
            actor=actor,
            title=title,
            description=description,
            priority=priority,
            assignee_id=assignee.pk if assignee else None,
        )
    now = clock.now()
    task = Task.objects.create(
        customer_id=ticket.customer_id,
        title=title[:300],
        description=description,
        priority=priority,
        assignee=assignee or (ticket.agent if ticket.agent_id else None),
        created_at=now,
    )
    timeline_row(
        None,
        ticket.customer_id,
        "TASK_CREATED",
        actor,
        now,
        task_id=task.pk,
        title=task.title,
        due_at=None,
    ).save()
    return task


def _move_to_team(case: Case, team: Team, actor: Actor, now: dt.datetime) -> None:
    """The contact case leaves its agent's team: only the safety desk (and admins)
    see it, and its customer, from now on (the team rule of opsdesk.access.policy)."""
    if case.agent_id and case.status == CaseStatus.OPEN:
        bump_open_cases(case.agent_id, -1)
    case.agent_id, case.team_id = None, team.pk
    case.agent, case.team = None, team
    Case.objects.filter(pk=case.pk).update(agent=None, team=team, updated_at=now)
    timeline_row(case, case.customer_id, "TEAM_CHANGED", actor, now, team=team.name).save()
