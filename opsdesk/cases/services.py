"""Domain functions for cases: open, dispatch events, transition, assign, flags.

Every change to a case goes through `dispatch`: lock the case, build the
snapshot, ask the engine, write the decision and its outbox rows in one
transaction. Messages leave only after commit, through the worker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from opsdesk.cases.apply import Applied, apply_decision, move_agent, timeline_row
from opsdesk.cases.models import (
    Case,
    CaseNumberCounter,
    CaseStatus,
    Flag,
    FlagStatus,
    PlaybookVersion,
    TimelineEvent,
)
from opsdesk.cases.playbooks import playbook_of
from opsdesk.cases.snapshot import build_snapshot, profile_issues
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, Refused, ValidationFailed, status_word
from opsdesk.common.logcontext import case_context
from opsdesk.customers.models import Customer, Order
from opsdesk.engine.decide import decide, playbook_calendar
from opsdesk.engine.types import CaseSnapshot, Decision, Event
from opsdesk.playbook.fields import coerce_fields, to_json
from opsdesk.staff.models import Agent
from opsdesk.tasks.models import Task, TaskStatus


def next_case_number(prefix: str, year: int) -> str:
    return reserve_case_numbers(prefix, year, 1)[0]


def reserve_case_numbers(prefix: str, year: int, count: int) -> list[str]:
    """`count` consecutive case numbers (a bulk intake reserves its batch at once)."""
    # UPDATE ... RETURNING takes the counter row's lock until commit, so two
    # intakes never get the same number, in one statement; the row is created
    # on first use (PostgreSQL and SQLite >= 3.35 both support RETURNING).
    table = connection.ops.quote_name(CaseNumberCounter._meta.db_table)
    sql = f"UPDATE {table} SET value = value + %s WHERE prefix = %s AND year = %s RETURNING value"
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, prefix, year])
        row = cursor.fetchone()
        if row is None:
            # ON CONFLICT DO NOTHING: two first intakes of a year may both get here.
            CaseNumberCounter.objects.bulk_create(
                [CaseNumberCounter(prefix=prefix, year=year)], ignore_conflicts=True
            )
            cursor.execute(sql, [count, prefix, year])
            row = cursor.fetchone()
    last = row[0]
    return [f"{prefix}-{year}-{n:06d}" for n in range(last - count + 1, last + 1)]


@dataclass(frozen=True)
class Known:
    """What the caller already holds, so the first snapshot need not read it back."""

    order: Order | None = None
    documents: tuple[str, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()  # rows to write with the first decision
    context: Mapping[str, Any] = field(default_factory=dict)  # see opsdesk.cases.context


def case_open(
    *,
    customer: Customer,
    version: PlaybookVersion,
    fields: Mapping[str, Any],
    actor: Actor,
    known: Known | None = None,
    partial: bool = False,
) -> Case:
    """Open a case under `version` and run its initial state. Raises ValidationFailed.

    Without `known`, the customer's order and documents are read from the database.
    `partial`: required fields may be missing (a request from a message: someone
    completes the sheet later).
    """
    pb = playbook_of(version)
    values, errors = coerce_fields(pb, fields, partial=partial)
    if errors:
        raise ValidationFailed({f"fields.{k}": v for k, v in errors.items()})
    now = clock.now()
    with transaction.atomic(savepoint=False):
        # Not saved yet: apply_decision inserts it with its first decision's outcome.
        case = Case(
            # The year as the team sees it: 1 January 01:00 in Istanbul is still
            # 31 December in UTC.
            number=next_case_number(pb.case_prefix, playbook_calendar(pb).local_date(now).year),
            customer=customer,
            playbook=version,
            state="",
            fields=to_json(values),
            opened_at=now,
            updated_at=now,
        )
        opened = timeline_row(
            case,
            customer.pk,
            "CASE_OPENED",
            actor,
            now,
            number=case.number,
            playbook=f"{pb.key} v{pb.version}",
        )
        if known is None:
            snapshot = build_snapshot(case, pb, fresh=True)
            first: tuple[TimelineEvent, ...] = (opened,)
        else:
            snapshot = build_snapshot(
                case,
                pb,
                fresh=True,
                order=known.order,
                documents=known.documents,
                context=known.context,
            )
            first = (*known.timeline, opened)
        decide_and_apply(
            case, Event("case.opened"), actor, now, snapshot=snapshot, first_timeline=first
        )
    return case


def decide_and_apply(
    case: Case,
    event: Event,
    actor: Actor,
    now: dt.datetime,
    *,
    snapshot: CaseSnapshot | None = None,
    first_timeline: tuple[TimelineEvent, ...] = (),
) -> tuple[Decision, Applied]:
    """Ask the engine about `event` and write its decision. The caller holds the
    case lock inside a transaction; raises Refused, in which case nothing is written."""
    with case_context(case.pk):  # log lines from here on name the case
        pb = playbook_of(case.playbook)
        snapshot = snapshot or build_snapshot(case, pb)
        decision = decide(pb, snapshot, event, now)
        if decision.refused:
            raise Refused(decision.refused)
        applied = apply_decision(case, pb, decision, actor, now, snapshot.timers, first_timeline)
        return decision, applied


def _with_relations() -> QuerySet[Case]:
    """Cases with what a snapshot needs. The playbook's YAML `source` is not read:
    the parsed playbook is cached by (pk, sha256), and a miss reads it then."""
    return Case.objects.select_related(
        "customer", "playbook", "team", "agent__calendar", "agent__team__calendar"
    ).defer("playbook__source")


def lock_cases(case_ids: Iterable[str]) -> list[Case]:
    """The cases, in id order (so two workers cannot deadlock), their rows locked
    until the end of the transaction (PostgreSQL; on SQLite the IMMEDIATE
    transaction already holds the database's write lock).

    Locked first, read after: a `SELECT ... FOR UPDATE OF case` that waited for
    another transaction returns the case's new row but the joined rows of the
    old one (PostgreSQL rechecks the join and null-extends it), so a case whose
    team or agent changed meanwhile came back with `team_id` set and `team`
    None. Reading after the lock has been granted sees the committed row and
    its relations."""
    ids = list(
        Case.objects.select_for_update()
        .filter(pk__in=list(case_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(_with_relations().filter(pk__in=ids).order_by("pk"))


def lock_case(case_id: str) -> Case:
    """The case row, locked until the end of the transaction (see `lock_cases`)."""
    locked = lock_cases([case_id])
    if not locked:
        raise Case.DoesNotExist(f"no case {case_id}")
    return locked[0]


def dispatch(case_id: str, event: Event, actor: Actor) -> tuple[Decision, Applied]:
    """Run one event through the engine on a locked case. Raises Refused."""
    with transaction.atomic(), case_context(case_id):
        case = lock_case(case_id)
        if case.status != CaseStatus.OPEN and event.type != "reassess":
            raise Refused([f"case {case.number} is closed"])
        return decide_and_apply(case, event, actor, clock.now())


def dispatch_news(case_id: str, event: Event, actor: Actor) -> bool:
    """Tell a case about something already done elsewhere (a payment, feedback), in
    the caller's transaction. A closed case or a playbook that refuses the event
    does not undo that work: the event runs in a savepoint. False when refused."""
    try:
        with transaction.atomic():
            dispatch(case_id, event, actor)
    except Refused:
        return False
    return True


def dispatch_open_cases(customer_id: str, event: Event, actor: Actor) -> None:
    """Tell every open case of a customer (e.g. a profile change, a document)."""
    ids = list(
        Case.objects.filter(customer_id=customer_id, status=CaseStatus.OPEN).values_list(
            "pk", flat=True
        )
    )
    for case_id in ids:
        dispatch(case_id, event, actor)


def case_transition(case_id: str, to: str, actor: Actor) -> Decision:
    """A manual transition (a button on the workspace). Raises Refused."""
    decision, _ = dispatch(case_id, Event("manual", {"to": to}), actor)
    return decision


def case_assign(case_id: str, agent_id: str, actor: Actor, reason: str = "") -> None:
    """Assign or reassign by hand; writes AGENT_ASSIGNED and moves the open tasks."""
    with transaction.atomic():
        case = lock_case(case_id)
        agent = Agent.objects.filter(pk=agent_id, active=True).first()
        if agent is None:
            raise ValidationFailed({"agent": ["no active agent with this id"]})
        if case.status != CaseStatus.OPEN:
            raise Refused([f"case {case.number} is closed"])
        if case.agent_id == agent.pk:
            raise Conflict(f"{case.number} is already assigned to {agent.name}")
        now = clock.now()
        previous = case.agent_id
        move_agent(case, agent.pk, agent.team_id)
        Case.objects.filter(pk=case.pk).update(agent=agent, team_id=case.team_id, updated_at=now)
        Task.objects.filter(case=case, status=TaskStatus.OPEN, assignee_id=previous).update(
            assignee=agent
        )
        case.agent = agent
        timeline_row(
            case,
            case.customer_id,
            "AGENT_ASSIGNED",
            actor,
            now,
            agent_id=agent.pk,
            agent_name=agent.name,
            previous_agent_id=previous,
            reason=reason or "assigned by hand",
        ).save()
        decide_and_apply(case, Event("agent.assigned", {"agent_id": agent.pk}), actor, now)


def flag_resolve(flag_id: str, actor: Actor, *, reason: str = "") -> Flag:
    """Close a flag: resolved (the problem is gone) or, with a reason, overridden.

    Refuses to mark resolved a flag whose problem is still there: that needs an
    override with a reason, so the timeline says who accepted what and why.
    """
    with transaction.atomic():
        flag = Flag.objects.select_related("case__customer").get(pk=flag_id)
        case = lock_case(flag.case_id)
        if flag.status != FlagStatus.OPEN:
            raise Conflict(f"the flag is already {status_word(flag.status)}")
        still = any(i.code == flag.code for i in profile_issues(case.customer))
        if still and not reason.strip():
            raise ValidationFailed(
                {"reason": ["the problem is still there: fix the field, or override with a reason"]}
            )
        now = clock.now()
        flag.status = FlagStatus.OVERRIDDEN if still else FlagStatus.RESOLVED
        flag.reason = reason.strip()
        flag.resolved_at = now
        flag.resolved_by = actor.user
        flag.save(update_fields=["status", "reason", "resolved_at", "resolved_by"])
        timeline_row(
            case,
            case.customer_id,
            "FLAG_OVERRIDDEN" if still else "FLAG_RESOLVED",
            actor,
            now,
            code=flag.code,
            reason=flag.reason,
        ).save()
        if case.status == CaseStatus.OPEN:
            decide_and_apply(case, Event("flag.resolved", {"code": flag.code}), actor, now)
        return flag


def flags_recheck(customer: Customer, actor: Actor) -> None:
    """After a profile edit: resolve the open flags whose problem is gone."""
    current = {i.code for i in profile_issues(customer)}
    open_flags = Flag.objects.filter(
        case__customer=customer, case__status=CaseStatus.OPEN, status=FlagStatus.OPEN
    ).exclude(code__in=current)
    for flag_id in open_flags.values_list("pk", flat=True):
        flag_resolve(flag_id, actor)
