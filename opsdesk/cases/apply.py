"""Write an engine Decision to the database: rows, timeline, outbox, timers.

Called by `services.dispatch` inside its transaction, with the case row locked.
One bulk insert per table keeps an intake at a handful of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from opsdesk.cases.models import (
    Case,
    CaseMilestone,
    CaseStatus,
    EventType,
    Flag,
    TimelineEvent,
)
from opsdesk.common import bulk
from opsdesk.common.actors import Actor
from opsdesk.comms.models import DeliveryStatus, Direction, Message
from opsdesk.engine.types import Decision
from opsdesk.playbook.fields import to_json
from opsdesk.playbook.model import Playbook
from opsdesk.runtime.models import OutboxItem, Timer, TimerStatus
from opsdesk.scheduling.services import appointment_apply
from opsdesk.staff.models import Agent, Team
from opsdesk.tasks.models import Task, TaskStatus

EVENT_TYPES = frozenset(EventType.values)


@dataclass
class Applied:
    messages: list[Message] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)


def timeline_row(
    case: Case | None, customer_id: str, type_: str, actor: Actor, at: dt.datetime, **payload: Any
) -> TimelineEvent:
    if type_ not in EVENT_TYPES:
        # Every event type is declared, so readers (UI, reports) know them all.
        raise ValueError(f"unknown timeline event type {type_!r}")
    return TimelineEvent(
        customer_id=customer_id,
        case=case,
        type=type_,
        actor=actor.label,
        payload=payload,
        at=at,
    )


def bump_open_cases(agent_id: str, delta: int) -> None:
    """open_cases += delta, atomically in the database (runs on every assignment)."""
    table = connection.ops.quote_name(Agent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET open_cases = open_cases + %s WHERE id = %s", [delta, agent_id]
        )


def move_agent(case: Case, agent_id: str, team_id: str | None) -> None:
    """Point the case at another agent (and the agent's team) and keep both
    agents' open-case counts right."""
    if case.agent_id == agent_id:
        return
    if case.status == CaseStatus.OPEN:
        if case.agent_id:
            bump_open_cases(case.agent_id, -1)
        bump_open_cases(agent_id, +1)
    case.agent_id, case.team_id = agent_id, team_id


@dataclass
class Rows:
    """The rows one decision inserts, built without touching the database."""

    flags: list[Flag] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    milestones: list[CaseMilestone] = field(default_factory=list)

    def extend(self, other: Rows) -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name).extend(getattr(other, name))

    def insert(self) -> None:
        # One INSERT per table, none for an empty list; nothing is read back.
        bulk.insert(self.flags)
        bulk.insert(self.messages)
        bulk.insert(self.outbox)
        bulk.insert(self.tasks)
        bulk.insert(self.timers)
        bulk.insert(self.timeline)
        bulk.insert(self.milestones)


def build_rows(
    case: Case,
    decision: Decision,
    actor: Actor,
    now: dt.datetime,
    first_timeline: tuple[TimelineEvent, ...] = (),
) -> Rows:
    cid = case.customer_id
    rows = Rows(timeline=list(first_timeline))
    rows.flags = [
        Flag(case=case, code=f.code, field=f.field, message=f.message, created_at=now)
        for f in decision.flags
    ]
    rows.messages = [
        Message(
            customer_id=cid,
            case=case,
            channel=m.channel,
            direction=Direction.OUTBOUND,
            template=m.template,
            language=m.language,
            to_address=m.to,
            subject=m.subject,
            body=m.body,
            whatsapp_template=m.whatsapp_template,
            whatsapp_params=list(m.whatsapp_params),
            whatsapp_buttons=list(m.whatsapp_buttons),
            status=DeliveryStatus.QUEUED,
            actor=actor.label,
            created_at=now,
            updated_at=now,
        )
        for m in decision.messages
    ]
    rows.outbox = [
        OutboxItem(kind="message.send", message=m, next_attempt_at=now, created_at=now)
        for m in rows.messages
    ]
    rows.tasks = [
        Task(
            customer_id=cid,
            case=case,
            key=t.key,
            title=t.title[:300],
            description=t.description,
            priority=t.priority,
            due_at=t.due_at,
            assignee_id=t.assignee_id,
            checklist=[{"text": item, "done": False} for item in t.checklist],
            created_at=now,
        )
        for t in decision.tasks_to_open
    ]
    rows.timers = [
        Timer(case=case, name=t.name, due_at=t.due_at, created_at=now)
        for t in decision.timers_to_set
    ]
    for entry in decision.timeline:
        payload = dict(entry.payload)
        # The engine refers to what it decided by position; the timeline wants ids.
        if entry.type == "MESSAGE_QUEUED":
            payload["message_id"] = rows.messages[payload.pop("index")].id
        elif entry.type == "TASK_CREATED":
            task = rows.tasks[payload.pop("index")]
            payload.update(task_id=task.id, title=task.title, due_at=_iso(task.due_at))
        rows.timeline.append(timeline_row(case, cid, entry.type, actor, now, **payload))
    rows.milestones = [CaseMilestone(case=case, name=name, at=now) for name in decision.milestones]
    return rows


