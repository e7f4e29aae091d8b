"""Build the engine's view of a case (a CaseSnapshot) from the database."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Max

from opsdesk.cases.context import load_case_contexts
from opsdesk.cases.models import Case, CaseMilestone, Flag, FlagStatus
from opsdesk.common import clock
from opsdesk.comms.models import Channel, DeliveryStatus, Direction, Message
from opsdesk.customers.models import Customer, Document, Order
from opsdesk.customers.profile import check_profile
from opsdesk.engine.types import AgentInfo, Appointment, CaseSnapshot, ProfileIssue
from opsdesk.orders.context import order_dict
from opsdesk.orders.models import ServiceOrder
from opsdesk.playbook.fields import from_json
from opsdesk.playbook.model import Playbook
from opsdesk.portal.links import case_link
from opsdesk.runtime.models import Timer, TimerStatus
from opsdesk.scheduling.models import Appointment as AppointmentRow
from opsdesk.scheduling.models import AppointmentStatus
from opsdesk.scheduling.services import free_slots
from opsdesk.staff.calendars import (
    CALENDAR_FIELDS,
    agent_calendar_row,
    calendar_from_values,
    calendar_of,
)
from opsdesk.staff.models import Agent
from opsdesk.tasks.models import Task, TaskStatus

_NOT_SENT = (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN)
# WhatsApp's customer-service window: free text only this long after the customer wrote.
WHATSAPP_WINDOW = dt.timedelta(hours=24)


def customer_context(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "given_name": c.given_name,
        "middle_name": c.middle_name,
        "family_name": c.family_name,
        "full_name": c.full_name,
        "phone": c.phone,
        "whatsapp": c.whatsapp,
        "email": c.email,
        "nationality": c.nationality,
        "language": c.language,
        "source": c.source,
        "priority_tier": c.priority_tier,  # "" off the priority client list
        "personal_agent_id": c.personal_agent_id,
    }


def profile_issues(c: Customer) -> tuple[ProfileIssue, ...]:
    problems = check_profile(
        given_name=c.given_name,
        middle_name=c.middle_name,
        family_name=c.family_name,
        phone=c.phone,
        phone_raw=c.phone_raw,
        whatsapp=c.whatsapp,
        email=c.email,
        email_raw=c.email_raw,
        nationality=c.nationality,
    )
    return tuple(ProfileIssue(p.code, p.field, p.message) for p in problems)


def agent_info(a: Agent) -> AgentInfo:
    # The agent's own calendar, else the team's; None falls back to the playbook's.
    row = agent_calendar_row(a)
    return AgentInfo(
        id=a.id,
        name=a.name,
        languages=tuple(a.languages),
        service_types=tuple(a.service_types),
        capacity=a.capacity,
        open_work=a.open_cases,
        calendar=calendar_of(row),
        team_id=a.team_id,
        team_name=a.team.name if a.team_id and a.team else None,
        user_id=str(a.user_id),
    )


# What assignment needs of an agent besides the workload (names, languages,
# service types, capacity, team, calendar) changes rarely, but reading it with
# its calendars costs about a millisecond per intake. It is kept per process
# for AGENT_TTL seconds and re-read at once when an unknown agent turns up;
# the workload (open_cases) is read fresh every time.
AGENT_TTL = 30.0
_agents: tuple[float, dict[str, AgentInfo]] | None = None


def forget_agents() -> None:
    global _agents
    _agents = None


def _static_agents(ids: list[str]) -> dict[str, AgentInfo]:
    global _agents
    now = time.monotonic()
    if _agents is None or now - _agents[0] > AGENT_TTL or not set(ids) <= _agents[1].keys():
        own = [f"calendar__{f}" for f in CALENDAR_FIELDS]
        team = [f"team__calendar__{f}" for f in CALENDAR_FIELDS]
        rows = Agent.objects.values_list(
            "id",
            "name",
            "languages",
            "service_types",
            "capacity",
            "team_id",
            "team__name",
            *own,
            *team,
        )
        n = len(CALENDAR_FIELDS)
        infos = {}
        for row in rows:
            calendar = calendar_from_values(row[7 : 7 + n]) or calendar_from_values(row[7 + n :])
            infos[row[0]] = AgentInfo(
                id=row[0],
                name=row[1],
                languages=tuple(row[2]),
                service_types=tuple(row[3]),
                capacity=row[4],
                calendar=calendar,
                team_id=row[5],
                team_name=row[6],
            )
        _agents = (now, infos)
    return _agents[1]


@lru_cache(maxsize=4)
def _workload_sql(vendor: str) -> tuple[str, tuple[Any, ...]]:
    # Compiled once per database vendor: building the queryset cost more than running it.
    qs = Agent.objects.filter(active=True, role__in=("agent", "manager")).values_list(
        "id", "open_cases"
    )
    return qs.query.sql_with_params()


def candidate_agents() -> list[AgentInfo]:
    """Active agents and managers with their current workload."""
    sql, params = _workload_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        live = cursor.fetchall()
    static = _static_agents([agent_id for agent_id, _ in live])
    return [replace(static[agent_id], open_work=open_cases) for agent_id, open_cases in live]


def order_context(order: Order | None) -> dict[str, Any] | None:
    if order is None:
        return None
    return {
        "id": order.id,
        "service_type": order.service_type,
        "notes": order.notes,
        "reviewed": order.reviewed_at is not None,
    }


def whatsapp_window_until(customer_id: str) -> dt.datetime | None:
    return _whatsapp_windows([customer_id]).get(customer_id)


def _whatsapp_windows(customer_ids: list[str]) -> dict[str, dt.datetime]:
    """Per customer, until when free text may go out on WhatsApp (none: absent)."""
    rows = (
        Message.objects.filter(
            customer_id__in=customer_ids, channel=Channel.WHATSAPP, direction=Direction.INBOUND
        )
        .values("customer_id")
        .annotate(last=Max("created_at"))
        .values_list("customer_id", "last")
    )
    return {customer_id: last + WHATSAPP_WINDOW for customer_id, last in rows if last}


@dataclass
class _Reads:
    """The rows a snapshot needs, read once for many cases (`WHERE ... IN`)."""

    service_orders: dict[str, ServiceOrder] = field(default_factory=dict)  # by case
    documents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by customer
    orders: dict[str, Order] = field(default_factory=dict)  # by customer, the latest
    whatsapp: dict[str, dt.datetime] = field(default_factory=dict)  # by customer
    milestones: dict[str, set[str]] = field(default_factory=dict)
    appointments: dict[str, Any] = field(default_factory=dict)  # booked, by case
    flags: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    tasks: dict[str, dict[str, str]] = field(default_factory=dict)
    task_done_by: dict[str, dict[str, str]] = field(default_factory=dict)
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)  # opsdesk.cases.context
    sent: dict[str, set[str]] = field(default_factory=dict)
    timers: dict[str, set[str]] = field(default_factory=dict)


def _read_orders(reads: _Reads, by_order: list[str], customers: list[str]) -> None:
    """`by_order`: cases whose service order is their `order`; `customers`: whose
    documents and latest order the snapshot shows."""
    if by_order:
        for so in (
            ServiceOrder.objects.select_related("channel")
            .filter(case_id__in=by_order)
            .order_by("pk")
        ):
            reads.service_orders.setdefault(so.case_id, so)
    if customers:
        for customer_id, doc_type in Document.objects.filter(customer_id__in=customers).values_list(
            "customer_id", "doc_type"
        ):
            reads.documents[customer_id] = (*reads.documents.get(customer_id, ()), doc_type)
        for order in Order.objects.filter(customer_id__in=customers).order_by("-placed_at"):
            reads.orders.setdefault(order.customer_id, order)


def _read_rows(reads: _Reads, cases: list[Case], pbs: Mapping[str, Playbook]) -> None:
    """The per-case rows of cases that already exist: one query per kind for all."""
    ids = [c.pk for c in cases]
    reads.whatsapp = _whatsapp_windows(list({c.customer_id: None for c in cases}))
    for case_id, name in CaseMilestone.objects.filter(case_id__in=ids).values_list(
        "case_id", "name"
    ):
        reads.milestones.setdefault(case_id, set()).add(name)
    scheduled = [c.pk for c in cases if pbs[c.pk].scheduling]
    if scheduled:
        for booked in AppointmentRow.objects.filter(
            case_id__in=scheduled, status=AppointmentStatus.BOOKED
        ).order_by("pk"):
            reads.appointments.setdefault(booked.case_id, booked)
    for case_id, code, status in Flag.objects.filter(case_id__in=ids).values_list(
        "case_id", "code", "status"
    ):
        reads.flags.setdefault(case_id, []).append((code, status))
    for case_id, key, status, done_by in (
        Task.objects.filter(case_id__in=ids)
        .exclude(key="")
        .order_by("created_at")
        .values_list("case_id", "key", "status", "completed_by_id")
    ):
        tasks = reads.tasks.setdefault(case_id, {})
        # An open task of a key wins over an older finished one.
        if tasks.get(key) != TaskStatus.OPEN:
            tasks[key] = status
        if status == TaskStatus.DONE and done_by is not None:
            reads.task_done_by.setdefault(case_id, {})[key] = str(done_by)
    reads.extra.update(load_case_contexts(ids, pbs))
    for case_id, template in (
        Message.objects.filter(case_id__in=ids, direction="OUTBOUND")
        .exclude(template="")
        .exclude(status__in=_NOT_SENT)
        .values_list("case_id", "template")
    ):
        reads.sent.setdefault(case_id, set()).add(template)
    for case_id, name in Timer.objects.filter(
        case_id__in=ids, status=TimerStatus.PENDING
    ).values_list("case_id", "name"):
        reads.timers.setdefault(case_id, set()).add(name)


def _snapshot(
    case: Case,
    pb: Playbook,
    reads: _Reads,
    order: Order | ServiceOrder | None,
    documents: tuple[str, ...] | None,
    fresh: bool,
    context: Mapping[str, Any] | None = None,
) -> CaseSnapshot:
    """`reads`: what was read for the case (`fresh`: a case created in this
    transaction, which has no rows yet). `order` and `documents`: the caller's,
    else the ones in `reads`."""
    customer = case.customer
    agent = case.agent
    by_order = _by_order(pb)
    if by_order:
        if order is None:
            order = reads.service_orders.get(case.pk)
        documents = documents or ()
    elif documents is None:
        documents = reads.documents.get(customer.pk, ())
        order = reads.orders.get(customer.pk)
    snap = CaseSnapshot(
        id=case.id,
        number=case.number,
        state=case.state or None,
        fields=from_json(pb, case.fields),
        customer=customer_context(customer),
        agent=agent_info(agent) if agent else None,
        profile_issues=profile_issues(customer) if pb.raises_flags else (),
        order=order_dict(order) if isinstance(order, ServiceOrder) else order_context(order),
        documents=documents,
        team=case.team.name if case.team_id else None,
        link=case_link(case.id) if by_order or _by_request(pb) else "",
        candidates=candidate_agents,
        free_slots=lambda team, after: free_slots(pb, team, after, clock.now()),
    )
    if fresh:
        snap.extra = dict(context or {})
        snap.whatsapp_window_until = reads.whatsapp.get(customer.pk)
        return snap
    snap.whatsapp_window_until = reads.whatsapp.get(customer.pk)
    snap.milestones = frozenset(reads.milestones.get(case.pk, ()))
    booked = reads.appointments.get(case.pk) if pb.scheduling else None
    if booked is not None:
        snap.appointment = Appointment(booked.start, booked.end)
    flags = reads.flags.get(case.pk, [])
    snap.flag_codes = frozenset(code for code, _ in flags)
    snap.flags_open = sum(1 for _, status in flags if status == FlagStatus.OPEN)
    snap.tasks = reads.tasks.get(case.pk, {})
    snap.task_done_by = reads.task_done_by.get(case.pk, {})
    snap.extra = reads.extra.get(case.pk, {})
    snap.sent = frozenset(reads.sent.get(case.pk, ()))
    snap.timers = frozenset(reads.timers.get(case.pk, ()))
    return snap


def _by_order(pb: Playbook) -> bool:
    return "order.received" in pb.trigger.events


def _by_request(pb: Playbook) -> bool:
    """A customer's request has the customer link too (status, payment, feedback)."""
    return "request.received" in pb.trigger.events


