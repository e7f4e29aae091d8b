"""Read-only queries for the agent UI.

Every loader here runs a fixed number of queries whatever the number of rows
(select_related / one query per related table), so a page's cost does not grow
with a customer's history. Nothing here writes; changes go through the domain
services.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db.models import Case as CaseWhen
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from opsdesk.access.policy import agent_of, role_of, visible_customers, visible_via
from opsdesk.applications.models import Traveller
from opsdesk.cases.models import (
    Case,
    CaseMilestone,
    CaseStatus,
    Flag,
    FlagStatus,
    PlaybookVersion,
    TimelineEvent,
)
from opsdesk.cases.playbooks import active_versions_for, playbook_of
from opsdesk.common import clock
from opsdesk.comms.models import Channel, Direction, Message
from opsdesk.customers.models import Customer, Document, Order
from opsdesk.engine.decide import context_of
from opsdesk.orders.models import OrderStatus, ServiceOrder
from opsdesk.playbook.model import FieldSpec, Playbook
from opsdesk.staff.models import Agent, Role, Team
from opsdesk.tasks.models import Priority, Task, TaskStatus

log = logging.getLogger(__name__)

PAGE_SIZE = 50
TIMELINE_PAGE = 100
MESSAGE_PAGE = 50

T = TypeVar("T")


# --- paging ------------------------------------------------------------------------


@dataclass
class Page(Generic[T]):
    """One page of rows. No COUNT(*): on 100k customers the count costs more than
    the page, and "newer / older" links do not need it."""

    items: list[T]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def paginate(qs: QuerySet[Any], number: int, size: int = PAGE_SIZE) -> Page[Any]:
    start = (number - 1) * size
    rows = list(qs[start : start + size + 1])  # one extra row says whether a next page exists
    return Page(rows[:size], number, len(rows) > size)


# --- the signed-in user ------------------------------------------------------------


# --- playbooks ---------------------------------------------------------------------


def playbooks_by_version(version_ids: Iterable[int]) -> dict[int, Playbook]:
    """Parsed playbooks for the given version rows, in one query (parsing is cached)."""
    ids = set(version_ids)
    if not ids:
        return {}
    return {v.pk: playbook_of(v) for v in PlaybookVersion.objects.filter(pk__in=ids)}


def state_label(pb: Playbook | None, state: str) -> str:
    spec = pb.states.get(state) if pb else None
    return (spec.label if spec and spec.label else state.replace("_", " ").capitalize()) or "—"


def template_label(pb: Playbook | None, key: str) -> str:
    tpl = pb.templates.get(key) if pb and key else None
    return tpl.label if tpl and tpl.label else key


@dataclass(frozen=True)
class FieldInput:
    """A playbook case field as a form input."""

    name: str
    spec: FieldSpec

    @property
    def label(self) -> str:
        return self.spec.label or self.name.replace("_", " ").capitalize()

    @property
    def input_name(self) -> str:
        return f"fields.{self.name}"  # the key ValidationFailed uses for it


@dataclass
class IntakeForm:
    """What the "new customer" form needs from the playbooks new customers start."""

    fields: list[FieldInput]
    languages: list[str]
    service_types: list[str]


def intake_form() -> IntakeForm:
    fields: dict[str, FieldInput] = {}
    languages: list[str] = []
    service_types: list[str] = []
    for _, pb in active_versions_for("customer.created"):
        for name, spec in pb.fields.items():
            fields.setdefault(name, FieldInput(name, spec))
        languages += [lang for lang in pb.languages if lang not in languages]
        st = pb.fields.get(pb.assignment.service_type_field)
        if st is not None:
            service_types += [c for c in st.choices if c not in service_types]
    return IntakeForm(list(fields.values()), languages or ["en"], service_types)


# --- lists -------------------------------------------------------------------------

# URGENT first; `priority` is a string, so rank it explicitly.
PRIORITY_RANK = CaseWhen(
    When(priority="URGENT", then=Value(0)),
    When(priority="HIGH", then=Value(1)),
    When(priority="MEDIUM", then=Value(2)),
    When(priority="LOW", then=Value(3)),
    default=Value(4),
    output_field=IntegerField(),
)


def my_open_tasks(user: Any) -> QuerySet[Task]:
    """Open tasks assigned to the signed-in agent: due date first, then priority."""
    agent = agent_of(user)
    if agent is None:
        return Task.objects.none()
    return (
        Task.objects.filter(visible_via(user), assignee_id=agent.pk, status=TaskStatus.OPEN)
        .select_related("customer", "case")
        .annotate(priority_rank=PRIORITY_RANK)
        .order_by(F("due_at").asc(nulls_last=True), "priority_rank", "created_at", "id")
    )


def unassigned_cases(user: Any) -> QuerySet[Case]:
    """Open cases with no agent (e.g. waiting in profile review) the user may see."""
    return (
        Case.objects.filter(visible_via(user), status=CaseStatus.OPEN, agent__isnull=True)
        .select_related("customer")
        .annotate(open_flags=Count("flags", filter=Q(flags__status=FlagStatus.OPEN)))
        .order_by("opened_at", "number")
    )


_PHONE_LIKE = re.compile(r"^[\d\s+()\-./]+$")


def search_customers(user: Any, q: str) -> QuerySet[Customer]:
    """Visible customers matching every word of `q` (name, email, case number),
    or a phone number when `q` looks like one."""
    qs = visible_customers(user)
    q = q.strip()
    if q:
        cond = Q()
        for word in q.split():
            cond &= (
                Q(given_name__icontains=word)
                | Q(middle_name__icontains=word)
                | Q(family_name__icontains=word)
                | Q(email__icontains=word)
                | Q(email_raw__icontains=word)
                | Q(Exists(Case.objects.filter(customer=OuterRef("pk"), number__icontains=word)))
            )
        digits = re.sub(r"\D", "", q)
        if _PHONE_LIKE.match(q) and len(digits) >= 4:
            # Stored phones are E.164 ("+90532..."), so match on the digits typed.
            cond |= Q(phone__contains=digits) | Q(phone_raw__icontains=q)
        qs = qs.filter(cond)
    latest_cases = Case.objects.select_related("agent").order_by("-opened_at")
    return qs.prefetch_related(Prefetch("cases", queryset=latest_cases)).order_by(
        "family_name", "given_name", "id"
    )


# --- the customer workspace --------------------------------------------------------


@dataclass
class ManualTask:
    key: str
    title: str
    open: bool  # a task of this key is already open


@dataclass
class RequiredDocument:
    name: str
    received: bool


@dataclass
class Workspace:
    customer: Customer
    cases: list[Case]
    case: Case | None
    playbook: Playbook | None
    flags: list[Flag] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    service_orders: list[ServiceOrder] = field(default_factory=list)  # from sales channels
    documents: list[Document] = field(default_factory=list)
    travellers: dict[str, str] = field(default_factory=dict)  # id -> name, a document's subject
    verifiers: dict[str, str] = field(default_factory=dict)  # actor label -> name
    tasks: list[Task] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # the newest MESSAGE_PAGE
    messages_more: int | None = None  # the offset of older messages, if any
    timeline: list[Any] = field(default_factory=list)  # web.timeline.Entry
    timeline_more: int | None = None  # the id to continue from, if older events exist
    agents: list[Agent] = field(default_factory=list)
    computed: dict[str, Any] = field(default_factory=dict)
    now: dt.datetime = field(default_factory=clock.now)

    @property
    def state_label(self) -> str:
        return state_label(self.playbook, self.case.state) if self.case else ""

    @property
    def open_flags(self) -> list[Flag]:
        return [f for f in self.flags if f.status == FlagStatus.OPEN]

    @property
    def closed_flags(self) -> list[Flag]:
        return [f for f in self.flags if f.status != FlagStatus.OPEN]

    @property
    def case_fields(self) -> list[tuple[str, Any]]:
        if self.case is None or self.playbook is None:
            return []
        return [
            (FieldInput(name, spec).label, self.case.fields.get(name))
            for name, spec in self.playbook.fields.items()
        ]

    @property
    def manual_transitions(self) -> list[tuple[str, str]]:
        """(to, label) of the current state's buttons."""
        return manual_transitions(self.playbook, self.case)

    @property
    def manual_tasks(self) -> list[ManualTask]:
        if self.case is None or self.playbook is None:
            return []
        open_keys = {t.key for t in self.tasks if t.status == TaskStatus.OPEN and t.key}
        out = []
        for key, spec in self.playbook.tasks.items():
            if spec.manual:
                title = _render_or(spec.title, self.computed, key.replace("_", " ").capitalize())
                out.append(ManualTask(key, title, key in open_keys))
        return out

    @property
    def templates(self) -> list[tuple[str, str]]:
        if self.playbook is None:
            return []
        return [(k, t.label or k) for k, t in self.playbook.templates.items()]

    @property
    def required_documents(self) -> list[RequiredDocument]:
        required = self.computed.get("required_documents") or []
        have = {d.doc_type for d in self.documents}
        return [RequiredDocument(str(name), str(name) in have) for name in required]

    @property
    def languages(self) -> list[str]:
        langs = list(self.playbook.languages) if self.playbook else ["en"]
        return langs if self.customer.language in langs else [*langs, self.customer.language]

    @property
    def service_types(self) -> list[str]:
        if self.playbook is None:
            return []
        spec = self.playbook.fields.get(self.playbook.assignment.service_type_field)
        return list(spec.choices) if spec else []

    priorities = Priority.choices
    channels = Channel.choices
    directions = Direction.choices

    @property
    def open_tasks(self) -> list[Task]:
        return [t for t in self.tasks if t.status == TaskStatus.OPEN]

    @property
    def closed_tasks(self) -> list[Task]:
        return [t for t in self.tasks if t.status != TaskStatus.OPEN]


