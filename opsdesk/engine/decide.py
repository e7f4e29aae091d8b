"""The engine: `decide(playbook, snapshot, event, now) -> Decision`.

No Django, no I/O, no clock: the same inputs always give the same decision,
which is what lets tests, replays and the simulator run on a virtual clock.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from opsdesk.engine.assignment import choose_agent
from opsdesk.engine.calendar import BusinessCalendar
from opsdesk.engine.types import (
    AgentInfo,
    Appointment,
    Assignment,
    CaseSnapshot,
    ChatPostToSend,
    Decision,
    Event,
    FieldWork,
    FlagToRaise,
    MessageToSend,
    StatusPush,
    TaskToOpen,
    TimelineEntry,
    TimerToSet,
)
from opsdesk.playbook.compiled import LazyContext
from opsdesk.playbook.events import CADENCE_TIMER, SLA_TIMER, TIMER_EVENT_PREFIX
from opsdesk.playbook.expressions import evaluate, names_in, render
from opsdesk.playbook.fields import coerce_fields, to_json
from opsdesk.playbook.model import (
    PRIORITY_ORDER,
    Action,
    Assign,
    BookAppointment,
    Branch,
    CancelAppointment,
    CancelTimer,
    Duration,
    HandBack,
    Milestone,
    Note,
    OpenTask,
    Playbook,
    Post,
    PriorityClient,
    RaiseFlags,
    Send,
    SetField,
    SetTimer,
    StartCadence,
    StateSpec,
    StopCadence,
    SyncStatus,
    TaskSpec,
    TeamAssignee,
    Testimonial,
    Transition,
    Wait,
)

# Automatic transitions may chain (a -> b -> c); a longer chain is a playbook loop.
MAX_CHAIN = 25


class EngineError(RuntimeError):
    """A playbook that passed its checks still failed at run time (e.g. a loop)."""


def decide(
    pb: Playbook,
    snap: CaseSnapshot,
    event: Event,
    now: dt.datetime,
    *,
    texts: bool = True,
    omit: frozenset[str] = frozenset(),
) -> Decision:
    """What the event does to the case. `texts=False` leaves the texts nobody
    reads in a simulation empty (message bodies, subjects, WhatsApp parameters,
    task titles and descriptions): rendering them was a third of a simulated
    year, and no guard, timer or timeline row depends on them. `omit` leaves
    these timeline kinds out of `Decision.timeline` (a simulation counts a few
    kinds and keeps no timeline); nothing else depends on them either."""
    run = _Run(pb, snap, event, now, texts, omit)
    try:
        return run.run()
    finally:
        run.names.run = None  # no cycle left for the garbage collector to find


def context_of(pb: Playbook, snap: CaseSnapshot, now: dt.datetime) -> dict[str, Any]:
    """What guards and templates would see for this case now, computed values
    included (for display: the workspace shows the missing documents)."""
    run = _Run(pb, snap, Event("view"), now)
    try:
        return run.context()
    finally:
        run.names.run = None


@lru_cache(maxsize=256)
def _calendar(spec: str) -> BusinessCalendar:
    return BusinessCalendar.from_dict(json.loads(spec))


# The last playbook calendar spec seen: (the spec object, a copy of it, its calendar).
_last_calendar: tuple[Any, Any, BusinessCalendar] | None = None


def playbook_calendar(pb: Playbook) -> BusinessCalendar:
    # Every decide() asks; serialising the spec each time cost ~5% of a simulation.
    # The same spec object, still equal to its copy (not changed in place), gives
    # the calendar the JSON key would.
    global _last_calendar
    spec, last = pb.calendar, _last_calendar
    if last is not None and last[0] is spec and last[1] == spec:
        return last[2]
    calendar = _calendar(json.dumps(spec, sort_keys=True, default=str))
    _last_calendar = (spec, copy.deepcopy(spec), calendar)
    return calendar


def due_after(duration: Duration, now: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    if duration.business_days is not None:
        return calendar.add_business_days(now, duration.business_days)
    if duration.business_hours is not None:
        return calendar.add_business_hours(now, duration.business_hours)
    delta = dt.timedelta(
        days=duration.days or 0, hours=duration.hours or 0, minutes=duration.minutes or 0
    )
    return now + delta


# id(state) -> (state, its automatic transitions in order): settle() asks after
# every event, and most states have none. The entry keeps the state alive, so
# its id is not reused; playbook nodes are frozen.
_AUTOMATIC: dict[int, tuple[StateSpec, tuple[Transition, ...]]] = {}


def _automatic(state: StateSpec) -> tuple[Transition, ...]:
    cached = _AUTOMATIC.get(id(state))
    if cached is None or cached[0] is not state:
        if len(_AUTOMATIC) > 4096:  # playbooks loaded again and again (tests, the shell)
            _AUTOMATIC.clear()
        autos = tuple(t for t in state.transitions if t.on is None)
        cached = _AUTOMATIC[id(state)] = (state, autos)
    return cached[1]


# The context's own names (docs/user-guide.md "Context"), each built from the run
# when a guard or a template first reads it. A name of the snapshot's `extra`
# (other apps' contexts) wins over them, a computed value over both, as when
# the whole context was built for every decision.
_BASE: dict[str, Callable[[_Run], Any]] = {
    "case": lambda r: {"id": r.snap.id, "number": r.snap.number, "state": r.state},
    "customer": lambda r: r.snap.customer,
    "agent": lambda r: r.agent.as_context() if r.agent else None,
    "fields": lambda r: r.fields,
    "catalogs": lambda r: r.pb.catalogs,
    "flags_open": lambda r: r.flags_open,
    "sent": lambda r: sorted(r.sent),
    "tasks": lambda r: r.tasks,
    "order": lambda r: r.snap.order,
    "application": lambda r: None,
    "billing": lambda r: None,
    "intake": lambda r: None,
    "documents": lambda r: list(r.snap.documents),
    "timers": lambda r: sorted(r.timers),
    "team": lambda r: r.team,
    "milestones": lambda r: sorted(r.milestones),
    "appointment": lambda r: r.appointment.as_context(r.calendar) if r.appointment else None,
    "link": lambda r: r.snap.link,
    "today": lambda r: r.calendar.local_date(r.now),
    "now": lambda r: r.now,
    "event": lambda r: {"type": r.event.type, **r.event.data},
}


# The working collections that are dicts (the others are sets).
_DICTS = frozenset({"fields", "tasks", "done_by"})


class _Names(LazyContext):
    """The expression context of one run. Building all of it for every
    decision (sorted sets, the appointment's local times, computed values)
    cost more than the guards that read two names of it; `_Run.changed`
    forgets what an action changes."""

    computing: frozenset[str] = frozenset()

    def __init__(self, run: _Run) -> None:  # empty, as dict() makes it
        self.run: _Run | None = run

    def __missing__(self, name: str) -> Any:
        run = self.run
        assert run is not None, "read after the decision"
        computed = run.pb.computed
        if name in computed and name not in self.computing:
            # A value that reads itself finds it undefined, as before it was set.
            outer, self.computing = self.computing, self.computing | {name}
            try:
                value = evaluate(computed[name], self)
            finally:
                self.computing = outer
        elif name in run.snap.extra:
            value = run.snap.extra[name]
        elif name in _BASE:
            value = _BASE[name](run)
        else:
            raise KeyError(name)
        self[name] = value
        return value

    def complete(self) -> dict[str, Any]:
        assert self.run is not None, "read after the decision"
        for name in (*_BASE, *self.run.snap.extra):
            self[name]  # __missing__ builds it
        for name in self.run.pb.computed:
            if name in self.computing:
                # Asked while computing this value (Jinja's context for a filter
                # like `reject`): it sees the values defined before it, as it did
                # when they were computed in order.
                break
            self[name]  # __missing__ computes it
        return self


class _Run:
    """One decision in the making: a working copy of the case that actions update."""

    # Every event builds one: slots make its twenty attributes cheaper to set and read.
    __slots__ = (
        "_owned",
        "agent",
        "appointment",
        "calendar",
        "d",
        "done_by",
        "event",
        "fields",
        "flag_codes",
        "flags_open",
        "milestones",
        "names",
        "now",
        "omit",
        "pb",
        "sent",
        "snap",
        "state",
        "tasks",
        "team",
        "texts",
        "timers",
    )

    def __init__(
        self,
        pb: Playbook,
        snap: CaseSnapshot,
        event: Event,
        now: dt.datetime,
        texts: bool = True,
        omit: frozenset[str] = frozenset(),
    ):
        self.pb, self.snap, self.event, self.now = pb, snap, event, now
        self.texts, self.omit = texts, omit
        self.d = Decision(state_from=snap.state)
        self.state = snap.state
        self.agent = snap.agent
        # The snapshot's own collections until an action changes one (`_own`):
        # most events change two or three of them, and copying them all was a
        # tenth of a decision.
        self.fields = snap.fields
        self.flags_open = snap.flags_open
        self.flag_codes = snap.flag_codes
        self.tasks = snap.tasks
        # Who completed each task key, this event's completion included (four eyes).
        self.done_by = snap.task_done_by
        self.sent = snap.sent
        self.timers = snap.timers
        self.team = snap.team
        self.milestones = snap.milestones
        self._owned: set[str] = set()
        self.appointment = snap.appointment
        self.calendar = playbook_calendar(pb)
        # What guards and templates see, each name built when first read.
        self.names = _Names(self)

    def _own(self, name: str) -> Any:
        """The working copy of collection `name` (fields, tasks, timers...), made
        on the first change so the snapshot itself is never changed."""
        if name in self._owned:
            return getattr(self, name)
        self._owned.add(name)
        value = getattr(self, name)
        value = dict(value) if name in _DICTS else set(value)
        setattr(self, name, value)
        return value

    # --- context --------------------------------------------------------------

    def context(self) -> dict[str, Any]:
        """The whole expression context, computed values included; its fields
        and tasks are copies, not the snapshot's."""
        self._own("fields")
        self._own("tasks")
        return dict(self.names.complete())

    def changed(self, *names: str) -> None:
        """Forget what the names held, and the computed values that read them
        (in the playbook's order, so a value reading another follows it)."""
        ctx = self.names
        if not ctx:
            return  # nothing read yet
        for name in names:
            ctx.pop(name, None)
        computed = self.pb.computed
        if computed and not ctx.keys().isdisjoint(computed):  # else nothing to forget
            stale = set(names)
            for name, expr in computed.items():
                if not stale.isdisjoint(names_in(expr)):
                    ctx.pop(name, None)
                    stale.add(name)

    def holds(self, expr: str) -> bool:
        return bool(evaluate(expr, self.names))

    def note(self, type_: str, **payload: Any) -> None:
        if type_ not in self.omit:
            self.d.timeline.append(TimelineEntry(type_, payload))

    # --- the run --------------------------------------------------------------

    def run(self) -> Decision:
        etype = self.event.type
        if etype == "case.opened":
            self.enter(self.pb.initial_state)
        elif etype == "task.complete":
            if not self.complete_task(self.event.data.get("key") or ""):
                return self.d
        elif etype == "manual":
            if not self.manual(str(self.event.data.get("to", ""))):
                return self.d
        elif etype == "send":
            if not self.send(str(self.event.data.get("template", "")), requested=True):
                return self.d
        elif etype == "open_task":
            key = str(self.event.data.get("key", ""))
            if key not in self.pb.tasks:
                return self.refuse(f"no task {key!r} in the playbook")
            self.open_task(key)
        elif etype == "reassess":
            pass  # only the automatic transitions below
        elif etype.startswith(TIMER_EVENT_PREFIX + CADENCE_TIMER):
            self.resume_cadence(etype.removeprefix(TIMER_EVENT_PREFIX))
        elif etype.startswith(TIMER_EVENT_PREFIX + SLA_TIMER):
            self.sla_timer(etype.removeprefix(TIMER_EVENT_PREFIX))
        elif not self.on_event(etype):
            return self.d
        self.settle()
        if self.state != self.snap.state:
            self.d.state_to = self.state
        return self.d

    def refuse(self, *reasons: str) -> bool:
        self.d = Decision(state_from=self.snap.state, refused=list(reasons))
        return False

    def enter(self, state: str) -> None:
        previous, self.state = self.state, state
        self.changed("case")
        if previous is not None:
            self.note("STATE_CHANGED", **{"from": previous, "to": state})
        self.clock_slas(state)
        for action in self.pb.states[state].on_enter:
            self.act(action)

    # --- service levels -------------------------------------------------------

    def clock_slas(self, state: str) -> None:
        """Entering a state stops the service levels it ends, then starts those it begins."""
        for name, sla in self.pb.slas.items():
            breach = f"{SLA_TIMER}{name}__breach"
            if state in sla.stops and breach in self.timers:
                for which in ("warning", "breach"):
                    timer = f"{SLA_TIMER}{name}__{which}"
                    if timer in self.timers:
                        self._own("timers").discard(timer)
                        self.d.timers_to_cancel.append(timer)
                self.changed("timers")
                self.note("SLA_MET", sla=name)
        for name, sla in self.pb.slas.items():
            if state not in sla.starts or f"{SLA_TIMER}{name}__breach" in self.timers:
                continue  # not this state, or already running
            due = due_after(sla.target, self.now, self.calendar)
            self.set_timer(f"{SLA_TIMER}{name}__breach", due)
            if sla.warning is not None:
                warn_at = due_after(sla.warning, self.now, self.calendar)
                self.set_timer(f"{SLA_TIMER}{name}__warning", warn_at)
            self.note("SLA_STARTED", sla=name, due_at=due.isoformat())

    def set_timer(self, name: str, due: dt.datetime) -> None:
        self.d.timers_to_set.append(TimerToSet(name, due))
        self._own("timers").add(name)
        self.changed("timers")

    def sla_timer(self, timer: str) -> None:
        name, _, which = timer.removeprefix(SLA_TIMER).rpartition("__")
        sla = self.pb.slas.get(name)
        if sla is None:
            return  # the playbook version no longer has it
        self._own("timers").discard(timer)
        self.changed("timers")
        if which == "warning":
            self.note("SLA_WARNING", sla=name)
            actions = sla.on_warning
        else:
            self.note("SLA_BREACHED", sla=name)
            warning = f"{SLA_TIMER}{name}__warning"
            if warning in self.timers:  # a warning due with the breach says nothing more
                self._own("timers").discard(warning)
                self.d.timers_to_cancel.append(warning)
            actions = sla.on_breach
        for action in actions:
            self.act(action)

    def take(self, tr: Transition) -> None:
        for action in tr.do:
            self.act(action)
        if tr.to is not None and tr.to != self.state:
            self.enter(tr.to)

    def unmet(self, to: str | None) -> list[str]:
        """The messages of the target state's `requires` that do not hold."""
        if to is None or to == self.state:
            return []
        return [r.message for r in self.pb.states[to].requires if not self.holds(r.when)]

    def on_event(self, etype: str) -> bool:
        """False when the transition the event asks for is refused by its target's gates."""
        for tr in self.pb.states[self.state].transitions if self.state else ():
            if tr.on == etype and (tr.when is None or self.holds(tr.when)):
                if unmet := self.unmet(tr.to):
                    return self.refuse(*unmet)
                self.take(tr)
                return True
        return True

    def settle(self) -> None:
        for _ in range(MAX_CHAIN):
            if self.state is None:
                return
            # The model guarantees an automatic transition has `when` and `to`.
            chosen = None
            for t in _automatic(self.pb.states[self.state]):
                if t.when and self.holds(t.when) and not self.unmet(t.to):
                    chosen = t
                    break
            if chosen is None or chosen.to == self.state:
                return
            self.take(chosen)
        raise EngineError(f"automatic transitions loop beyond {MAX_CHAIN} steps")

    def manual(self, to: str) -> bool:
        state = self.pb.states[self.state] if self.state else None
        tr = next((t for t in state.transitions if t.on == "manual" and t.to == to), None)
        if state is None or tr is None:
            return self.refuse(f"no manual transition to {to!r} from {self.state!r}")
        if tr.when is not None and not self.holds(tr.when):
            return self.refuse(f"{tr.label}: not allowed yet ({tr.when})")
        if unmet := self.unmet(tr.to):
            return self.refuse(*unmet)
        self.take(tr)
        return True

    def complete_task(self, key: str) -> bool:
        spec = self.pb.tasks.get(key)
        given = self.event.data.get("fields") or {}
        if spec is not None and given:
            # What the person recorded (checked by the task service) counts
            # for the quality checks below.
            values, errors = coerce_fields(self.pb, given, partial=True)
            if errors:
                return self.refuse(*(f"{k}: {' '.join(v)}" for k, v in errors.items()))
            for name, value in values.items():
                if name in spec.fields:
                    self.set_field(name, value)
        if spec is not None and spec.review is not None and spec.review.four_eyes:
            prepared_by = self.done_by.get(spec.review.of)
            if prepared_by is not None and prepared_by == self.event.data.get("by"):
                return self.refuse(
                    f"Four eyes: you completed the work under review ({spec.review.of}); "
                    "someone else must review it"
                )
        if spec is not None:
            unmet = [r.message for r in spec.complete_requires if not self.holds(r.when)]
            if spec.checklist_required:
                unmet += [
                    f"not done yet: {item}" for item in self.event.data.get("checklist_open") or ()
                ]
            if unmet:
                return self.refuse(*unmet)
        if key:
            self.d.tasks_to_complete.append(key)
            self._own("tasks")[key] = "DONE"
            if self.event.data.get("by"):
                self._own("done_by")[key] = str(self.event.data["by"])
            self.changed("tasks")
        for action in spec.on_complete if spec else ():
            self.act(action)
        self.event = Event("task.completed", self.event.data)
        self.changed("event")
        return self.on_event("task.completed")

    # --- actions --------------------------------------------------------------

    def act(self, action: Action) -> None:
        # By the action's class: a chain of isinstance tests cost a twentieth of
        # a simulation. A subclass finds its base's handler through its MRO.
        handler = _ACTIONS.get(type(action))
        if handler is None:
            handler = next((_ACTIONS[c] for c in type(action).__mro__ if c in _ACTIONS), None)
        if handler is not None:
            handler(self, action)

    def _set_timer(self, action: SetTimer) -> None:
        due = due_after(action.set_timer.after, self.now, self.calendar)
        self.d.timers_to_set.append(TimerToSet(action.set_timer.name, due))
        self._own("timers").add(action.set_timer.name)
        self.changed("timers")
        if "TIMER_SET" not in self.omit:  # isoformat() only for a row that is kept
            self.note("TIMER_SET", name=action.set_timer.name, due_at=due.isoformat())

    def _cancel_timer(self, action: CancelTimer) -> None:
        if action.cancel_timer in self.timers:
            self._own("timers").discard(action.cancel_timer)
            self.changed("timers")
            self.d.timers_to_cancel.append(action.cancel_timer)
            self.note("TIMER_CANCELLED", name=action.cancel_timer)

    def _set_field(self, action: SetField) -> None:
        raw = evaluate(action.set_field.value, self.names)
        values, errors = coerce_fields(self.pb, {action.set_field.field: raw}, partial=True)
        if errors:
            raise EngineError(f"set_field {action.set_field.field}: {errors}")
        self.set_field(action.set_field.field, values.get(action.set_field.field))

    def _wait(self, action: Wait) -> None:
        raise EngineError("`wait` outside a cadence's steps")  # the check refuses it

    def _sync_status(self, action: SyncStatus) -> None:
        ctx = self.names
        status = render(action.sync_status.status, ctx).strip()
        subject = action.sync_status.subject
        who = str(evaluate(subject, ctx) or "") if subject else ""
        self.d.status_pushes.append(StatusPush(status, who))
        self.note("PARTNER_STATUS", status=status, subject=who)

    def _hand_back(self, action: HandBack) -> None:
        reason = render(action.hand_back, self.names)
        self.d.hand_backs.append(reason)
        self.note("HANDED_BACK", reason=reason)

    def _post(self, action: Post) -> None:
        text = render(action.post.text, self.names)
        self.d.chat_posts.append(ChatPostToSend(action.post.channel, text))
        self.note("CHAT_POSTED", channel=action.post.channel)

    def _milestone(self, action: Milestone) -> None:
        if action.milestone not in self.milestones:
            self._own("milestones").add(action.milestone)
            self.changed("milestones")
            self.d.milestones.append(action.milestone)
            self.note("MILESTONE", name=action.milestone)

    def _testimonial(self, action: Testimonial) -> None:
        feedback_id = str(self.event.data.get("feedback_id") or "")
        if not feedback_id:
            self.note("TESTIMONIAL_SKIPPED", reason="the event carries no feedback")
        elif self.d.testimonial != feedback_id:
            self.d.testimonial = feedback_id
            self.note("TESTIMONIAL_KEPT", feedback_id=feedback_id)

    def _priority_client(self, action: PriorityClient) -> None:
        tier = action.priority_client.tier
        if self.snap.customer.get("priority_tier") != tier:
            self.d.priority_client = tier
            self.note("PRIORITY_CLIENT", tier=tier)

    def _cancel_appointment(self, action: CancelAppointment) -> None:
        if self.appointment is not None:
            self.note("APPOINTMENT_CANCELLED", start=self.appointment.start.isoformat())
            self.appointment, self.d.book = None, None
            self.d.cancel_appointment = True
            self.changed("appointment")

    def _branch(self, action: Branch) -> None:
        for inner in action.then if self.holds(action.if_) else action.else_:
            self.act(inner)

    def set_field(self, name: str, value: Any) -> None:
        self._own("fields")[name] = value
        self.changed("fields")
        self.d.fields_to_set[name] = value
        self.note("FIELD_SET", field=name, value=to_json({name: value})[name])

    # --- appointments ---------------------------------------------------------

    def book(self, action: BookAppointment) -> None:
        after = self.now
        if action.book_appointment.at:
            wanted = evaluate(action.book_appointment.at, self.names)
            if isinstance(wanted, str) and wanted:
                wanted = dt.datetime.fromisoformat(wanted)
            if isinstance(wanted, dt.datetime) and wanted.tzinfo is not None:
                after = max(after, wanted)
        free = self.snap.free_slots(self.team, after)
        if not free:
            self.note("APPOINTMENT_NOT_BOOKED", reason="no free slot", after=after.isoformat())
            return
        slot: Appointment = free[0]
        self.appointment = slot
        self.d.book, self.d.cancel_appointment = slot, True
        self.d.work = self.field_work(slot)
        self.changed("appointment")
        self.note("APPOINTMENT_BOOKED", start=slot.start.isoformat(), end=slot.end.isoformat())

    def field_work(self, slot: Appointment) -> FieldWork | None:
        spec = self.pb.scheduling.field_work if self.pb.scheduling else None
        if spec is None:
            return None
        ctx = self.names
        skills = evaluate(spec.skills, ctx) or []
        parts = evaluate(spec.parts, ctx) or {}
        if not isinstance(skills, list | tuple) or not isinstance(parts, dict):
            raise EngineError("scheduling.field_work: skills must give a list, parts a mapping")
        if spec.duration is not None:
            on_site = due_after(spec.duration, slot.start, self.calendar) - slot.start
            minutes = int(on_site.total_seconds() // 60)
        else:
            minutes = int((slot.end - slot.start).total_seconds() // 60)
        return FieldWork(
            skills=tuple(str(s) for s in skills),
            parts={str(k): int(v) for k, v in parts.items()},
            duration_minutes=minutes,
        )

    # --- cadences ------------------------------------------------------------

    def _cadence_timer(self, name: str, step: int) -> str:
        return f"{CADENCE_TIMER}{name}__{step}"

    def _pause(self, name: str, step: int, due: dt.datetime) -> None:
        timer = self._cadence_timer(name, step)
        self.d.timers_to_set.append(TimerToSet(timer, due))
        self._own("timers").add(timer)
        self.changed("timers")
        if "CADENCE_WAITING" not in self.omit:  # isoformat() only for a row that is kept
            self.note("CADENCE_WAITING", cadence=name, step=step, until=due.isoformat())

    def start_cadence(self, name: str) -> None:
        self.stop_cadence(name, restarting=True)
        self.note("CADENCE_STARTED", cadence=name)
        spec = self.pb.cadences[name]
        if spec.quiet_hours == "business" and not self.calendar.is_working_time(self.now):
            self._pause(name, 0, self.calendar.next_working_moment(self.now))
            return
        self.run_cadence(name, 0)

    def run_cadence(self, name: str, first: int) -> None:
        spec = self.pb.cadences[name]
        for index in range(first, len(spec.steps)):
            step = spec.steps[index]
            if isinstance(step, Wait):
                due = due_after(step.wait, self.now, self.calendar)
                if spec.quiet_hours == "business":
                    due = self.calendar.next_working_moment(due)
                self._pause(name, index + 1, due)
                return
            self.act(step)
        self.note("CADENCE_FINISHED", cadence=name)
        self.on_event(f"cadence.{name}.done")

    def resume_cadence(self, timer: str) -> None:
        name, _, step = timer.removeprefix(CADENCE_TIMER).rpartition("__")
        self._own("timers").discard(timer)
        self.changed("timers")
        if name in self.pb.cadences and step.isdigit():
            self.run_cadence(name, int(step))

    def stop_cadence(self, name: str, *, restarting: bool = False) -> None:
        prefix = f"{CADENCE_TIMER}{name}__"
        pending = sorted(t for t in self.timers if t.startswith(prefix))
        for timer in pending:
            self._own("timers").discard(timer)
            self.d.timers_to_cancel.append(timer)
        if pending:
            self.changed("timers")
            if not restarting:
                self.note("CADENCE_STOPPED", cadence=name)

    def raise_flags(self) -> None:
        wanted = set(self.pb.profile_checks)
        for issue in self.snap.profile_issues:
            if (wanted and issue.code not in wanted) or issue.code in self.flag_codes:
                continue
            self._own("flag_codes").add(issue.code)
            self.flags_open += 1
            self.changed("flags_open")
            self.d.flags.append(FlagToRaise(issue.code, issue.field, issue.message))
            self.note("FLAG_RAISED", code=issue.code, field=issue.field, message=issue.message)

    def assign(self, action: Assign) -> None:
        spec = action.rules(self.pb.assignment)
        service_type = self.fields.get(spec.service_type_field)
        team = action.assign.team or self.team
        if action.assign.team and action.assign.team != self.team:
            self.team = self.d.team = action.assign.team
            self.changed("team")
            self.note("TEAM_CHANGED", team=action.assign.team)
        candidates = self.snap.candidates()
        personal = self.snap.customer.get("personal_agent_id")
        concierge = next((a for a in candidates if personal and a.id == personal), None)
        if concierge is not None:
            # A priority client's requests go to their personal concierge, in their team.
            if concierge.team_name and concierge.team_name != self.team:
                self.team = self.d.team = concierge.team_name
                self.changed("team")
                self.note("TEAM_CHANGED", team=concierge.team_name)
            self.agent = concierge
            self.changed("agent")
            reason = "personal concierge of a priority client"
            self.d.assignment = Assignment(concierge.id, concierge.name, reason, concierge.team_id)
            self.note(
                "AGENT_ASSIGNED", agent_id=concierge.id, agent_name=concierge.name, reason=reason
            )
            return
        if team is not None:
            candidates = [a for a in candidates if a.team_name == team]
        agent, reason = choose_agent(
            candidates,
            service_type=service_type,
            language=self.language(),
            match=spec.match,
        )
        if agent is None:
            self.note("ASSIGNMENT_FAILED", reason=reason)
            return
        self.agent = agent
        self.changed("agent")
        self.d.assignment = Assignment(agent.id, agent.name, reason, agent.team_id)
        self.note("AGENT_ASSIGNED", agent_id=agent.id, agent_name=agent.name, reason=reason)

    def language(self) -> str:
        lang = self.snap.customer.get("language") or ""
        return lang if lang in self.pb.languages else self.pb.default_language

    def channel_address(self, channel: str, whatsapp_template: bool = True) -> str:
        c = self.snap.customer
        if channel == "WHATSAPP":
            if not whatsapp_template and not self.whatsapp_window_open():
                return ""  # free text outside the 24-hour window would be refused
            return c.get("phone", "") if c.get("whatsapp") else ""
        if channel in ("SMS", "VOICE"):
            return c.get("phone", "")
        return c.get("email", "")

    def send(self, key: str, requested: bool = False) -> bool:
        tpl = self.pb.templates.get(key)
        if tpl is None:
            return self.refuse(f"no template {key!r} in the playbook")
        has_ref = tpl.whatsapp is not None
        order = list(tpl.channels)
        if tpl.prefer:
            preferred = evaluate(tpl.prefer, self.names)
            if preferred in order:
                order.remove(preferred)
                order.insert(0, preferred)
        channel, to = None, ""
        for ch in order:  # the first channel with an address
            to = self.channel_address(ch, has_ref)
            if to:
                channel = ch
                break
        if channel is None:
            reason = f"the customer has no {' or '.join(tpl.channels).lower()} address"
            if "WHATSAPP" in tpl.channels and not has_ref and self.channel_address("WHATSAPP"):
                reason += " (WhatsApp takes free text only within 24 hours of their last message)"
            if requested:
                return self.refuse(f"cannot send {key!r}: {reason}")
            self.note("MESSAGE_NOT_SENT", template=key, reason=reason)
            return True
        lang = self.language()
        wa = tpl.whatsapp if channel == "WHATSAPP" else None
        if not self.texts:  # the simulator's path: nothing rendered
            message = MessageToSend(
                key,
                channel,
                to,
                lang,
                "",
                "",
                wa.name if wa else "",
                (),
                tuple(wa.buttons) if wa else (),
            )
        else:
            ctx = self.names
            message = MessageToSend(
                template=key,
                channel=channel,
                to=to,
                language=lang,
                body=render(tpl.text[lang], ctx),
                subject=render(tpl.subject[lang], ctx)
                if channel == "EMAIL" and lang in tpl.subject
                else "",
                whatsapp_template=wa.name if wa else "",
                whatsapp_params=tuple(render(p, ctx) for p in wa.params) if wa else (),
                whatsapp_buttons=tuple(wa.buttons) if wa else (),
            )
        self.d.messages.append(message)
        self._own("sent").add(key)
        self.changed("sent")
        self.note("MESSAGE_QUEUED", template=key, channel=channel, index=len(self.d.messages) - 1)
        return True

    def whatsapp_window_open(self) -> bool:
        until = self.snap.whatsapp_window_until
        return until is not None and self.now < until

    def team_member(self, team: str, spec: TaskSpec) -> AgentInfo | None:
        """The least loaded agent of `team`; for a four-eyes review not the one who
        did the work. None (the task waits unassigned in the team's view) if nobody."""
        pool = [a for a in self.snap.candidates() if a.team_name == team]
        if spec.review is not None and spec.review.four_eyes:
            preparer = self.done_by.get(spec.review.of)
            pool = [a for a in pool if a.user_id is None or a.user_id != preparer]
        chosen, _ = choose_agent(pool, service_type=None, language="", match=())
        return chosen

    def open_task(self, key: str) -> None:
        if self.tasks.get(key) == "OPEN":
            return  # one open task per playbook task key
        spec = self.pb.tasks[key]
        priority = spec.priority
        for rule in spec.raise_priority:
            if self.holds(rule.when) and PRIORITY_ORDER[rule.to] > PRIORITY_ORDER[priority]:
                priority = rule.to
        if isinstance(spec.assignee, TeamAssignee):
            assignee = self.team_member(spec.assignee.team, spec)
        else:
            assignee = self.agent if spec.assignee == "case_agent" else None
        calendar = (assignee.calendar if assignee else None) or self.calendar
        task = TaskToOpen(
            key=key,
            title=render(spec.title, self.names) if self.texts else "",
            description=render(spec.description, self.names) if self.texts else "",
            priority=priority,
            due_at=due_after(spec.due, self.now, calendar) if spec.due else None,
            assignee_id=assignee.id if assignee else None,
            checklist=tuple(spec.checklist),
        )
        self.d.tasks_to_open.append(task)
        self._own("tasks")[key] = "OPEN"
        self.changed("tasks")
        self.note("TASK_CREATED", key=key, index=len(self.d.tasks_to_open) - 1)


_ACTIONS: dict[type, Callable[[_Run, Any], None]] = {
    RaiseFlags: lambda run, action: run.raise_flags(),
    Assign: _Run.assign,
    Send: lambda run, action: run.send(action.send),
    OpenTask: lambda run, action: run.open_task(action.open_task),
    SetTimer: _Run._set_timer,
    CancelTimer: _Run._cancel_timer,
    SetField: _Run._set_field,
    Note: lambda run, action: run.note("NOTE", text=render(action.note, run.names)),
    StartCadence: lambda run, action: run.start_cadence(action.start_cadence),
    StopCadence: lambda run, action: run.stop_cadence(action.stop_cadence),
    Wait: _Run._wait,
    SyncStatus: _Run._sync_status,
    HandBack: _Run._hand_back,
    Post: _Run._post,
    Milestone: _Run._milestone,
    Testimonial: _Run._testimonial,
    PriorityClient: _Run._priority_client,
    BookAppointment: _Run.book,
    CancelAppointment: _Run._cancel_appointment,
    Branch: _Run._branch,
}
