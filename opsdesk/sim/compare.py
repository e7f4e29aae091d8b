"""`compare(pb_a, pb_b, scenario, runs) -> Comparison`: two playbooks, paired runs.

Run i plays both playbooks with the scenario at seed `scenario.seed + i`. Arrivals
have their own random stream in the runner, so both playbooks see exactly the same
cases arriving at the same moments; only what follows (handling times, replies)
may be drawn differently once the playbooks behave differently. Each metric's
difference B - A is taken per run, and its 95% confidence interval is Student's t
over those paired differences.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from opsdesk.playbook.model import Playbook
from opsdesk.sim.runner import Result, simulate
from opsdesk.sim.scenario import Scenario

# Two-sided 95% Student t quantiles (0.975) by degrees of freedom.
_T975 = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    11: 2.201,
    12: 2.179,
    13: 2.160,
    14: 2.145,
    15: 2.131,
    16: 2.120,
    17: 2.110,
    18: 2.101,
    19: 2.093,
    20: 2.086,
    21: 2.080,
    22: 2.074,
    23: 2.069,
    24: 2.064,
    25: 2.060,
    26: 2.056,
    27: 2.052,
    28: 2.048,
    29: 2.045,
    30: 2.042,
    40: 2.021,
    60: 2.000,
    120: 1.980,
}


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t; between table rows the smaller df's
    (larger, so conservative) value, 1.96 beyond 120."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df > 120:
        return 1.960
    return _T975[max(k for k in _T975 if k <= df)]


def metrics(result: Result) -> dict[str, float | None]:
    """The compared figures of one run; an SLA nobody finished is None."""
    out: dict[str, float | None] = {}
    for name, sla in sorted(result.slas.items()):
        out[f"sla.{name}.attainment"] = sla["attainment"]
    values = list(result.utilisation.values())
    out["tasks.waiting_mean"] = result.tasks["waiting_mean"]
    out["tasks.waiting_p95"] = result.tasks["waiting_p95"]
    out["queue.mean"] = result.queue["mean"]
    out["queue.max"] = result.queue["max"]
    out["utilisation.mean"] = sum(values) / len(values) if values else 0.0
    out["cases.closed"] = result.cases["closed"]
    # How many cases reached each milestone (confirmed, not responding, ...).
    for name, count in result.milestones.items():
        out[f"milestone.{name}"] = count
    # And how soon, in hours from arrival (none when no case reached it).
    for name, hours in result.milestone_hours.items():
        out[f"hours_to.{name}"] = hours
    return out


@dataclass
class MetricComparison:
    name: str
    n: int  # runs where both sides have the figure
    mean_a: float | None
    mean_b: float | None
    diff: float | None  # mean of B - A
    low: float | None  # 95% interval of the mean difference; None with fewer than 2 pairs
    high: float | None

    @property
    def significant(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > 0 or self.high < 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "mean_a": self.mean_a,
            "mean_b": self.mean_b,
            "diff": self.diff,
            "ci95": None if self.low is None else [self.low, self.high],
            "significant": self.significant,
        }


@dataclass
class Comparison:
    a: str
    b: str
    runs: int
    seeds: list[int]
    metrics: dict[str, MetricComparison] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "runs": self.runs,
            "seeds": list(self.seeds),
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
        }

    def summary(self) -> str:
        head = ("metric", "A", "B", "B-A", "95% CI", "")
        rows = [head]
        for m in self.metrics.values():
            ci = "n/a" if m.low is None else f"[{_num(m.low)}, {_num(m.high)}]"
            rows.append(
                (
                    m.name,
                    _num(m.mean_a),
                    _num(m.mean_b),
                    _num(m.diff, signed=True),
                    ci,
                    "*" if m.significant else "",
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = [
            f"A: {self.a}  B: {self.b}  {self.runs} paired run(s), "
            f"seeds {self.seeds[0]}..{self.seeds[-1]}"
        ]
        for row in rows:
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
        lines.append("* the 95% interval of B-A excludes 0")
        return "\n".join(lines)


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def compare(
    pb_a: Playbook,
    pb_b: Playbook,
    scenario: Scenario,
    runs: int,
    *,
    labels: tuple[str, str] | None = None,
) -> Comparison:
    """Paired runs at seeds scenario.seed .. seed + runs - 1; `labels` name A and B
    (default: the playbooks' keys)."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    seeds = [scenario.seed + i for i in range(runs)]
    per_run: list[tuple[dict[str, float | None], dict[str, float | None]]] = []
    for seed in seeds:
        sc = scenario.model_copy(update={"seed": seed})
        per_run.append((metrics(simulate(pb_a, sc)), metrics(simulate(pb_b, sc))))
    names: list[str] = []
    for ma, mb in per_run:
        names += [n for n in [*ma, *mb] if n not in names]
    reached = sorted(n for n in names if n.startswith("milestone."))
    for ma, mb in per_run:  # a milestone no case reached in a run: 0 cases, not unknown
        for name in reached:
            ma.setdefault(name, 0)
            mb.setdefault(name, 0)
    slas = sorted(n for n in names if n.startswith("sla."))
    hours = sorted(n for n in names if n.startswith("hours_to."))
    rest = [n for n in names if not n.startswith(("sla.", "milestone.", "hours_to."))]
    ordered = slas + rest + reached + hours
    a, b = labels or (pb_a.key, pb_b.key)
    out = Comparison(a=a, b=b, runs=runs, seeds=seeds)
    for name in ordered:
        xs = [v for ma, _ in per_run if (v := ma.get(name)) is not None]
        ys = [v for _, mb in per_run if (v := mb.get(name)) is not None]
        diffs = [
            mb[name] - ma[name]  # type: ignore[operator]
            for ma, mb in per_run
            if ma.get(name) is not None and mb.get(name) is not None
        ]
        low = high = None
        diff = _mean(diffs)
        if len(diffs) >= 2 and diff is not None:
            half = t975(len(diffs) - 1) * statistics.stdev(diffs) / math.sqrt(len(diffs))
            low, high = diff - half, diff + half
        out.metrics[name] = MetricComparison(
            name, len(diffs), _mean(xs), _mean(ys), diff, low, high
        )
    return out