def build_snapshot(
    case: Case,
    pb: Playbook,
    *,
    fresh: bool = False,
    order: Order | ServiceOrder | None = None,
    documents: tuple[str, ...] | None = None,
    context: Mapping[str, Any] | None = None,
) -> CaseSnapshot:
    """`fresh`: the case was created in this transaction, so it has no rows yet
    (`context`: the other apps' contexts the caller holds for it, see cases.context).
    `order` and `documents`, when the caller has them, are not read again.
    A service order (trigger order.received) is the case's `order`."""
    by_order = _by_order(pb)
    reads = _Reads()
    if not fresh:
        _read_orders(
            reads,
            [case.pk] if by_order and order is None else [],
            [case.customer_id] if not by_order and documents is None else [],
        )
        _read_rows(reads, [case], {case.pk: pb})
    elif not by_order and documents is None:
        _read_orders(reads, [], [case.customer_id])
    if fresh and "request.received" in pb.trigger.events:
        # A request from a WhatsApp message opens its case right after saving the
        # message: the receipt may go as free text within the 24-hour window.
        reads.whatsapp = _whatsapp_windows([case.customer_id])
    return _snapshot(case, pb, reads, order, documents, fresh, context)


def build_snapshots(cases: list[Case], pbs: Mapping[str, Playbook]) -> dict[str, CaseSnapshot]:
    """The snapshots of many existing cases (`pbs`: each case's playbook, by case
    id), each exactly what `build_snapshot` gives, with each kind of row read
    once for all of them."""
    if not cases:
        return {}
    reads = _Reads()
    _read_orders(
        reads,
        [c.pk for c in cases if _by_order(pbs[c.pk])],
        list({c.customer_id: None for c in cases if not _by_order(pbs[c.pk])}),
    )
    _read_rows(reads, cases, pbs)
    return {c.pk: _snapshot(c, pbs[c.pk], reads, None, None, False) for c in cases}
