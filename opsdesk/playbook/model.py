"""The playbook language: typed models of a playbook YAML document.

Pure Python (pydantic), no Django. `opsdesk.playbook.loader` parses YAML into
these models and `opsdesk.playbook.checks` adds the checks that need the whole
document (references, reachability, template variables).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

Priority = Literal["LOW", "MEDIUM", "HIGH", "URGENT"]
PRIORITY_ORDER: dict[str, int] = {"LOW": 0, "MEDIUM": 1, "HIGH": 2, "URGENT": 3}
Channel = Literal["WHATSAPP", "SMS", "EMAIL", "VOICE"]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class Node(BaseModel):
    """Base of every playbook node: unknown keys are errors, nodes are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Duration(Node):
    """Exactly one unit. Business units follow the business calendar."""

    business_days: int | None = Field(default=None, ge=0)
    business_hours: float | None = Field(default=None, gt=0)
    days: int | None = Field(default=None, gt=0)
    hours: float | None = Field(default=None, gt=0)
    minutes: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> Duration:
        if sum(v is not None for v in self.model_dump().values()) != 1:
            raise ValueError(
                "give exactly one of business_days, business_hours, days, hours, minutes"
            )
        return self


class FieldSpec(Node):
    """A typed field of the case, filled at intake and shown on the workspace."""

    type: Literal["text", "choice", "date", "number", "bool"]
    label: str = ""
    required: bool = False
    choices: list[str] = []
    help: str = ""

    @model_validator(mode="after")
    def _choices(self) -> FieldSpec:
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice field needs choices")
        if self.type != "choice" and self.choices:
            raise ValueError("only a choice field has choices")
        return self


class WhatsAppTemplateRef(Node):
    """The template approved at Meta that carries this message on WhatsApp.

    `buttons`: the payloads of its quick-reply buttons, in order. A tap comes
    back as `customer.replied` with `event.payload` (and `event.intent` when
    the payload is confirm, reject or reschedule).
    """

    name: str
    params: list[str] = []  # Jinja, rendered in the message's language
    buttons: list[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")]] = Field(
        default=[], max_length=10
    )


class MessageTemplate(Node):
    """A message in every playbook language, sent on the first channel the customer has."""

    channels: list[Channel] = Field(min_length=1)
    text: dict[str, str] = Field(min_length=1)
    subject: dict[str, str] = {}
    whatsapp: WhatsAppTemplateRef | None = None
    label: str = ""
    # An expression giving the channel to try first, e.g. `intake.reply_channel`
    # (a receipt goes back the way the request came); the others follow in order.
    prefer: str = ""


class PriorityRule(Node):
    to: Priority
    when: str


class Requirement(Node):
    """A quality check: `when` must hold, else `message` names what is missing."""

    when: str
    message: str


# --- actions ----------------------------------------------------------------


class RaiseFlags(Node):
    raise_flags: Literal["profile"]


MatchKey = Literal["service_type", "language"]


class AssignSpec(Node):
    """The playbook's assignment rules (top-level `assignment`)."""

    match: list[MatchKey] = ["service_type", "language"]
    service_type_field: str = "service_type"


class AssignOverride(Node):
    """`assign: {}` uses the top-level rules; a key given here replaces that rule.

    `team`: choose among that team's agents (by name) and move the case to it;
    without it, a case that has a team is assigned within its team.
    """

    match: list[MatchKey] | None = None
    service_type_field: str | None = None
    team: str | None = None


class Assign(Node):
    assign: AssignOverride

    def rules(self, defaults: AssignSpec) -> AssignSpec:
        return AssignSpec(
            match=defaults.match if self.assign.match is None else self.assign.match,
            service_type_field=self.assign.service_type_field or defaults.service_type_field,
        )


class Send(Node):
    send: str


class Testimonial(Node):
    """Keep the customer's feedback (the `feedback.received` event's) as a testimonial;
    only feedback given with the customer's consent to publish it is kept."""

    testimonial: Literal[True]


class PriorityClientSpec(Node):
    """`tier`: why the customer is on the priority client list."""

    tier: Literal["repeat", "corporate"]


