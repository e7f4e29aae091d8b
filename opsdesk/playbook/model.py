"""The playbook language: typed models of a playbook YAML document.

Pure Python (pydantic), no Django. `opsdesk.playbook.loader` parses YAML into
these models and `opsdesk.playbook.checks` adds the checks that need the whole
document (references, reachability, template variables).
"""

from __future__ import annotations

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
    """The template approved at Meta that carries this message on WhatsApp."""

    name: str
    params: list[str] = []  # Jinja, rendered in the message's language


class MessageTemplate(Node):
    """A message in every playbook language, sent on the first channel the customer has."""

    channels: list[Channel] = Field(min_length=1)
    text: dict[str, str] = Field(min_length=1)
    subject: dict[str, str] = {}
    whatsapp: WhatsAppTemplateRef | None = None
    label: str = ""


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
    """`assign: {}` uses the top-level rules; a key given here replaces that rule."""

    match: list[MatchKey] | None = None
    service_type_field: str | None = None


class Assign(Node):
    assign: AssignOverride

    def rules(self, defaults: AssignSpec) -> AssignSpec:
        return AssignSpec(
            match=defaults.match if self.assign.match is None else self.assign.match,
            service_type_field=self.assign.service_type_field or defaults.service_type_field,
        )


class Send(Node):
    send: str


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
    | Annotated[Branch, Tag("if")],
    Discriminator(
        _action_tag,
        custom_error_type="unknown_action",
        custom_error_message=(
            "an action is one of raise_flags, assign, send, open_task, set_timer, "
            "cancel_timer, set_field, note, start_cadence, stop_cadence, wait (in a "
            "cadence), or if/then/else"
        ),
    ),
]


# --- tasks, states ----------------------------------------------------------


class TaskSpec(Node):
    title: str
    description: str = ""
    priority: Priority = "MEDIUM"
    raise_priority: list[PriorityRule] = []
    due: Duration | None = None
    assignee: Literal["case_agent", "unassigned"] = "case_agent"
    checklist: list[str] = []
    complete_requires: list[Requirement] = []
    on_complete: list[Action] = []
    manual: bool = False  # staff may open it from the workspace


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


class Trigger(Node):
    events: list[Literal["customer.created"]] = Field(min_length=1)


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
    states: dict[Slug, StateSpec] = Field(min_length=1)

    @property
    def initial_state(self) -> str:
        return next(name for name, spec in self.states.items() if spec.initial)
