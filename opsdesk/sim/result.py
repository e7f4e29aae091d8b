"""What a simulation reports (`Result`), with its terminal summary."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    days: float
    seed: int
    events: int = 0  # decide() calls
    cases: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, Any] = field(default_factory=dict)
    queue: dict[str, float] = field(default_factory=dict)
    utilisation: dict[str, float] = field(default_factory=dict)
    slas: dict[str, dict[str, Any]] = field(default_factory=dict)
    cadences: dict[str, int] = field(default_factory=dict)
    milestones: dict[str, int] = field(default_factory=dict)  # cases that reached each
    # Mean hours from a case's arrival to reaching each milestone.
    milestone_hours: dict[str, float] = field(default_factory=dict)
    messages: dict[str, int] = field(default_factory=dict)
    replies: dict[str, int] = field(default_factory=dict)
    # Bookings, visits, documents, what agents did besides tasks.
    activity: dict[str, int] = field(default_factory=dict)
    unsupported: dict[str, int] = field(default_factory=dict)
    # The waiting-task count sampled at the start of every simulated hour.
    queue_hourly: list[int] = field(default_factory=list)
    # The mean wait (minutes) of the tasks picked up on each simulated day (0: none).
    waiting_daily: list[float] = field(default_factory=list)
    # Per case (state, timeline of (moment, type, payload)), only with keep_timelines.
    detail: dict[str, tuple[str | None, list[tuple[dt.datetime, str, dict[str, Any]]]]] = field(
        default_factory=dict, repr=False
    )
    # Per case, what came from outside the engine (arrival, replies, agents' work,
    # documents, visits) in order, only with keep_timelines: a replay's script.
    inputs: dict[str, list[tuple[dt.datetime, str, dict[str, Any]]]] = field(
        default_factory=dict, repr=False
    )

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("detail")
        out.pop("inputs")
        return out

    def summary(self) -> str:
        c, t, q = self.cases, self.tasks, self.queue
        lines = [
            f"{self.days:g} simulated days, seed {self.seed}, {self.events} engine events",
            f"cases: {c['arrived']} arrived, {c['opened']} opened, {c['closed']} closed "
            + _pairs(c["by_final_state"])
            + f"; open by state {_pairs(c['open_by_state'])}",
            f"tasks: {t['opened']} opened, {t['completed']} completed, {t['refused']} refused, "
            f"{t['dropped']} dropped, {t['abandoned']} abandoned, {t['open_at_end']} open at end",
            f"  waiting (min): mean {t['waiting_mean']:.1f}, p95 {t['waiting_p95']:.1f}; "
            f"in system (min): mean {t['system_mean']:.1f}, p95 {t['system_p95']:.1f}",
            f"queue (hourly): max {q['max']:g}, mean {q['mean']:.2f}",
        ]
        if self.utilisation:
            values = list(self.utilisation.values())
            lines.append(
                f"utilisation: mean {sum(values) / len(values):.1%}, "
                f"min {min(values):.1%}, max {max(values):.1%} over {len(values)} agents"
            )
        for name, s in self.slas.items():
            att = "n/a" if s["attainment"] is None else f"{s['attainment']:.1%}"
            lines.append(
                f"SLA {name}: {s['started']} started, {s['met']} met, "
                f"{s['breached']} breached, attainment {att}"
            )
        lines.append(f"cadences: {_pairs(self.cadences)}")
        lines.append(f"milestones: {_pairs(self.milestones)}")
        if self.milestone_hours:
            lines.append(f"  mean hours from arrival: {_pairs(self.milestone_hours)}")
        lines.append(f"messages: {_pairs(self.messages)}; replies: {_pairs(self.replies)}")
        if self.activity:
            lines.append(f"activity: {_pairs(self.activity)}")
        if skipped := {k: v for k, v in self.unsupported.items() if v}:
            lines.append(f"not simulated (counted): {_pairs(skipped)}")
        return "\n".join(lines)


def _pairs(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def stats(values: list[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return round(sum(values) / len(values), 4), round(p95, 4)