class PriorityClient(Node):
    """Put the customer on the priority client list; the case's agent becomes their
    personal concierge unless they have one. Their next requests go to that concierge."""

    priority_client: PriorityClientSpec


class OpenTask(Node):
    open_task: str


class TimerSpec(Node):
    name: Slug
    after: Duration


class SetTimer(Node):
    set_timer: TimerSpec


class CancelTimer(Node):
    cancel_timer: str


class SetFieldSpec(Node):
    field: str
    value: str  # an expression


class SetField(Node):
    set_field: SetFieldSpec


class Note(Node):
    note: str  # Jinja text written to the timeline


class Wait(Node):
    """A pause between a cadence's steps (only inside `cadences`)."""

    wait: Duration


class HandBack(Node):
    """Return the order to the sales channel that sent it, with a reason (Jinja).

    The channel is notified by a signed webhook (retried until acknowledged)
    and sees the hand-back through the API.
    """

    hand_back: str


class SyncSpec(Node):
    """`status` (Jinja) for the partner; `subject` (an expression, e.g.
    `event.traveller_id`) when the status is one traveller's, not the whole case's."""

    status: str
    subject: str | None = None


class SyncStatus(Node):
    """Push a status to the partner platform the case's application came from
    (a signed webhook with retries by default; the result is kept on the case)."""

    sync_status: SyncSpec


class ChatPostSpec(Node):
    """`channel`: an internal chat channel's name ("#inquiries"); `text`: Jinja."""

    channel: str = Field(pattern=r"^#[a-z0-9][a-z0-9_-]{0,79}$")
    text: str


class Post(Node):
    """Post a text to an internal chat channel (a chat webhook, retried; a channel
    that does not exist is recorded and skipped, never an error)."""

    post: ChatPostSpec


class Milestone(Node):
    """Record that the case reached a named milestone (first time only); reports count them."""

    milestone: Slug


class BookSpec(Node):
    """Book the case's appointment in the first free slot at or after `at`
    (an expression giving a datetime, e.g. the customer's proposed time)."""

    at: str | None = None


class BookAppointment(Node):
    book_appointment: BookSpec


class CancelAppointment(Node):
    cancel_appointment: Literal[True]


class StartCadence(Node):
    start_cadence: str


class StopCadence(Node):
    stop_cadence: str