def needs_more_than_rows(case: Case, pb: Playbook, decision: Decision) -> bool:
    """True when applying the decision does more than insert its rows (and the case)."""
    return bool(
        decision.assignment is not None
        or decision.team is not None
        or decision.book is not None
        or decision.cancel_appointment
        or decision.hand_backs
        or decision.status_pushes
        or decision.chat_posts
        or decision.testimonial is not None
        or decision.priority_client is not None
        or decision.timers_to_cancel
        or (decision.changed_state and pb.states[decision.state_to or case.state].final)
    )


def settle_case(case: Case, pb: Playbook, decision: Decision, now: dt.datetime) -> dict[str, Any]:
    """Set the decision's outcome on the case object; returns the columns that changed."""
    update: dict[str, Any] = {"updated_at": now}
    if decision.assignment is not None or decision.team is not None:
        update.update(agent_id=case.agent_id, team_id=case.team_id)
    if decision.changed_state:
        case.state = decision.state_to or case.state
        update["state"] = case.state
        if pb.states[case.state].final:
            update.update(status=CaseStatus.CLOSED, closed_at=now)
    if decision.fields_to_set:
        case.fields = {**case.fields, **to_json(decision.fields_to_set)}
        update["fields"] = case.fields
    for name, value in update.items():
        setattr(case, name, value)
    return update


def apply_decision(
    case: Case,
    pb: Playbook,
    decision: Decision,
    actor: Actor,
    now: dt.datetime,
    pending_timers: frozenset[str] = frozenset(),
    first_timeline: tuple[TimelineEvent, ...] = (),
) -> Applied:
    """`pending_timers`: the snapshot's, so only timers that exist are cancelled.
    `first_timeline`: rows the caller wants written before the decision's own."""
    if decision.team is not None:
        case.team_id = Team.objects.filter(name=decision.team).values_list("id", flat=True).first()
    if decision.assignment is not None:
        move_agent(case, decision.assignment.agent_id, decision.assignment.team_id)
    # Setting a timer again replaces the pending one of that name.
    names = (set(decision.timers_to_cancel) | {t.name for t in decision.timers_to_set}) & (
        pending_timers
    )
    if names:
        Timer.objects.filter(case=case, name__in=names, status=TimerStatus.PENDING).update(
            status=TimerStatus.CANCELLED
        )
    rows = build_rows(case, decision, actor, now, first_timeline)
    closing = case.status == CaseStatus.OPEN and decision.changed_state
    update = settle_case(case, pb, decision, now)
    closing = closing and update.get("status") == CaseStatus.CLOSED
    if case._state.adding:
        # A case being opened is inserted once, with the outcome of its first decision.
        bulk.insert([case])
    else:
        Case.objects.filter(pk=case.pk).update(**update)
    rows.insert()
    if decision.book is not None or decision.cancel_appointment:
        appointment = appointment_apply(case, decision.book, decision.cancel_appointment, now)
        if decision.work is not None or decision.book is None:
            # Imported here: the field app builds on cases (work orders belong to one).
            from opsdesk.field.visits import visit_apply

            visit_apply(case, appointment, decision.work, actor, now)
    if decision.hand_backs:
        # Imported here: the orders app builds on cases (it opens them).
        from opsdesk.orders.handback import hand_back_record

        for reason in decision.hand_backs:
            hand_back_record(case, reason, now)
    if decision.status_pushes:
        # Imported here: the applications app builds on cases.
        from opsdesk.applications.sync import status_pushes_record

        status_pushes_record(case, decision.status_pushes, now)
    if decision.chat_posts:
        # Imported here: the chat app builds on cases.
        from opsdesk.chat.services import chat_post_record

        for post in decision.chat_posts:
            chat_post_record(post.channel, post.text, case=case, now=now)
    if decision.priority_client is not None:
        from opsdesk.customers.priority import priority_client_set

        priority_client_set(case, decision.priority_client, now)
    if decision.testimonial is not None:
        # Imported here: the feedback app builds on cases.
        from opsdesk.feedback.services import testimonial_keep

        testimonial_keep(case, decision.testimonial, now)
    if closing:
        _close(case, actor, now)
    return Applied(messages=rows.messages, tasks=rows.tasks, timeline=rows.timeline)


def _close(case: Case, actor: Actor, now: dt.datetime) -> None:
    """A case in a final state leaves no work behind: open tasks are cancelled
    (they would sit overdue in someone's list) and pending timers too."""
    if case.agent_id:
        bump_open_cases(case.agent_id, -1)
    case.status = CaseStatus.CLOSED
    tasks = Task.objects.filter(case=case, status=TaskStatus.OPEN).update(
        status=TaskStatus.CANCELLED
    )
    timers = Timer.objects.filter(case=case, status=TimerStatus.PENDING).update(
        status=TimerStatus.CANCELLED
    )
    timeline_row(
        case,
        case.customer_id,
        "CASE_CLOSED",
        actor,
        now,
        state=case.state,
        tasks_cancelled=tasks,
        timers_cancelled=timers,
    ).save()


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
