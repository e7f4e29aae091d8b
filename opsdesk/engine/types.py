"""What the engine reads (a case snapshot and an event) and what it returns (a Decision).

Plain dataclasses: the shell builds them from the database, the simulator and
tests build them by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from opsdesk.engine.calendar import BusinessCalendar


@dataclass(frozen=True)
class AgentInfo:
    id: str
    name: str
    languages: tuple[str, ...] = ()
    service_types: tuple[str, ...] = ()
    capacity: int = 10
    open_work: int = 0
    calendar: BusinessCalendar | None = None
    team_id: str | None = None
    team_name: str | None = None
    user_id: str | None = None  # the Django user's id, as tasks record who completed them

    def as_context(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "languages": list(self.languages)}


@dataclass(frozen=True)
class ProfileIssue:
    code: str
    field: str
    message: str


@dataclass
class CaseSnapshot:
    """Everything the engine may know about one case, as of `now`."""

    id: str
    number: str
    state: str | None  # None before the case has entered its initial state
    fields: dict[str, Any]
    customer: dict[str, Any]
    agent: AgentInfo | None = None
    flags_open: int = 0
    flag_codes: frozenset[str] = frozenset()  # every flag ever raised on the case
    profile_issues: tuple[ProfileIssue, ...] = ()
    tasks: dict[str, str] = field(default_factory=dict)  # playbook task key -> status
    # Who completed each task key last (a user id or actor label): four-eyes reviews.
    task_done_by: dict[str, str] = field(default_factory=dict)
    # Contexts other apps add (opsdesk.cases.context), e.g. "application".
    extra: dict[str, Any] = field(default_factory=dict)
    sent: frozenset[str] = frozenset()  # template keys sent or logged
    order: dict[str, Any] | None = None
    documents: tuple[str, ...] = ()  # document types the customer has provided
    timers: frozenset[str] = frozenset()  # pending timer names
    team: str | None = None  # the case's team, by name
    milestones: frozenset[str] = frozenset()  # milestones reached
    appointment: Appointment | None = None  # the booked one
    # The customer's link (status, reschedule, cancel), built by the shell.
    link: str = ""
    # Until when WhatsApp takes free text (24 h after the customer last wrote);
    # outside it only approved templates go through.
    whatsapp_window_until: dt.datetime | None = None
    # Ports, not data: the shell loads candidate agents only when an assign
    # runs, and free slots only when a booking runs.
    candidates: Callable[[], list[AgentInfo]] = list
    free_slots: Callable[[str | None, dt.datetime], list[Appointment]] = lambda team, after: []


@dataclass(frozen=True)
class Appointment:
    start: dt.datetime  # aware UTC
    end: dt.datetime

    def as_context(self, calendar: BusinessCalendar) -> dict[str, Any]:
        # Every decision on a booked case builds it: cached (both are frozen),
        # and a copy, so a caller may change its own.
        try:
            return dict(_cached_appointment_context(self, calendar))
        except TypeError:  # a calendar built by hand with lists is not hashable: no cache
            return _appointment_context(self, calendar)


def _appointment_context(appointment: Appointment, calendar: BusinessCalendar) -> dict[str, Any]:
    start, end = calendar.to_local(appointment.start), calendar.to_local(appointment.end)
    return {
        "start": start,
        "end": end,
        "date": start.date().isoformat(),
        "time": f"{start:%H:%M}–{end:%H:%M}",
    }


_cached_appointment_context = lru_cache(maxsize=1024)(_appointment_context)


@dataclass(frozen=True)
class Event:
    type: str  # "case.opened", "task.complete", "manual", "timer.<name>", ...
    data: dict[str, Any] = field(default_factory=dict)


# --- the decision -----------------------------------------------------------


# The engine makes a few of these for every decision (a simulated year makes
# millions): their own __init__ writes the fields straight to the instance,
# where a frozen dataclass's generated one calls object.__setattr__ per field
# (twice the cost). Still frozen: assignment after construction raises.


@dataclass(frozen=True)
class TimelineEntry:
    type: str
    payload: dict[str, Any]

    def __init__(self, type: str, payload: dict[str, Any]) -> None:
        d = self.__dict__
        d["type"], d["payload"] = type, payload


@dataclass(frozen=True)
class FlagToRaise:
    code: str
    field: str
    message: str


@dataclass(frozen=True)
class Assignment:
    agent_id: str
    agent_name: str
    reason: str
    team_id: str | None = None


@dataclass(frozen=True)
class MessageToSend:
    template: str
    channel: str
    to: str
    language: str
    body: str
    subject: str = ""
    whatsapp_template: str = ""
    whatsapp_params: tuple[str, ...] = ()
    whatsapp_buttons: tuple[str, ...] = ()  # quick-reply payloads, in order

    def __init__(
        self,
        template: str,
        channel: str,
        to: str,
        language: str,
        body: str,
        subject: str = "",
        whatsapp_template: str = "",
        whatsapp_params: tuple[str, ...] = (),
        whatsapp_buttons: tuple[str, ...] = (),
    ) -> None:
        self.__dict__.update(
            template=template,
            channel=channel,
            to=to,
            language=language,
            body=body,
            subject=subject,
            whatsapp_template=whatsapp_template,
            whatsapp_params=whatsapp_params,
            whatsapp_buttons=whatsapp_buttons,
        )


@dataclass(frozen=True)
class TaskToOpen:
    key: str
    title: str
    description: str
    priority: str
    due_at: dt.datetime | None
    assignee_id: str | None
    checklist: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimerToSet:
    name: str
    due_at: dt.datetime

    def __init__(self, name: str, due_at: dt.datetime) -> None:
        d = self.__dict__
        d["name"], d["due_at"] = name, due_at


@dataclass(frozen=True)
class StatusPush:
    """A status for the partner platform (`sync_status`); `subject` e.g. a traveller id."""

    status: str
    subject: str = ""


@dataclass(frozen=True)
class ChatPostToSend:
    """A text for an internal chat channel (`post`), e.g. channel "#inquiries"."""

    channel: str
    text: str


@dataclass(frozen=True)
class FieldWork:
    """A booked visit's work order: what the technician needs (scheduling.field_work)."""

    skills: tuple[str, ...]
    parts: dict[str, int]
    duration_minutes: int