def manual_transitions(pb: Playbook | None, case: Case | None) -> list[tuple[str, str]]:
    """(to, label) of the buttons (`on: manual`) of an open case's current state."""
    if case is None or pb is None or case.status != CaseStatus.OPEN:
        return []
    spec = pb.states.get(case.state)
    return [
        (t.to, t.label or state_label(pb, t.to))
        for t in (spec.transitions if spec else [])
        if t.on == "manual" and t.to
    ]


@dataclass(frozen=True)
class TaskField:
    """A case field a playbook task asks for (its `fields`), as an input of the
    task's completion form. The form posts it as `values.<name>`; errors come
    back under `<name>` (tasks.services.task_field_values)."""

    name: str
    spec: FieldSpec
    current: Any = None  # the case's value now, to prefill the input

    @property
    def label(self) -> str:
        return FieldInput(self.name, self.spec).label

    @property
    def input_name(self) -> str:
        return f"values.{self.name}"

    @property
    def required(self) -> bool:
        return self.spec.type != "text"  # free text may stay empty

    @property
    def value(self) -> str:
        if self.current is None:
            return ""
        if isinstance(self.current, bool):
            return "true" if self.current else "false"
        return str(self.current)

    @property
    def choices(self) -> list[tuple[str, str]]:
        if self.spec.type == "bool":
            return [("true", "Yes"), ("false", "No")]
        return [(c, c.replace("_", " ").capitalize()) for c in self.spec.choices]


