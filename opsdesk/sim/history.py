"""A simulator scenario calibrated from the cases already in the database.

`scenario_from_history(key, since=, until=, timezone=)` looks at the cases of
playbook `key` (any version) opened in [since, until) and everything that has
happened on them so far, and returns a plain dict `Scenario.model_validate`
accepts. Each figure, exactly:

- `arrivals.by_hour[weekday][hour]`: those cases opened in that local weekday
  and hour (in `timezone`), divided by how many hours of the window fall on
  that local weekday and hour (a 7-day window from local midnight has one of
  each, a 90-day one about 13); a rate per hour. Hours with no case are left out.
- `customer.language`: shares of the customers' languages, one per case.
- `customer.channels[C]`: the outbound messages on channel C of those cases
  that reached the provider (SENT, DELIVERED or READ; queued, failed, unknown
  and staff-logged ones never reached the customer through opsdesk), at their
  `sent_at` (else `created_at`). One counts as answered when a CUSTOMER_REPLIED
  timeline row of the same case on the same channel comes at or after it and
  before the case's next such message on C: the simulator replies on the
  channel it sent on, and an answer belongs to the latest message it can answer.
  `reply_probability` = answered / sent; `mean_delay_minutes` = the mean time
  from the message to its first answer. CUSTOMER_REPLIED rows rather than
  inbound messages, because they are what the playbook saw as
  `customer.replied` (an inbound message on a channel opsdesk does not read, or
  from a customer with no open case, never reached a playbook). Only the
  channels the simulator knows (WhatsApp, SMS, email, voice) are given.
- `customer.intents`: shares of confirm / reject / reschedule among those
  CUSTOMER_REPLIED rows; answers read as none of them (left for an agent, or a
  non-answer button) are not counted, as the simulator draws one of the three.
- `fields[F]` for each choice field F of the playbook: shares of the values the
  cases were opened with. The timeline records a field's new value only, so a
  case's current value is its opening value only when no FIELD_SET row for F
  exists on it; cases with such a row (or with no value) are not counted.
- `handling[task key]`: the mean minutes from a task's creation to its
  completion, completed (DONE) tasks of those cases only; `default` is the mean
  over all of them. A Task records no start or pick-up time, so this includes
  the time the task waited in a queue: an upper bound on the simulator's
  handling time, which starts when an agent picks the task up. Ad-hoc tasks
  (no playbook key) are left out: the simulator never opens them.
- `order` (whole scenarios only, as the playbook reads `order.*` when its cases
  came with a service order): the most common `customer_type` with the city,
  postcode, coordinates and documents of the latest such order (so the
  simulated intake routes it as the real one was), given when more than half
  of the cases have a service order. The scenario's order is one
  fixed mapping, not shares; edit it by hand for a mix.
- `agents` (from staff, not history): one group per team with active agents or
  managers (whom assignment may choose), with their number and all the
  languages they speak; team-less ones form the `team: null` pool.

Shares and rates are rounded to 4 decimals, minutes to 2 (at least 0.01, as
the scenario needs positive times).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, get_args
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from opsdesk.cases.models import Case, EventType, TimelineEvent
from opsdesk.comms.models import DeliveryStatus, Direction, Message
from opsdesk.orders.models import ServiceOrder
from opsdesk.playbook.model import Playbook
from opsdesk.sim.scenario import Channel
from opsdesk.staff.models import Agent, Role
from opsdesk.tasks.models import Task, TaskStatus

DEFAULT_DAYS = 28
INTENTS = ("confirm", "reject", "reschedule")
SIM_CHANNELS: frozenset[str] = frozenset(get_args(Channel))
# Handed to the provider: the customer could have seen it.
REACHED = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ)
MIN_MINUTES = 0.01
# Keys the history replaces in a manager's scenario, and within them what it does not
# know (a scenario's stop_after_days, documents) and so keeps.
REPLACED_ARRIVALS = ("per_hour", "by_hour", "csv", "timezone")
REPLACED_CUSTOMER = ("language", "channels", "intents")


class HistoryError(ValueError):
    """Too little history to calibrate from; the message says what is missing."""


def scenario_from_history(
    playbook_key: str,
    *,
    since: dt.datetime,
    until: dt.datetime,
    timezone: str,
    playbook: Playbook | None = None,
    days: float = DEFAULT_DAYS,
    start: dt.datetime | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """A whole scenario: the history's figures, agents from staff, `days` from `start`
    (default: `until` rounded down to the hour). `playbook` gives the choice fields
    (none without it). Raises HistoryError when there is no case or no active agent."""
    figures = history_figures(
        playbook_key, since=since, until=until, timezone=timezone, playbook=playbook
    )
    agents = agents_from_staff()
    if not agents:
        raise HistoryError("no active agent or manager in staff to simulate with")
    begin = start if start is not None else until.replace(minute=0, second=0, microsecond=0)
    return {
        "days": days,
        "start": begin.isoformat(),
        "seed": seed,
        "arrivals": figures["arrivals"],
        **({"fields": figures["fields"]} if figures.get("fields") else {}),
        **({"order": figures["order"]} if "order" in figures else {}),
        "customer": figures["customer"],
        "agents": agents,
        **({"handling": figures["handling"]} if "handling" in figures else {}),
    }


def history_figures(
    playbook_key: str,
    *,
    since: dt.datetime,
    until: dt.datetime,
    timezone: str,
    playbook: Playbook | None = None,
) -> dict[str, Any]:
    """What the history says: `arrivals`, `customer`, `fields` and, when any task
    was completed, `handling`. Raises HistoryError when no case was opened."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware")
    if until <= since:
        raise HistoryError(f"the window {since:%Y-%m-%d} to {until:%Y-%m-%d} is empty")
    zone = ZoneInfo(timezone)
    cases = Case.objects.filter(
        playbook__key=playbook_key, opened_at__gte=since, opened_at__lt=until
    )
    rows = list(cases.values_list("pk", "opened_at", "customer__language", "fields"))
    if not rows:
        raise HistoryError(
            f"no {playbook_key!r} case was opened between {since:%Y-%m-%d %H:%M} and "
            f"{until:%Y-%m-%d %H:%M} UTC: nothing to calibrate from"
        )
    ids = cases.values("pk")  # a subquery: no parameter limit, however many cases
    replies = list(
        TimelineEvent.objects.filter(case__in=ids, type=EventType.CUSTOMER_REPLIED)
        .order_by("at", "pk")
        .values_list("case_id", "at", "payload")
    )
    figures: dict[str, Any] = {
        "arrivals": {
            "by_hour": arrival_rates([r[1] for r in rows], since, until, zone),
            "timezone": timezone,
        },
        "customer": {
            "language": shares(r[2] or "en" for r in rows),
            "channels": channel_behaviour(_sent_messages(ids), replies),
        },
    }
    intents = shares(
        p.get("intent") for _, _, p in replies if isinstance(p, dict) and p.get("intent") in INTENTS
    )
    if intents:
        figures["customer"]["intents"] = intents
    if playbook is not None:
        figures["fields"] = _opening_fields(playbook, rows, ids)
    order = _usual_order(ids, len(rows))
    if order is not None:
        figures["order"] = order
    handling = handling_means(
        Task.objects.filter(case__in=ids, status=TaskStatus.DONE, completed_at__isnull=False)
        .exclude(key="")
        .values_list("key", "created_at", "completed_at")
    )
    if handling:
        figures["handling"] = handling
    return figures


