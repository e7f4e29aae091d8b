"""`simulate(playbook, scenario) -> Result`: the real engine on a virtual clock.

A discrete-event loop: a heap of (seconds since start, seq, kind, payload) and
two random streams seeded from the scenario's seed, so the same scenario and seed
give the same result: one for arrivals (times, fields, customer language), one for
behaviour (handling times, replies, uploads, visits, what agents record). Two
playbooks run with the same scenario and seed therefore see exactly the same
arrivals (`opsdesk.sim.compare`). `decide` is pure, so the loop keeps each
case's snapshot in memory and applies the decisions itself, as
`opsdesk.cases.apply` does to the database: bookings take places in the
playbook's slots, booked visits send the technician, agents work their shifts.

Not simulated (counted in `Result.unsupported`): hand-backs, partner status
pushes, chat posts, testimonials and priority clients.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import itertools
import json
import math
import random
from collections import Counter, deque
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from opsdesk.engine.decide import context_of, decide, playbook_calendar
from opsdesk.engine.orders import Intake, assess
from opsdesk.engine.slots import candidate_slots
from opsdesk.engine.types import AgentInfo, Appointment, CaseSnapshot, Decision, Event
from opsdesk.playbook.events import TIMER_EVENT_PREFIX
from opsdesk.playbook.expressions import names_in, unknown_names
from opsdesk.playbook.model import Playbook, TeamAssignee
from opsdesk.sim.recorded import read_arrivals
from opsdesk.sim.result import Result, stats
from opsdesk.sim.scenario import Scenario, ScenarioError, Shift
from opsdesk.sim.shifts import next_start, on_shift, seconds_on_shift

# A refused completion (quality checks) is retried this many times, then dropped.
MAX_RETRIES = 3
HOUR = 3600.0
# Button payloads the shell reads as an intent (opsdesk.comms.replies).
BUTTON_INTENTS = frozenset({"confirm", "reject", "reschedule"})

# Timeline kinds decide() need not return when no timeline is kept: apply()
# only counts other kinds (`_tally`). A kind not listed is returned, and counted
# if it counts, so a kind the engine adds later is never lost.
UNCOUNTED = frozenset(
    {
        "AGENT_ASSIGNED",
        "ASSIGNMENT_FAILED",
        "CADENCE_WAITING",
        "CHAT_POSTED",
        "FIELD_SET",
        "FLAG_RAISED",
        "HANDED_BACK",
        "MESSAGE_NOT_SENT",
        "MESSAGE_QUEUED",
        "MILESTONE",
        "NOTE",
        "PARTNER_STATUS",
        "PRIORITY_CLIENT",
        "STATE_CHANGED",
        "TASK_CREATED",
        "TEAM_CHANGED",
        "TESTIMONIAL_KEPT",
        "TESTIMONIAL_SKIPPED",
        "TIMER_CANCELLED",
        "TIMER_SET",
    }
)

# Heap kinds; the order breaks no ties (seq does), it only names the event.
ARRIVAL, TIMER, REPLY, DONE = "arrival", "timer", "reply", "done"
SHIFT, UPLOAD, VISIT = "shift", "upload", "visit"


@lru_cache(maxsize=256)
def _tally(kind: str) -> tuple[str, str] | None:
    """Which count a timeline entry adds to: (counter, key), or None."""
    if kind.startswith("SLA_"):
        return "slas", kind[4:].lower()
    if kind in ("CADENCE_STARTED", "CADENCE_STOPPED", "CADENCE_FINISHED"):
        return "cadences", kind[8:].lower()
    if kind.startswith("APPOINTMENT_"):
        return "activity", kind.lower()
    return None


def _intake_reads_customer(pb: Playbook) -> bool:
    """Whether the order intake's checks, their messages or the routing read `customer`."""
    guards = [c.when for c in pb.eligibility] + [r.when for r in pb.classification]
    if any("customer" in names_in(g) for g in guards):
        return True
    messages = [c.message for c in pb.eligibility]
    return any("customer" in unknown_names(m, (), expression=False) for m in messages)


def _task_fields(pb: Playbook, sc: Scenario) -> dict[str, dict[str, Any]]:
    """What agents record on each task, as the task service requires it: the
    scenario's values, else a choice field's choices in equal shares; free text
    may stay empty. Raises ScenarioError for anything else, with its path."""
    problems: list[str] = []
    out: dict[str, dict[str, Any]] = {}
    for key, work in sc.work.items():
        if key not in pb.tasks:
            problems.append(f"work.{key}: the playbook has no task {key!r}")
            continue
        for name in work.fields:
            if name not in pb.tasks[key].fields:
                problems.append(f"work.{key}.fields.{name}: the task does not ask for it")
    for key, task in pb.tasks.items():
        given = sc.work[key].fields if key in sc.work else {}
        values: dict[str, Any] = {}
        for name in task.fields:
            spec = pb.fields[name]
            if name in given:
                values[name] = given[name]
            elif spec.type == "choice":
                values[name] = dict.fromkeys(spec.choices, 1.0)
            elif spec.type != "text":
                problems.append(
                    f"work.{key}.fields.{name}: the task asks for this {spec.type}; "
                    "give a value or {value: share}"
                )
        if values:
            out[key] = values
    if problems:
        raise ScenarioError(problems)
    return out