def task_fields(pb: Playbook | None, task: Task, case_fields: dict[str, Any]) -> list[TaskField]:
    spec = pb.tasks.get(task.key) if pb and task.key else None
    if spec is None:
        return []
    return [
        TaskField(name, pb.fields[name], case_fields.get(name))
        for name in spec.fields
        if name in pb.fields
    ]


def task_values(post: Any) -> dict[str, str]:
    """The `values.<name>` inputs of a task's completion form, by field name."""
    return {k.removeprefix("values."): v for k, v in post.items() if k.startswith("values.")}


def _render_or(template: str, ctx: dict[str, Any], fallback: str) -> str:
    from opsdesk.playbook.expressions import render

    if not ctx:
        return fallback
    try:
        return render(template, ctx)
    except Exception:  # display only: a bad template must not break the page
        log.exception("cannot render %r for display", template)
        return fallback


def case_context(
    case: Case,
    pb: Playbook,
    *,
    order: Order | None = None,
    documents: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The playbook's computed values (required/missing documents, ...) as the
    engine sees them now."""
    from opsdesk.cases.snapshot import build_snapshot

    try:
        # The caller's order and documents (both or neither) spare two queries.
        snap = build_snapshot(case, pb, order=order, documents=documents)
        return context_of(pb, snap, clock.now())
    except Exception:  # display only: the page works without the computed values
        log.exception("cannot evaluate the computed values of %s", case.number)
        return {}


def customer_cases(customer: Customer) -> list[Case]:
    cases = list(
        Case.objects.filter(customer=customer)
        .select_related("playbook", "team", "agent__calendar", "agent__team__calendar")
        .order_by("-opened_at", "-id")
    )
    for case in cases:
        case.customer = customer  # spare build_snapshot a query per case
    return cases


def current_case(cases: Sequence[Case], case_id: str | None) -> Case | None:
    """The case asked for, else the newest open one, else the newest."""
    if case_id:
        return next((c for c in cases if c.pk == case_id), None)
    return next((c for c in cases if c.status == CaseStatus.OPEN), cases[0] if cases else None)


def assignable_agents() -> list[Agent]:
    return list(
        Agent.objects.filter(active=True, role__in=(Role.AGENT, Role.MANAGER))
        .select_related("team")
        .order_by("name", "id")
    )


def timeline_page(
    customer: Customer, before: int | None = None, size: int = TIMELINE_PAGE
) -> tuple[list[TimelineEvent], int | None]:
    """Newest first; (events, the id to continue from or None)."""
    qs = TimelineEvent.objects.filter(customer=customer)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-id")[: size + 1])
    more = rows[size - 1].pk if len(rows) > size else None
    return rows[:size], more


def message_page(
    customer: Customer,
    cases: Sequence[Case],
    default_pb: Playbook | None,
    offset: int = 0,
    size: int = MESSAGE_PAGE,
) -> tuple[list[Message], int | None]:
    """Newest first, `size` at a time; (messages, the offset of the next page or None).

    `cases` carry `.pb` (see load_workspace) for the template labels.
    """
    rows = list(
        Message.objects.filter(customer=customer).order_by("-created_at", "-id")[
            offset : offset + size + 1
        ]
    )
    more = offset + size if len(rows) > size else None
    rows = rows[:size]
    # Messages of one decision share created_at and have random ids; the timeline
    # rows that recorded them are numbered in order, so they break the tie.
    seq = dict(
        TimelineEvent.objects.filter(
            customer=customer,
            type__in=("MESSAGE_QUEUED", "MESSAGE_LOGGED", "MESSAGE_RECEIVED"),
            # [""] matches nothing but still runs the query: Django skips an
            # empty IN, and a page costs the same queries with or without messages.
            payload__message_id__in=[m.pk for m in rows] or [""],
        ).values_list("payload__message_id", "id")
    )
    rows.sort(key=lambda m: (m.created_at, seq.get(m.pk, 0)), reverse=True)
    by_case = {c.pk: c for c in cases}
    for m in rows:
        owner = by_case.get(m.case_id) if m.case_id else None
        m.template_label = template_label(getattr(owner, "pb", None) or default_pb, m.template)
    return rows, more


def actor_names(events: Iterable[TimelineEvent | Message]) -> dict[str, str]:
    """Display names for actor labels like "user:ayse", in one query."""
    usernames = {e.actor.split(":", 1)[1] for e in events if ":" in e.actor}
    # {""} when only the worker or the system acted: the query still runs, so the
    # page's query count does not depend on who acted.
    rows = Agent.objects.filter(user__username__in=usernames or {""}).values_list(
        "user__username", "name"
    )
    return dict(rows)


def traveller_names(customer: Customer) -> dict[str, str]:
    """The travellers of the customer's applications by id (a document's subject)."""
    rows = (
        Traveller.objects.filter(application__customer=customer)
        .order_by("application_id", "position")
        .values_list("id", "given_name", "family_name")
    )
    return {pk: f"{given} {family}".strip() for pk, given, family in rows}


def label_names(labels: Iterable[str]) -> dict[str, str]:
    """Display names for actor labels ("user:ayse" -> "Ayşe Yılmaz"), in one query."""
    wanted = {label for label in labels if ":" in label}
    names = dict(
        Agent.objects.filter(
            user__username__in={label.split(":", 1)[1] for label in wanted} or {""}
        ).values_list("user__username", "name")
    )
    by_label = ((label, names.get(label.split(":", 1)[1])) for label in wanted)
    return {label: name for label, name in by_label if name}


def load_workspace(customer: Customer, case_id: str | None = None) -> Workspace:
    cases = customer_cases(customer)
    case = current_case(cases, case_id)
    pbs = playbooks_by_version({c.playbook_id for c in cases})
    for c in cases:
        c.pb = pbs.get(c.playbook_id)
        c.state_label = state_label(c.pb, c.state)
    pb = pbs.get(case.playbook_id) if case else None
    ws = Workspace(customer=customer, cases=cases, case=case, playbook=pb)
    ws.orders = list(
        Order.objects.filter(customer=customer).select_related("reviewed_by").order_by("-placed_at")
    )
    ws.service_orders = list(
        ServiceOrder.objects.filter(customer=customer)
        .select_related("channel", "team", "case")
        .prefetch_related("hand_backs")
        .order_by("-received_at", "-id")
    )
    ws.documents = list(
        Document.objects.filter(customer=customer).order_by("received_at", "doc_type", "id")
    )
    ws.travellers = traveller_names(customer)
    ws.verifiers = label_names(d.verified_by for d in ws.documents)
    if case is not None and pb is not None:
        ws.flags = list(
            Flag.objects.filter(case=case)
            .select_related("resolved_by")
            .order_by("created_at", "id")
        )
        ws.computed = case_context(
            case,
            pb,
            order=ws.orders[0] if ws.orders else None,  # the newest, as the engine reads it
            documents=tuple(d.doc_type for d in ws.documents),
        )
    ws.tasks = list(
        Task.objects.filter(customer=customer)
        .select_related("assignee")
        .annotate(priority_rank=PRIORITY_RANK)
        .order_by(F("due_at").asc(nulls_last=True), "priority_rank", "created_at", "id")
    )
    by_case = {c.pk: c for c in cases}
    for t in ws.tasks:
        owner = by_case.get(t.case_id) if t.case_id else None
        t.inputs = (
            task_fields(owner.pb, t, owner.fields)
            if owner is not None and t.status == TaskStatus.OPEN
            else []
        )
    ws.messages, ws.messages_more = message_page(customer, cases, pb)
    ws.agents = assignable_agents()
    return ws


# --- the queues: exceptions and retention ------------------------------------------

INELIGIBLE_DAYS = 7
RETENTION_STATE = "retention"  # the service-order playbook's state and its task
RETENTION_TASK = "retention_call"
RETENTION_REASONS = ("rejected", "not_responding")  # milestones that lead there


def exception_orders(user: Any) -> QuerySet[ServiceOrder]:
    """Orders no classification rule routed, oldest first."""
    return (
        ServiceOrder.objects.filter(visible_via(user), status=OrderStatus.EXCEPTION)
        .select_related("channel", "customer")
        .order_by("received_at", "id")
    )


def ineligible_orders(user: Any, now: dt.datetime) -> QuerySet[ServiceOrder]:
    """Orders refused at intake in the last INELIGIBLE_DAYS, newest first."""
    return (
        ServiceOrder.objects.filter(
            visible_via(user),
            status=OrderStatus.INELIGIBLE,
            received_at__gte=now - dt.timedelta(days=INELIGIBLE_DAYS),
        )
        .select_related("channel", "customer")
        .order_by("-received_at", "-id")
    )


def zone_labels() -> dict[str, str]:
    """Zone key -> label, over the active order playbooks."""
    labels: dict[str, str] = {}
    for _, pb in active_versions_for("order.received"):
        for key, zone in pb.zones.items():
            labels.setdefault(key, zone.label or key)
    return labels


def routing_teams() -> list[Team]:
    return list(Team.objects.order_by("name", "id"))


def retention_cases(user: Any) -> QuerySet[Case]:
    """Open cases waiting in retention: an agent's team's (or assigned to them);
    every one a manager or an admin may see."""
    qs = Case.objects.filter(visible_via(user), status=CaseStatus.OPEN, state=RETENTION_STATE)
    if role_of(user) not in (Role.ADMIN, Role.MANAGER):
        agent = agent_of(user)
        if agent is None:
            return Case.objects.none()
        qs = qs.filter(
            Q(team_id=agent.team_id) | Q(agent_id=agent.pk)
            if agent.team_id
            else Q(agent_id=agent.pk)
        )
    return qs.select_related("customer", "agent", "service_order__channel").order_by(
        "updated_at", "number"
    )


@dataclass
class RetentionItem:
    case: Case
    order: ServiceOrder | None
    reasons: list[tuple[str, dt.datetime]]  # (milestone, at): why the case is in retention
    task: Task | None  # the retention call, open or done
    inputs: list[TaskField]
    transitions: list[tuple[str, str]]


def retention_items(cases: Sequence[Case]) -> list[RetentionItem]:
    """The page's rows: three queries whatever the number of cases."""
    ids = [c.pk for c in cases]
    reasons: dict[str, list[tuple[str, dt.datetime]]] = {}
    for case_id, name, at in (
        CaseMilestone.objects.filter(case_id__in=ids or [""], name__in=RETENTION_REASONS)
        .order_by("at", "id")
        .values_list("case_id", "name", "at")
    ):
        reasons.setdefault(case_id, []).append((name, at))
    tasks: dict[str, Task] = {}
    for t in (
        Task.objects.filter(case_id__in=ids or [""], key=RETENTION_TASK)
        .select_related("assignee")
        .order_by("created_at", "id")
    ):
        if t.case_id not in tasks or t.status == TaskStatus.OPEN:
            tasks[t.case_id] = t  # the open one, else the latest
    pbs = playbooks_by_version({c.playbook_id for c in cases})
    items = []
    for c in cases:
        pb = pbs.get(c.playbook_id)
        task = tasks.get(c.pk)
        open_task = task is not None and task.status == TaskStatus.OPEN
        items.append(
            RetentionItem(
                case=c,
                order=getattr(c, "service_order", None),
                reasons=reasons.get(c.pk, []),
                task=task,
                inputs=task_fields(pb, task, c.fields) if task is not None and open_task else [],
                transitions=manual_transitions(pb, c),
            )
        )
    return items