class Branch(Node):
    """`if: <expression>` then the `then` actions, else the `else` actions."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    if_: str = Field(alias="if")
    then: list[Action] = Field(min_length=1)
    else_: list[Action] = Field(default=[], alias="else")


def _action_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if "if" in value:
            return "if"
        if len(value) == 1:
            return next(iter(value))
        return None
    if isinstance(value, Branch):
        return "if"
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return None


Action = Annotated[
    Annotated[RaiseFlags, Tag("raise_flags")]
    | Annotated[Assign, Tag("assign")]
    | Annotated[Send, Tag("send")]
    | Annotated[OpenTask, Tag("open_task")]
    | Annotated[SetTimer, Tag("set_timer")]
    | Annotated[CancelTimer, Tag("cancel_timer")]
    | Annotated[SetField, Tag("set_field")]
    | Annotated[Note, Tag("note")]
    | Annotated[Wait, Tag("wait")]
    | Annotated[StartCadence, Tag("start_cadence")]
    | Annotated[StopCadence, Tag("stop_cadence")]
    | Annotated[HandBack, Tag("hand_back")]
    | Annotated[SyncStatus, Tag("sync_status")]
    | Annotated[Post, Tag("post")]
    | Annotated[Milestone, Tag("milestone")]
    | Annotated[Testimonial, Tag("testimonial")]
    | Annotated[PriorityClient, Tag("priority_client")]
    | Annotated[BookAppointment, Tag("book_appointment")]
    | Annotated[CancelAppointment, Tag("cancel_appointment")]
    | Annotated[Branch, Tag("if")],
    Discriminator(
        _action_tag,
        custom_error_type="unknown_action",
        custom_error_message=(
            "an action is one of raise_flags, assign, send, open_task, set_timer, "
            "cancel_timer, set_field, note, start_cadence, stop_cadence, wait (in a "
            "cadence), hand_back, sync_status, post, milestone, testimonial, "
            "priority_client, book_appointment, cancel_appointment, or if/then/else"
        ),
    ),
]


# --- tasks, states ----------------------------------------------------------


class TeamAssignee(Node):
    """The task belongs to a team (e.g. QA): the least loaded of its agents gets it
    (for a four-eyes review, never the person who did the work)."""

    team: str


class ReviewSpec(Node):
    """This task reviews the work of task `of`; with `four_eyes`, whoever completed
    that task cannot complete this one."""

    of: str
    four_eyes: bool = True


class TaskSpec(Node):
    title: str
    description: str = ""
    priority: Priority = "MEDIUM"
    raise_priority: list[PriorityRule] = []
    due: Duration | None = None
    assignee: Literal["case_agent", "unassigned"] | TeamAssignee = "case_agent"
    checklist: list[str] = []
    # Every checklist item must be ticked before the task can be completed.
    checklist_required: bool = False
    complete_requires: list[Requirement] = []
    on_complete: list[Action] = []
    manual: bool = False  # staff may open it from the workspace
    # Case fields the person fills in when completing the task (e.g. a call's
    # outcome, a rejection cause); required ones must be given.
    fields: list[str] = []
    review: ReviewSpec | None = None


class Transition(Node):
    """Leave the state when `on` happens (or after any event, if `on` is absent) and `when` holds.

    `on: manual` makes it a button for staff, labelled `label`. Without `to`, the
    case stays where it is and only `do` runs (e.g. a reminder on a timer).
    """

    to: str | None = None
    on: str | None = None
    when: str | None = None
    label: str = ""
    do: list[Action] = []

    @model_validator(mode="after")
    def _something(self) -> Transition:
        if self.to is None and not self.do:
            raise ValueError("a transition needs `to`, `do`, or both")
        if self.on is None and (self.when is None or self.to is None):
            # Without `to`, an automatic transition would run its `do` after every event.
            raise ValueError("an automatic transition (no `on`) needs `when` and `to`")
        return self


class StateSpec(Node):
    label: str = ""
    initial: bool = False
    final: bool = False
    # Gates on entering the state, whichever way (a button, the API, an event):
    # unmet, the move is refused with every unmet `message` (an automatic
    # transition simply waits). E.g. no service before payment.
    requires: list[Requirement] = []
    on_enter: list[Action] = []
    transitions: list[Transition] = []


class CadenceSpec(Node):
    """Steps run in order; a `wait` step pauses the cadence on a durable timer.

    `quiet_hours: business` keeps every step inside the calendar's working
    hours: a start or a wait that ends outside them resumes at the next
    working moment. `stop_cadence` (e.g. on any reply) cancels what is left.
    When the last step has run, the event `cadence.<name>.done` fires.
    """

    label: str = ""
    quiet_hours: Literal["none", "business"] = "none"
    steps: list[Action] = Field(min_length=1)


class SlaSpec(Node):
    """A service level: the clock starts when the case enters one of `starts`,
    stops when it enters one of `stops`; `warning` before the `target` runs
    `on_warning`, passing the target runs `on_breach` (e.g. escalate). Durations
    count from the start, on the playbook's calendar (business hours)."""

    label: str = ""
    starts: list[str] = Field(min_length=1)  # states
    stops: list[str] = Field(min_length=1)  # states
    target: Duration
    warning: Duration | None = None  # from the start, before the target
    on_warning: list[Action] = []
    on_breach: list[Action] = []


class Trigger(Node):
    events: list[
        Literal[
            "customer.created",
            "order.received",
            "application.received",
            "request.received",
            "contact.received",
        ]
    ] = Field(min_length=1)


IntakeChannel = Literal["PHONE", "WHATSAPP", "EMAIL", "WEB"]


class IntakeCheck(Node):
    """A rule over the intake sheet (e.g. return after departure): when `when` does not
    hold, the request is refused with `message` against `field`."""

    field: str
    when: str
    message: str