def arrival_rates(
    opened: Iterable[dt.datetime], since: dt.datetime, until: dt.datetime, zone: ZoneInfo
) -> dict[int, dict[int, float]]:
    """weekday -> local hour -> cases per hour, over the hours of [since, until) that
    fall on that weekday and hour (so partial weeks and DST days weigh right)."""
    exposure: Counter[tuple[int, int]] = Counter()
    at = since
    while at < until:
        local = at.astimezone(zone)
        exposure[local.weekday(), local.hour] += 1
        at += dt.timedelta(hours=1)
    counts: Counter[tuple[int, int]] = Counter()
    for moment in opened:
        local = moment.astimezone(zone)
        counts[local.weekday(), local.hour] += 1
    rates: dict[int, dict[int, float]] = {}
    for (day, hour), n in sorted(counts.items()):
        # A case opened in an hour the stepping never landed on (window edges) still counts.
        rates.setdefault(day, {})[hour] = round(n / max(exposure[day, hour], 1), 4)
    return rates


def shares(values: Iterable[Any]) -> dict[Any, float]:
    """value -> its share, most common first; {} for no values."""
    counts = Counter(values)
    total = sum(counts.values())
    return {v: round(n / total, 4) for v, n in counts.most_common()}


def channel_behaviour(
    sent: Iterable[tuple[str, str, dt.datetime]],
    replies: Iterable[tuple[str, dt.datetime, Any]],
) -> dict[str, dict[str, float]]:
    """channel -> reply_probability and mean_delay_minutes, from messages sent
    (case id, channel, when) and CUSTOMER_REPLIED rows (case id, when, payload)."""
    sent_at: dict[tuple[str, str], list[dt.datetime]] = defaultdict(list)
    for case_id, channel, at in sent:
        sent_at[case_id, channel].append(at)
    answers: dict[tuple[str, str], list[dt.datetime]] = defaultdict(list)
    for case_id, at, payload in replies:
        channel = payload.get("channel") if isinstance(payload, dict) else None
        if channel in SIM_CHANNELS:
            answers[case_id, channel].append(at)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # channel -> sent, answered
    delays: dict[str, list[float]] = defaultdict(list)
    for (case_id, channel), moments in sent_at.items():
        moments.sort()
        got = sorted(answers.get((case_id, channel), []))
        for i, at in enumerate(moments):
            totals[channel][0] += 1
            until = moments[i + 1] if i + 1 < len(moments) else None
            first = next((r for r in got if r >= at and (until is None or r < until)), None)
            if first is not None:
                totals[channel][1] += 1
                delays[channel].append((first - at).total_seconds() / 60)
    result: dict[str, dict[str, float]] = {}
    for channel in sorted(totals):
        n_sent, n_answered = totals[channel]
        behaviour: dict[str, float] = {"reply_probability": round(n_answered / n_sent, 4)}
        if delays[channel]:
            behaviour["mean_delay_minutes"] = _minutes(sum(delays[channel]) / len(delays[channel]))
        result[channel] = behaviour
    return result