@dataclass
class Decision:
    """The outcome of one event. When `refused` is non-empty, nothing else applies."""

    refused: list[str] = field(default_factory=list)
    state_from: str | None = None
    state_to: str | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    flags: list[FlagToRaise] = field(default_factory=list)
    assignment: Assignment | None = None
    messages: list[MessageToSend] = field(default_factory=list)
    tasks_to_open: list[TaskToOpen] = field(default_factory=list)
    tasks_to_complete: list[str] = field(default_factory=list)
    timers_to_set: list[TimerToSet] = field(default_factory=list)
    timers_to_cancel: list[str] = field(default_factory=list)
    fields_to_set: dict[str, Any] = field(default_factory=dict)
    hand_backs: list[str] = field(default_factory=list)  # reasons
    status_pushes: list[StatusPush] = field(default_factory=list)
    chat_posts: list[ChatPostToSend] = field(default_factory=list)
    milestones: list[str] = field(default_factory=list)
    # Keep this feedback (the event's `feedback_id`) as a testimonial (`testimonial`).
    testimonial: str | None = None
    # Put the customer on the priority client list with this tier (`priority_client`).
    priority_client: str | None = None
    # A booking (cancelling any earlier one), or None with cancel_appointment.
    book: Appointment | None = None
    cancel_appointment: bool = False
    work: FieldWork | None = None  # with `book`, when the playbook sends technicians
    team: str | None = None  # move the case to this team (by name)

    @property
    def changed_state(self) -> bool:
        return self.state_to is not None and self.state_to != self.state_from