class IntakeSpec(Node):
    """Requests from customers (trigger `request.received`).

    `channels`: where requests come in: PHONE (staff fill the intake sheet), WEB (the
    public form), WHATSAPP (a message from someone without an open case), EMAIL (mail
    to `email`, its "Label: value" lines read into the sheet). `form`: the intake
    sheet, as fields of `fields`, in order. A request from a message may leave
    required fields empty: the playbook has someone complete the sheet.
    """

    title: str = ""
    channels: list[IntakeChannel] = Field(min_length=1)
    form: list[str] = Field(min_length=1)
    checks: list[IntakeCheck] = []
    email: str = ""


class ZoneSpec(Node):
    """A service zone. An order is in the first zone whose polygon holds its
    coordinates, else the first whose cities or postcode prefixes match its address."""

    label: str = ""
    polygon: list[tuple[float, float]] = []  # (latitude, longitude) corners
    cities: list[str] = []
    postcodes: list[str] = []  # prefixes
    services: list[str] = []  # service types offered here; empty: all

    @model_validator(mode="after")
    def _some_rule(self) -> ZoneSpec:
        if not (self.polygon or self.cities or self.postcodes):
            raise ValueError("a zone needs a polygon, cities or postcodes")
        if self.polygon and len(self.polygon) < 3:
            raise ValueError("a polygon needs at least three corners")
        return self


class ClassificationRule(Node):
    """The first rule whose `when` holds routes the order to `team` with `priority`."""

    name: Slug
    when: str
    team: str
    priority: Priority = "MEDIUM"


class EligibilityCheck(Node):
    """`when` must hold for the order to be accepted; else `message` (Jinja) says why."""

    name: Slug
    when: str
    message: str


class FieldWorkSpec(Node):
    """Each booked visit is a technician's work order: what it needs, as expressions
    over the case (e.g. a catalog looked up by the service type)."""

    skills: str = "[]"  # -> a list of skill slugs
    parts: str = "{}"  # -> {sku: quantity} taken from the van
    duration: Duration | None = None  # on site; default: the slot's length


class SchedulingSpec(Node):
    """Appointment slots: each working day, slots of `duration` starting at `starts`
    (local time), each taking `capacity` appointments per team."""

    duration: Duration
    starts: list[Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]] = Field(
        min_length=1
    )
    capacity: int = Field(default=1, ge=1)
    horizon_days: int = Field(default=14, ge=1, le=90)
    lead: Duration = Duration(hours=2)  # the earliest slot starts at least this far ahead
    # The customer link may reschedule or cancel until this long before the slot.
    customer_changes_until: Duration = Duration(hours=24)
    customer_can_cancel: bool = True
    field_work: FieldWorkSpec | None = None


# --- guided scripts and dispositions (contact desks) ------------------------


class ScriptCheck(Node):
    """A branch on what the system knows: the first check whose `when` holds (or
    the one without `when`, last) leads to `next`. Facts are computed, never asked."""

    when: str | None = None
    next: str


class ScriptAnswer(Node):
    label: str
    next: str


ContactAction = Literal[
    "none", "reschedule", "reopen", "cancel", "change_address", "escalate", "safety"
]


class ScriptEnd(Node):
    """Where a path ends: the disposition `tag` (a path of the `dispositions` tree,
    segments joined by " >> "), resolved or unresolved, whether remarks are required,
    and what is done to the ticket."""

    tag: str
    resolution: Literal["resolved", "unresolved"] | None = None
    remarks: Literal["required", "optional"] = "optional"
    action: ContactAction = "none"


class ScriptNode(Node):
    """One step: `check` (branch on facts), `ask` with `answers` (what only the
    customer can say), or `end`. `say` is guidance for the agent (Jinja)."""

    say: str = ""
    check: list[ScriptCheck] = []
    ask: str = ""
    answers: dict[Slug, ScriptAnswer] = {}
    end: ScriptEnd | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ScriptNode:
        kinds = [bool(self.check), bool(self.ask or self.answers), self.end is not None]
        if sum(kinds) != 1:
            raise ValueError("a step is exactly one of check, ask (with answers), end")
        if (self.ask or self.answers) and not (self.ask and self.answers):
            raise ValueError("ask needs its question and its answers")
        if self.check and self.check[-1].when is not None:
            raise ValueError("the last check has no `when`: it is the otherwise")
        if any(c.when is None for c in self.check[:-1]):
            raise ValueError("only the last check may leave out `when`")
        return self

    @property
    def targets(self) -> list[str]:
        return [c.next for c in self.check] + [a.next for a in self.answers.values()]