def handling_means(tasks: Iterable[tuple[str, dt.datetime, dt.datetime]]) -> dict[str, float]:
    """task key -> mean minutes from creation to completion, and `default` over all;
    {} for no task."""
    by_key: dict[str, list[float]] = defaultdict(list)
    for key, created, completed in tasks:
        by_key[key].append(max((completed - created).total_seconds(), 0.0) / 60)
    if not by_key:
        return {}
    every = [m for minutes in by_key.values() for m in minutes]
    means = {key: _minutes(sum(ms) / len(ms)) for key, ms in sorted(by_key.items())}
    return {"default": _minutes(sum(every) / len(every)), **means}


def agents_from_staff() -> list[dict[str, Any]]:
    """One group per team (None: no team) with its active agents and managers."""
    groups: dict[str | None, dict[str, Any]] = {}
    staff = (
        Agent.objects.filter(active=True, role__in=(Role.AGENT, Role.MANAGER))
        .order_by("team__name", "pk")
        .values_list("team__name", "languages")
    )
    for team, languages in staff:
        group = groups.setdefault(team, {"team": team, "count": 0, "languages": set()})
        group["count"] += 1
        group["languages"].update(languages or [])
    return [
        {**g, "languages": sorted(g["languages"])}
        for g in sorted(groups.values(), key=lambda g: (g["team"] is None, g["team"] or ""))
    ]