def family_name(n: int) -> str:
    """Customer n's family name: letters only, so the profile checks pass as they
    would for a real customer (a name with digits would be flagged)."""
    letters = ""
    while True:
        n, digit = divmod(n, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[digit] + letters
        if n == 0:
            return "Sim" + letters


@dataclass
class _Task:
    id: str
    key: str
    case_id: str
    opened: float
    picked: float | None = None
    attempts: int = 0
    live: bool = True  # False once completed, dropped or its case closed


@dataclass
class _Agent:
    info: AgentInfo
    shift: Shift | None = None
    queue: deque[_Task] = field(default_factory=deque)
    task: _Task | None = None
    busy_since: float = 0.0
    busy: float = 0.0


@dataclass
class _Case:
    snap: CaseSnapshot
    opened: float = 0.0
    timers: dict[str, float] = field(default_factory=dict)  # name -> due; heap entries may be stale
    closed: bool = False
    tasks: list[_Task] = field(default_factory=list)  # opened, for closing them with the case
    booked: tuple[str | None, dt.datetime] | None = None  # (team, start) of its place in a slot
    visit: int = 0  # bumped by every booking and cancellation: older visit events are stale
    timeline: list[tuple[dt.datetime, str, dict[str, Any]]] | None = None
    inputs: list[tuple[dt.datetime, str, dict[str, Any]]] | None = None


class _Sim:
    def __init__(self, pb: Playbook, sc: Scenario, keep_timelines: bool) -> None:
        self.pb, self.sc, self.keep = pb, sc, keep_timelines
        self.rng = random.Random(sc.seed)  # behaviour: handling times, replies
        # Arrivals have their own stream, so they do not depend on what the playbook does.
        self.arrival_rng = random.Random(f"{sc.seed}:arrivals")
        self.start = sc.start
        self._moment_at, self._moment = 0.0, sc.start
        # id(shares) -> (shares, keys, cumulative weights), for draw().
        self._shares: dict[int, tuple[dict[str, float], list[str], list[float]]] = {}
        self.horizon = sc.days * 86400.0
        stop = sc.arrivals.stop_after_days
        self.arrivals_end = self.horizon if stop is None else min(self.horizon, stop * 86400.0)
        # Recorded arrivals (a CSV): those within the run, with their own field values.
        self.recorded: list[tuple[float, dict[str, str]]] = []
        if sc.arrivals.csv is not None:
            for moment, cells in read_arrivals(Path(sc.arrivals.csv)):
                at = (moment - self.start).total_seconds()
                if 0 <= at < self.arrivals_end:
                    self.recorded.append((at, cells))
        self.next_recorded = 0
        self.heap: list[tuple[float, int, str, Any]] = []
        self.seq = 0
        self.cases: dict[str, _Case] = {}
        self.agents: dict[str, _Agent] = {}
        numbered: Counter[str] = Counter()  # per team, so two groups of a team never clash
        for group in sc.agents:
            slug = (group.team or "pool").replace(" ", "_").lower()
            for _ in range(group.count):
                numbered[slug] += 1
                n = numbered[slug]
                aid = f"agt_{slug}_{n:03d}"
                self.agents[aid] = _Agent(
                    shift=group.shift,
                    info=AgentInfo(
                        id=aid,
                        name=f"{group.team or 'Pool'} {n}",
                        languages=tuple(group.languages),
                        service_types=tuple(group.service_types),
                        capacity=group.capacity,
                        team_id=group.team,
                        team_name=group.team,
                        user_id=aid,
                    ),
                )
        self.infos = [a.info for a in self.agents.values()]
        self._info_index = {aid: n for n, aid in enumerate(self.agents)}
        self._info_by_load: dict[tuple[str, int], AgentInfo] = {}
        self.team_queues: dict[str | None, deque[_Task]] = {}
        self.waiting = 0
        self.final_states = {n for n, s in pb.states.items() if s.final}
        self.calendar = playbook_calendar(pb)
        self.task_fields = _task_fields(pb, sc)
        self.assessed: dict[tuple[str, str, str, dt.date], Intake] = {}
        self.scenario_order = json.dumps(sc.order, sort_keys=True, default=str)
        self.intake_reads_customer = _intake_reads_customer(pb)
        self.booked: Counter[tuple[str | None, dt.datetime]] = Counter()
        self.t = 0.0  # the loop's clock, for the free-slots port
        self.zone = ZoneInfo(sc.arrivals.timezone)
        self.n_cases = self.n_opened = self.n_tasks = 0
        self.res = Result(days=sc.days, seed=sc.seed)
        self.count: dict[str, Counter[str]] = {
            k: Counter()
            for k in (
                "final",
                "tasks",
                "cadences",
                "milestones",
                "messages",
                "replies",
                "activity",
                "unsupported",
            )
        }
        self.unsupported = self.count["unsupported"]
        self.slas: dict[str, Counter[str]] = {name: Counter() for name in pb.slas}
        # Each timeline kind's tally, resolved once (apply).
        self.tallies: dict[str, tuple[Counter[str] | None, str] | None] = {}
        # What decide() may leave out: nothing when the timelines are kept.
        self.omit = frozenset() if keep_timelines else UNCOUNTED
        self.tallied_nothing = True  # no decision applied yet (apply)
        self.waits: list[float] = []
        self.in_system: list[float] = []
        self.samples: list[int] = []
        self.milestone_seconds: Counter[str] = Counter()
        self.daily_waits: Counter[int] = Counter()
        self.daily_picks: Counter[int] = Counter()

    # --- plumbing ---------------------------------------------------------------

    def push(self, at: float, kind: str, payload: Any) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, kind, payload))

    def moment(self, t: float) -> dt.datetime:
        # An event asks several times for the same moment (decide, apply, replies).
        if t != self._moment_at:
            self._moment_at, self._moment = t, self.start + dt.timedelta(seconds=t)
        return self._moment

    def seconds(self, moment: dt.datetime) -> float:
        return (moment - self.start).total_seconds()

    def expo(self, mean_seconds: float) -> float:
        return self.rng.expovariate(1.0 / mean_seconds)

    def draw(self, shares: dict[str, float], rng: random.Random | None = None) -> str:
        # choices(weights=...) sums the weights on every call; the same cumulative
        # weights give the same draw from the same random number. The scenario's
        # shares are not changed during a run, and the entry keeps the dict alive
        # (its id is not reused).
        cached = self._shares.get(id(shares))
        if cached is None:
            keys = list(shares)
            cum = list(itertools.accumulate(shares[k] for k in keys))
            cached = self._shares[id(shares)] = (shares, keys, cum)
        return (rng or self.rng).choices(cached[1], cum_weights=cached[2])[0]

    def set_info(self, agent: _Agent, open_work: int) -> None:
        # The infos are frozen: one per agent and load, shared; the candidates'
        # list changes in place (decide only reads it, within one call).
        key = (agent.info.id, max(open_work, 0))
        info = self._info_by_load.get(key)
        if info is None:
            info = self._info_by_load[key] = dataclasses.replace(agent.info, open_work=key[1])
        agent.info = info
        self.infos[self._info_index[key[0]]] = info

    # --- arrivals ---------------------------------------------------------------

    def rate_at(self, t: float) -> float:
        arr = self.sc.arrivals
        if arr.per_hour is not None:
            return arr.per_hour
        local = self.moment(t).astimezone(self.zone)
        return (arr.by_hour or {}).get(local.weekday(), {}).get(local.hour, 0.0)

    def next_arrival(self, t: float) -> float | None:
        """The next recorded arrival, or piecewise-constant Poisson: the rate holds
        to the next hour, and an exponential gap is memoryless, so crossing a
        boundary draws again there."""
        if self.sc.arrivals.csv is not None:
            if self.next_recorded >= len(self.recorded):
                return None
            return self.recorded[self.next_recorded][0]
        while t < self.arrivals_end:
            boundary = (math.floor(t / HOUR) + 1) * HOUR
            if self.sc.arrivals.per_hour is not None:
                boundary = math.inf
            rate = self.rate_at(t)
            if rate > 0:
                gap = self.arrival_rng.expovariate(rate / HOUR)
                if t + gap < boundary:
                    return t + gap if t + gap < self.arrivals_end else None
            t = boundary
        return None

    def arrive(self, t: float) -> None:
        self.n_cases += 1
        n = self.n_cases
        # Every playbook field is there, unset ones as None, as the shell's snapshot has them.
        fields: dict[str, Any] = dict.fromkeys(self.pb.fields)
        for name, spec in self.sc.fields.items():
            fields[name] = self.draw(spec, self.arrival_rng) if isinstance(spec, dict) else spec
        if self.sc.arrivals.csv is not None:
            _, cells = self.recorded[self.next_recorded]
            self.next_recorded += 1
            fields.update({k: v for k, v in cells.items() if k in self.pb.fields})
        cust = self.sc.customer
        family = family_name(n)
        customer = {
            "id": f"cus_{n}",
            "given_name": "Customer",
            "middle_name": "",
            "family_name": family,
            "full_name": f"Customer {family}",
            "language": self.draw(cust.language, self.arrival_rng),
            "phone": f"+90555{n:07d}",
            "whatsapp": True,
            "email": f"customer{n}@example.com",
            "nationality": "TR",
            "source": "sim",
            "priority_tier": "",
            "personal_agent_id": None,
        }
        case_id = f"case_{n}"
        order, team = None, None
        if self.sc.order is not None:
            routed = self.order_of(n, fields, customer, t)
            if routed is None:
                return  # refused or waiting for manual routing: no case, as in the shell
            order, team = routed
        snap = CaseSnapshot(
            id=case_id,
            number=f"{self.pb.case_prefix}-{self.moment(t).year}-{n:06d}",
            state=None,
            fields=fields,
            customer=customer,
            documents=tuple(cust.documents),
            order=order,
            candidates=lambda: self.infos,
            free_slots=self.free_slots,
            team=team,
        )
        case = _Case(snap, opened=t)
        self.n_opened += 1
        if self.keep:
            case.timeline, case.inputs = [], []
            case.timeline.append((self.moment(t), "CASE_OPENED", {}))
            case.inputs.append(
                (
                    self.moment(t),
                    "arrive",
                    {"fields": dict(fields), "language": customer["language"], "order": order},
                )
            )
        self.cases[case_id] = case
        self.run(case, Event("case.opened"), t)
        if self.sc.customer.uploads is not None and not case.closed:
            self.plan_uploads(case, t)

    def order_of(
        self, n: int, fields: dict[str, Any], customer: dict[str, Any], t: float
    ) -> tuple[dict[str, Any], str] | None:
        """The order as `opsdesk.orders.context.order_dict` has it, assessed as the
        order intake does: zone, eligibility checks, routing to a team. None when
        it is refused (handed back) or no rule routes it (the exceptions queue);
        else the order and its team."""
        assert self.sc.order is not None
        order: dict[str, Any] = {
            "id": f"ord_{n}",
            "external_ref": f"SIM-{n}",
            "channel": "sim",
            "service_type": fields.get("service_type") or "",
            "customer_type": fields.get("customer_type") or "",
            "address": "",
            "city": "",
            "postcode": "",
            "latitude": None,
            "longitude": None,
            "documents": [],
            "notes": "",
            **self.sc.order,
        }
        today = self.calendar.local_date(self.moment(t))
        # Arrivals differ in ids and names, rarely in what intake reads: one
        # assessment per distinct order (and customer, if the rules read it) and day.
        # Besides its ids the order is made of the fixed columns above, two fields
        # and the scenario's `order` (serialised once): those two and that tell
        # orders apart as serialising the whole order did.
        key = (
            json.dumps([order["service_type"], order["customer_type"]], default=str),
            self.scenario_order,
            json.dumps(customer, sort_keys=True) if self.intake_reads_customer else "",
            today,
        )
        intake = self.assessed.get(key)
        if intake is None:
            intake = self.assessed[key] = assess(self.pb, order, customer, today)
        if not intake.eligible:
            self.count["activity"]["orders_ineligible"] += 1
            self.count["unsupported"]["hand_backs"] += 1
            return None
        if intake.routing.team is None:
            self.count["activity"]["orders_to_route_by_hand"] += 1
            return None
        order.update(zone=intake.zone or "", priority=intake.routing.priority)
        # The playbook's own fields ride along, never replacing the order's columns.
        order |= {k: v for k, v in fields.items() if k not in order}
        return order, intake.routing.team

    def plan_uploads(self, case: _Case, t: float) -> None:
        """Each document the new case misses arrives, or not, by the scenario's odds."""
        uploads = self.sc.customer.uploads
        assert uploads is not None
        missing = context_of(self.pb, case.snap, self.moment(t)).get("missing_documents") or []
        for doc in missing:
            if self.rng.random() < uploads.probability:
                delay = self.expo(uploads.mean_delay_hours * HOUR)
                self.push(t + delay, UPLOAD, (case.snap.id, str(doc)))

    def record(self, case: _Case, t: float, kind: str, data: dict[str, Any]) -> None:
        if case.inputs is not None:
            case.inputs.append((self.moment(t), kind, data))

    # --- the engine ---------------------------------------------------------------

    def run(self, case: _Case, event: Event, t: float) -> Decision:
        self.t = t
        # Texts (message bodies, task titles) are never read here: not rendered.
        d = decide(self.pb, case.snap, event, self.moment(t), texts=False, omit=self.omit)
        self.res.events += 1
        if not d.refused:
            self.apply(case, d, t)
        return d

    def apply(self, case: _Case, d: Decision, t: float) -> None:
        snap, now = case.snap, self.moment(t)
        timeline = case.timeline
        tallies = self.tallies
        for entry in d.timeline:
            kind = entry.type
            # kind -> (the counter it adds to, None for the SLA's own, key) or None.
            tally = tallies.get(kind, False)
            if tally is False:
                tally = _tally(kind)
                if tally is not None:
                    tally = (None if tally[0] == "slas" else self.count[tally[0]], tally[1])
                tallies[kind] = tally
            if tally is not None:
                counter, key = tally
                if counter is None:
                    sla = entry.payload["sla"]
                    if sla not in self.slas:
                        self.slas[sla] = Counter()
                    self.slas[sla][key] += 1
                else:
                    counter[key] += 1
            if timeline is not None:
                timeline.append((now, kind, entry.payload))
        if d.team is not None:
            snap.team = d.team
        if d.assignment is not None:
            chosen = self.agents[d.assignment.agent_id]
            if snap.agent is not None and snap.agent.id != chosen.info.id:
                old = self.agents[snap.agent.id]
                self.set_info(old, old.info.open_work - 1)
            if snap.agent is None or snap.agent.id != chosen.info.id:
                self.set_info(chosen, chosen.info.open_work + 1)
            snap.agent = chosen.info
        if d.fields_to_set:
            snap.fields.update(d.fields_to_set)
        for key in d.tasks_to_complete:
            snap.tasks[key] = "DONE"
        # As the shell does: cancel what was pending (cancelled or set again), then set.
        if d.timers_to_cancel or d.timers_to_set:
            for name in d.timers_to_cancel:
                case.timers.pop(name, None)
            for timer in d.timers_to_set:
                due = self.seconds(timer.due_at)
                case.timers[timer.name] = due
                self.push(due, TIMER, (snap.id, timer.name, due))
            snap.timers = frozenset(case.timers)  # else it holds case.timers already
        if d.messages:
            snap.sent = snap.sent | {m.template for m in d.messages}
            sent = self.count["messages"]
            for m in d.messages:
                sent[m.channel] += 1
                self.maybe_reply(snap.id, m.channel, m.template, t)
        if d.milestones:
            # Counted the first time only: the shell keeps one row per case and milestone.
            fresh = set(d.milestones) - snap.milestones
            snap.milestones = snap.milestones | fresh
            self.count["milestones"].update(fresh)
            for name in fresh:
                self.milestone_seconds[name] += t - case.opened
        if d.book is not None or d.cancel_appointment:
            self.book(case, d, t)
        unsupported = self.unsupported
        if self.tallied_nothing:
            # The result lists these from the first applied decision on, at 0 if need be.
            self.tallied_nothing = False
            for name in ("hand_backs", "partner_pushes", "chat_posts"):
                unsupported[name] += 0
        if d.hand_backs:
            unsupported["hand_backs"] += len(d.hand_backs)
        if d.status_pushes:
            unsupported["partner_pushes"] += len(d.status_pushes)
        if d.chat_posts:
            unsupported["chat_posts"] += len(d.chat_posts)
        if d.testimonial is not None:
            unsupported["testimonials"] += 1
        if d.priority_client is not None:
            unsupported["priority_clients"] += 1
        if d.state_to is not None:
            snap.state = d.state_to
        for task in d.tasks_to_open:
            snap.tasks[task.key] = "OPEN"
            self.open_task(case, task.key, task.assignee_id, t)
        if snap.state in self.final_states and not case.closed:
            self.close(case, t)

    def close(self, case: _Case, t: float) -> None:
        # Its booked place stays taken, as in the shell (the visit is usually past).
        case.closed = True
        if case.timeline is not None:
            case.timeline.append((self.moment(t), "CASE_CLOSED", {"state": case.snap.state}))
        case.timers.clear()  # a closed case's timers never fire
        for task in case.tasks:
            if task.live and task.picked is None:  # still queued: nobody will work it
                task.live = False
                self.waiting -= 1
                self.count["tasks"]["abandoned"] += 1
        case.tasks.clear()
        self.count["final"][case.snap.state or ""] += 1
        if case.snap.agent is not None:
            agent = self.agents[case.snap.agent.id]
            self.set_info(agent, agent.info.open_work - 1)
        # Keep only what the result reports: the snapshot is the bulk of the memory.
        if not self.keep:
            del self.cases[case.snap.id]

    # --- customers --------------------------------------------------------------

    def maybe_reply(self, case_id: str, channel: str, template: str, t: float) -> None:
        """A reply is a button press: the template's payloads when the scenario
        gives them, else the intent's own button (read as that intent)."""
        cust = self.sc.customer
        own = cust.templates.get(template)
        behaviour = own or cust.channels.get(channel)
        if behaviour is None or self.rng.random() >= behaviour.reply_probability:
            return
        delay = self.expo(behaviour.mean_delay_minutes * 60)
        payload = self.draw(own.payloads if own and own.payloads else cust.intents)
        self.push(t + delay, REPLY, (case_id, channel, payload))

    # --- bookings and visits ------------------------------------------------------

    def free_slots(self, team: str | None, after: dt.datetime) -> list[Appointment]:
        spec = self.pb.scheduling
        if spec is None:
            return []
        slots = candidate_slots(spec, self.calendar, self.moment(self.t), after)
        # .get: a Counter's own lookup of a slot nobody booked is a Python call.
        # Only the first free slot: the engine books `free[0]` (Run.book), and
        # checking the other forty or so was a few percent of a simulation.
        booked, capacity = self.booked, spec.capacity
        for s in slots:
            if booked.get((team, s.start), 0) < capacity:
                return [s]
        return []

    def book(self, case: _Case, d: Decision, t: float) -> None:
        """Take (or give back) a place in the slot, and send the technician to a visit."""
        case.visit += 1  # the earlier booking's visit events are stale now
        if case.booked is not None:
            self.booked[case.booked] -= 1
            case.booked = None
        case.snap.appointment = d.book
        if d.book is None:
            return
        case.booked = (case.snap.team, d.book.start)
        self.booked[case.booked] += 1
        if d.work is None:
            return
        visits = self.sc.visits
        start = self.seconds(d.book.start)
        sets_off = max(t, start - visits.travel_minutes * 60)
        self.push(sets_off, VISIT, (case.snap.id, case.visit, "work.travelling"))
        self.push(max(t, start), VISIT, (case.snap.id, case.visit, "work.arrived"))
        finished = self.rng.random() < visits.completion_probability
        outcome = "work.completed" if finished else "work.not_completed"
        ends = max(t, start) + d.work.duration_minutes * 60
        self.push(ends, VISIT, (case.snap.id, case.visit, outcome))

    def visit_event(self, case: _Case, kind: str, t: float) -> None:
        data: dict[str, Any]
        if kind == "work.travelling":
            start = case.snap.appointment.start if case.snap.appointment else self.moment(t)
            data = {
                "eta": f"{self.calendar.to_local(start):%H:%M}",
                "eta_at": start.isoformat(),
                "technician": "Technician",
            }
        elif kind == "work.arrived":
            data = {}
        elif kind == "work.completed":
            data = {"parts_used": {}, "invoices": [], "cash_collected": None, "cash_currency": ""}
        elif kind == "work.not_completed":
            data = {"reason": "nobody at home", "proposed_at": None}
        else:
            raise KeyError(kind)
        self.count["activity"][kind.replace(".", "_")] += 1
        self.record(case, t, "visit", {"event": kind, **data})
        self.run(case, Event(kind, data), t)

    # --- tasks and agents ---------------------------------------------------------

    def open_task(self, case: _Case, key: str, assignee_id: str | None, t: float) -> None:
        self.n_tasks += 1
        self.count["tasks"]["opened"] += 1
        task = _Task(f"tsk_{self.n_tasks}", key, case.snap.id, t)
        case.tasks = [k for k in case.tasks if k.live]
        case.tasks.append(task)
        if assignee_id is not None:
            agent = self.agents[assignee_id]
            agent.queue.append(task)
            self.waiting += 1
            if agent.task is None:
                self.pick(agent, t)
            return
        spec = self.pb.tasks[key].assignee
        team = spec.team if isinstance(spec, TeamAssignee) else case.snap.team
        self.team_queues.setdefault(team, deque()).append(task)
        self.waiting += 1
        for agent in self.agents.values():
            if agent.task is None and agent.info.team_name == team and self.at_work(agent, t):
                self.pick(agent, t)
                return

    def at_work(self, agent: _Agent, t: float) -> bool:
        return agent.shift is None or on_shift(agent.shift, self.moment(t), self.zone)

    def pick(self, agent: _Agent, t: float) -> None:
        """The idle agent takes the next live task: their own queue first, then the team's."""
        if not self.at_work(agent, t):
            return  # the shift's start picks up what waits
        team_queue = self.team_queues.get(agent.info.team_name)
        for queue in (agent.queue, team_queue):
            while queue:
                task = queue.popleft()
                if not task.live:
                    continue  # its case closed: counted then
                self.waiting -= 1
                task.picked = t
                self.waits.append(t - task.opened)
                self.daily_waits[int(t // 86400)] += t - task.opened
                self.daily_picks[int(t // 86400)] += 1
                self.work(agent, task, t)
                return

    def work(self, agent: _Agent, task: _Task, t: float) -> None:
        agent.task, agent.busy_since = task, t
        mean = self.sc.mean_handling(task.key) * 60
        kind = self.sc.handling_distribution
        if kind == "fixed":
            handling = mean
        elif kind == "lognormal":
            # The lognormal with this mean: sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2.
            sigma2 = math.log1p(self.sc.handling_cv**2)
            handling = self.rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))
        else:
            handling = self.expo(mean)
        self.push(t + handling, DONE, agent.info.id)

    def done(self, agent: _Agent, t: float) -> None:
        task = agent.task
        assert task is not None
        agent.busy += t - agent.busy_since
        case = self.cases.get(task.case_id)
        if case is None or case.closed:
            task.live = False
            self.count["tasks"]["abandoned"] += 1
        # The agent stays busy while completing, so a task it opens meanwhile
        # (a manual follow-up for itself) waits in its queue.
        elif self.complete(agent, case, task, t):
            return  # refused, and worked again
        agent.task = None
        self.pick(agent, t)

    def complete(self, agent: _Agent, case: _Case, task: _Task, t: float) -> bool:
        """The agent does what the scenario says of the task and completes it;
        True when refused and taken up again."""
        work = self.sc.work.get(task.key)
        for key in work.open_first if work else ():
            if key not in case.snap.tasks:
                self.open_manual(agent, case, key, t)
        fields: dict[str, Any] = {}
        for name, spec in self.task_fields.get(task.key, {}).items():
            fields[name] = self.draw(spec) if isinstance(spec, dict) else spec
        self.record(
            case, t, "complete", {"key": task.key, "agent": agent.info.id, "fields": fields}
        )
        data = {
            "key": task.key,
            "task_id": task.id,
            "fields": fields,
            "by": agent.info.user_id,
            "checklist_open": [],  # agents tick every item
        }
        d = self.run(case, Event("task.complete", data), t)
        task.attempts += 1
        if d.refused:
            self.count["tasks"]["refused"] += 1
            if task.attempts <= MAX_RETRIES:
                self.work(agent, task, t)
                return True
            task.live = False
            self.count["tasks"]["dropped"] += 1
            return False
        task.live = False
        self.count["tasks"]["completed"] += 1
        self.in_system.append(t - task.opened)
        if work and work.then and not case.closed:
            to = self.draw(work.then)
            if to:
                self.record(case, t, "manual", {"to": to, "agent": agent.info.id})
                moved = self.run(case, Event("manual", {"to": to}), t)
                self.count["activity"]["manual_refused" if moved.refused else "manual"] += 1
        return False

    def open_manual(self, agent: _Agent, case: _Case, key: str, t: float) -> None:
        """As staff open a manual task: `open_task`, then `task.created` with its id."""
        self.record(case, t, "open_task", {"key": key, "agent": agent.info.id})
        d = self.run(case, Event("open_task", {"key": key}), t)
        if d.refused or not d.tasks_to_open:
            return
        self.count["activity"]["manual_tasks"] += 1
        opened = case.tasks[-1]
        self.run(case, Event("task.created", {"key": key, "task_id": opened.id}), t)

    # --- the loop -------------------------------------------------------------------

    def loop(self) -> Result:
        first = self.next_arrival(0.0)
        if first is not None:
            self.push(first, ARRIVAL, None)
        for aid, agent in self.agents.items():
            if agent.shift is not None:
                self.push(self.seconds(next_start(agent.shift, self.start, self.zone)), SHIFT, aid)
        next_sample = 0.0
        while self.heap and self.heap[0][0] < self.horizon:
            t, _, kind, payload = heapq.heappop(self.heap)
            while next_sample <= t:
                self.samples.append(self.waiting)
                next_sample += HOUR
            if kind == ARRIVAL:
                self.arrive(t)
                following = self.next_arrival(t)
                if following is not None:
                    self.push(following, ARRIVAL, None)
            elif kind == DONE:
                self.done(self.agents[payload], t)
            elif kind == TIMER:
                case_id, name, due = payload
                case = self.cases.get(case_id)
                if case is None or case.closed or case.timers.get(name) != due:
                    continue  # cancelled, set again, or the case is closed
                del case.timers[name]
                case.snap.timers = frozenset(case.timers)
                self.run(case, Event(TIMER_EVENT_PREFIX + name), t)
            elif kind == REPLY:
                case_id, channel, button = payload
                case = self.cases.get(case_id)
                if case is None or case.closed:
                    continue
                self.count["replies"][button] += 1
                self.record(case, t, "reply", {"channel": channel, "payload": button})
                data = {
                    "channel": channel,
                    "intent": button if button in BUTTON_INTENTS else None,
                    "proposed_at": None,
                    "text": "",
                    "payload": button,
                }
                self.run(case, Event("customer.replied", data), t)
            elif kind == SHIFT:
                agent = self.agents[payload]
                if agent.task is None:
                    self.pick(agent, t)
                assert agent.shift is not None
                self.push(
                    self.seconds(next_start(agent.shift, self.moment(t), self.zone)), SHIFT, payload
                )
            elif kind == UPLOAD:
                case_id, doc = payload
                case = self.cases.get(case_id)
                if case is None or case.closed:
                    continue
                self.count["activity"]["documents_received"] += 1
                case.snap.documents = (*case.snap.documents, doc)
                self.record(case, t, "document", {"doc_type": doc})
                self.run(case, Event("document.received", {"doc_type": doc}), t)
            elif kind == VISIT:
                case_id, visit, event = payload
                case = self.cases.get(case_id)
                if case is None or case.closed or case.visit != visit:
                    continue  # rebooked, cancelled, or the case is closed
                self.visit_event(case, event, t)
        while next_sample < self.horizon:
            self.samples.append(self.waiting)
            next_sample += HOUR
        return self.result()

    def result(self) -> Result:
        res = self.res
        for agent in self.agents.values():
            if agent.task is not None:  # busy across the end of the run
                agent.busy += self.horizon - agent.busy_since
        end = self.moment(self.horizon)
        res.utilisation = {}
        for aid, a in sorted(self.agents.items()):
            # Of the time on shift: a 9-to-6 agent busy all day is fully used.
            at_work = seconds_on_shift(a.shift, self.start, end, self.zone)
            res.utilisation[aid] = round(min(a.busy / at_work, 1.0), 4) if at_work else 0.0
        open_states = Counter(c.snap.state or "" for c in self.cases.values() if not c.closed)
        final = self.count["final"]
        res.cases = {
            "arrived": self.n_cases,
            "opened": self.n_opened,
            "closed": sum(final.values()),
            "by_final_state": dict(sorted(final.items())),
            "open_by_state": dict(sorted(open_states.items())),
        }
        tasks = self.count["tasks"]
        waiting_mean, waiting_p95 = stats([w / 60 for w in self.waits])
        system_mean, system_p95 = stats([s / 60 for s in self.in_system])
        res.tasks = {
            "opened": tasks["opened"],
            "completed": tasks["completed"],
            "refused": tasks["refused"],
            "dropped": tasks["dropped"],
            "abandoned": tasks["abandoned"],
            "open_at_end": self.waiting + sum(1 for a in self.agents.values() if a.task),
            "waiting_mean": waiting_mean,
            "waiting_p95": waiting_p95,
            "system_mean": system_mean,
            "system_p95": system_p95,
        }
        samples = self.samples or [0]
        res.queue = {"max": max(samples), "mean": round(sum(samples) / len(samples), 4)}
        res.queue_hourly = list(self.samples)
        res.waiting_daily = [
            round(self.daily_waits[d] / 60 / self.daily_picks[d], 2) if self.daily_picks[d] else 0.0
            for d in range(math.ceil(self.sc.days))
        ]
        for name, counts in sorted(self.slas.items()):
            met, breached = counts["met"], counts["breached"]
            res.slas[name] = {
                "started": counts["started"],
                "met": met,
                "breached": breached,
                "warnings": counts["warning"],
                "attainment": round(met / (met + breached), 6) if met + breached else None,
            }
        for name in ("started", "stopped", "finished"):
            res.cadences[name] = self.count["cadences"][name]
        res.milestones = dict(sorted(self.count["milestones"].items()))
        res.milestone_hours = {
            name: round(self.milestone_seconds[name] / HOUR / n, 4)
            for name, n in sorted(self.count["milestones"].items())
        }
        res.messages = dict(sorted(self.count["messages"].items()))
        res.replies = dict(sorted(self.count["replies"].items()))
        res.activity = dict(sorted(self.count["activity"].items()))
        res.unsupported = dict(sorted(self.count["unsupported"].items()))
        if self.keep:
            res.detail = {
                cid: (c.snap.state, c.timeline or []) for cid, c in sorted(self.cases.items())
            }
            res.inputs = {cid: c.inputs or [] for cid, c in sorted(self.cases.items())}
        return res


def simulate(pb: Playbook, scenario: Scenario, *, keep_timelines: bool = False) -> Result:
    """Play the scenario against the playbook. `keep_timelines` keeps every case's
    state and timeline in `Result.detail` (for tests; it costs memory)."""
    return _Sim(pb, scenario, keep_timelines).loop()