class ScriptSpec(Node):
    """A guided script for one reason a customer contacts the desk."""

    label: str
    start: str
    nodes: dict[Slug, ScriptNode] = Field(min_length=1)


class BillingSpec(Node):
    """Defaults for the case's quotes, as expressions over the case: the share paid
    up front (`deposit_percent`: 100 is full payment before work, 50 a deposit with
    the balance due on completion), the currency and each line's tax rate."""

    deposit_percent: str = "100"
    currency: str = "'EUR'"
    tax_rate: str = "0"


Branch.model_rebuild()


class Playbook(Node):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    version: int = Field(ge=1)
    title: str
    case_prefix: Annotated[str, Field(pattern=r"^[A-Z]{2,5}$")]
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2}$")]] = Field(min_length=1)
    default_language: str
    trigger: Trigger
    calendar: dict[str, Any] = {"country": "TR"}
    fields: dict[Slug, FieldSpec] = {}
    catalogs: dict[Slug, Any] = {}
    computed: dict[Slug, str] = {}
    profile_checks: list[str] = []
    assignment: AssignSpec = AssignSpec()
    templates: dict[Slug, MessageTemplate] = {}
    tasks: dict[Slug, TaskSpec] = {}
    cadences: dict[Slug, CadenceSpec] = {}
    slas: dict[Slug, SlaSpec] = {}
    # Service orders (trigger `order.received`): zones, routing, eligibility, slots.
    zones: dict[Slug, ZoneSpec] = {}
    classification: list[ClassificationRule] = []
    eligibility: list[EligibilityCheck] = []
    scheduling: SchedulingSpec | None = None
    # Requests from customers (trigger `request.received`): the intake sheet.
    intake: IntakeSpec | None = None
    billing: BillingSpec = BillingSpec()
    # Contact desks: the disposition taxonomy (a tree of names; a leaf is `null` or
    # `{}`) and a guided script per contact reason.
    dispositions: dict[str, Any] = {}
    scripts: dict[Slug, ScriptSpec] = {}
    states: dict[Slug, StateSpec] = Field(min_length=1)

    @cached_property  # every case.opened asks; the states never change (frozen)
    def initial_state(self) -> str:
        return next(name for name, spec in self.states.items() if spec.initial)

    def actions(self) -> Iterator[tuple[str, Action]]:
        """Every action with its YAML path, branches included."""
        for name, state in self.states.items():
            yield from _walk(f"states.{name}.on_enter", state.on_enter)
            for t, tr in enumerate(state.transitions):
                yield from _walk(f"states.{name}.transitions[{t}].do", tr.do)
        for key, task in self.tasks.items():
            yield from _walk(f"tasks.{key}.on_complete", task.on_complete)
        for name, cadence in self.cadences.items():
            yield from _walk(f"cadences.{name}.steps", cadence.steps)
        for name, sla in self.slas.items():
            yield from _walk(f"slas.{name}.on_warning", sla.on_warning)
            yield from _walk(f"slas.{name}.on_breach", sla.on_breach)

    @cached_property
    def raises_flags(self) -> bool:
        """Whether any action raises profile flags (else the shell skips the checks:
        a phone and an email parse per snapshot, wasted on playbooks that never look)."""
        return any(isinstance(action, RaiseFlags) for _, action in self.actions())


def _walk(path: str, actions: list[Action]) -> Iterator[tuple[str, Action]]:
    for i, action in enumerate(actions):
        yield f"{path}[{i}]", action
        if isinstance(action, Branch):
            yield from _walk(f"{path}[{i}].then", action.then)
            yield from _walk(f"{path}[{i}].else", action.else_)