def calibrate(base: Mapping[str, Any], figures: Mapping[str, Any]) -> dict[str, Any]:
    """A manager's scenario (as loaded from YAML) with the history's arrivals, customer
    behaviour and handling times; everything else (agents, days, seed, fields, order,
    arrivals.stop_after_days, customer.documents, ...) stays."""
    merged = dict(base)
    kept = {k: v for k, v in (base.get("arrivals") or {}).items() if k not in REPLACED_ARRIVALS}
    merged["arrivals"] = {**kept, **figures["arrivals"]}
    kept = {k: v for k, v in (base.get("customer") or {}).items() if k not in REPLACED_CUSTOMER}
    merged["customer"] = {**kept, **figures["customer"]}
    if "handling" in figures:  # no completed task: the scenario's guesses are all there is
        merged["handling"] = dict(figures["handling"])
    return merged


def _sent_messages(ids: QuerySet[Any]) -> list[tuple[str, str, dt.datetime]]:
    rows = Message.objects.filter(
        case__in=ids,
        direction=Direction.OUTBOUND,
        status__in=REACHED,
        channel__in=sorted(SIM_CHANNELS),
    ).values_list("case_id", "channel", "sent_at", "created_at")
    return [(case_id, channel, sent or created) for case_id, channel, sent, created in rows]


def _opening_fields(
    playbook: Playbook, rows: list[tuple[Any, ...]], ids: QuerySet[Any]
) -> dict[str, dict[str, float]]:
    choice = {name: spec for name, spec in playbook.fields.items() if spec.type == "choice"}
    if not choice:
        return {}
    # The payload is read here, not with a JSON lookup, to behave alike on every database.
    changed = {
        (case_id, payload.get("field"))
        for case_id, payload in TimelineEvent.objects.filter(
            case__in=ids, type=EventType.FIELD_SET
        ).values_list("case_id", "payload")
        if isinstance(payload, dict)
    }
    result: dict[str, dict[str, float]] = {}
    for name, spec in choice.items():
        values = (
            (fields or {}).get(name)
            for case_id, _, _, fields in rows
            if (case_id, name) not in changed
        )
        found = shares(v for v in values if isinstance(v, str) and v in spec.choices)
        if found:
            result[name] = found
    return result


def _usual_order(ids: QuerySet[Any], n_cases: int) -> dict[str, Any] | None:
    types = Counter(
        ServiceOrder.objects.filter(case__in=ids).values_list("customer_type", flat=True)
    )
    if 2 * sum(types.values()) <= n_cases:
        return None
    usual = types.most_common(1)[0][0]
    # Where and with which documents: the latest such order's, so the simulator's
    # intake assessment (zone, eligibility, routing) accepts it as it was accepted.
    latest = (
        ServiceOrder.objects.filter(case__in=ids, customer_type=usual)
        .order_by("-received_at", "-pk")
        .values("city", "postcode", "latitude", "longitude", "documents")
        .first()
    )
    return {"customer_type": usual, **(latest or {})}


def _minutes(value: float) -> float:
    return max(round(value, 2), MIN_MINUTES)


def recorded_arrivals(
    playbook: Playbook, *, since: dt.datetime, until: dt.datetime
) -> tuple[list[tuple[dt.datetime, dict[str, Any]]], list[str]]:
    """The cases of the playbook's key opened in [since, until), earliest first, as
    (opened_at, the choice fields' current values), and those fields' names: the
    rows `opsdesk.sim.recorded.write_arrivals` writes. HistoryError when none."""
    columns = [name for name, spec in playbook.fields.items() if spec.type == "choice"]
    cases = Case.objects.filter(
        playbook__key=playbook.key, opened_at__gte=since, opened_at__lt=until
    ).order_by("opened_at", "pk")
    rows = [
        (opened_at, {c: fields.get(c) for c in columns})
        for opened_at, fields in cases.values_list("opened_at", "fields").iterator()
    ]
    if not rows:
        raise HistoryError(
            f"no {playbook.key!r} case was opened between {since:%Y-%m-%d %H:%M} and "
            f"{until:%Y-%m-%d %H:%M} UTC: no arrivals to export"
        )
    return rows, columns
