"""Paired comparison of two playbooks (opsdesk.sim.compare)."""

from __future__ import annotations

from typing import Any

from opsdesk.playbook.loader import load
from opsdesk.sim.compare import compare, t975
from opsdesk.sim.runner import simulate
from opsdesk.sim.scenario import Scenario

TIMED_YAML = """
key: sla-{minutes}
version: 1
title: Done within {minutes} minutes
case_prefix: SLA
languages: [en]
default_language: en
trigger: {{events: [customer.created]}}
tasks:
  work: {{title: Work, assignee: unassigned}}
slas:
  done:
    starts: [queued]
    stops: [done]
    target: {{minutes: {minutes}}}
    on_breach: [post: {{channel: "#late", text: late}}]
states:
  queued:
    initial: true
    on_enter: [open_task: work]
    transitions:
      - {{on: task.completed, to: done}}
  done: {{final: true}}
"""

HOUR_SLA = load(TIMED_YAML.format(minutes=60))
HALF_HOUR_SLA = load(TIMED_YAML.format(minutes=30))


def scenario(**changes: Any) -> Scenario:
    base: dict[str, Any] = {
        "days": 2,
        "start": "2026-11-02T09:00:00+03:00",
        "seed": 5,
        "arrivals": {"per_hour": 3},
        "agents": [{"team": None, "count": 2}],
        "handling": {"default": 25},
    }
    return Scenario.model_validate({**base, **changes})


def test_a_playbook_compared_with_itself_differs_by_exactly_nothing() -> None:
    result = compare(HOUR_SLA, HOUR_SLA, scenario(), runs=4)
    assert result.seeds == [5, 6, 7, 8]
    assert "sla.done.attainment" in result.metrics
    assert set(result.metrics) >= {
        "tasks.waiting_mean",
        "tasks.waiting_p95",
        "queue.mean",
        "queue.max",
        "utilisation.mean",
        "cases.closed",
    }
    for m in result.metrics.values():
        assert m.n == 4
        assert m.diff == 0
        assert m.low == m.high == 0
        assert m.mean_a == m.mean_b
        assert not m.significant
    assert "*" not in result.summary().splitlines()[1]


def test_a_shorter_target_lowers_attainment_significantly() -> None:
    result = compare(HOUR_SLA, HALF_HOUR_SLA, scenario(), runs=6)
    att = result.metrics["sla.done.attainment"]
    assert att.diff is not None and att.diff < 0
    assert att.high is not None and att.high < 0
    assert att.significant
    # The same cases arrive and are handled the same: only the SLA's verdict moves.
    assert result.metrics["cases.closed"].diff == 0
    assert not result.metrics["tasks.waiting_mean"].significant
    data = result.to_dict()
    assert data["metrics"]["sla.done.attainment"]["significant"] is True
    assert data["runs"] == 6
    line = next(x for x in result.summary().splitlines() if x.startswith("sla.done"))
    assert line.endswith("*")


def test_both_playbooks_see_the_same_arrivals() -> None:
    sc = scenario(fields={"colour": {"red": 0.5, "blue": 0.5}})
    a = simulate(HOUR_SLA, sc, keep_timelines=True)
    b = simulate(HALF_HOUR_SLA, sc, keep_timelines=True)
    assert a.cases["arrived"] == b.cases["arrived"] > 50
    opened_a = [tl[0][0] for _, tl in a.detail.values()]
    opened_b = [tl[0][0] for _, tl in b.detail.values()]
    assert opened_a == opened_b


def test_one_run_has_no_interval() -> None:
    m = compare(HOUR_SLA, HALF_HOUR_SLA, scenario(days=1), runs=1).metrics["queue.mean"]
    assert m.low is None and m.high is None and not m.significant


def test_the_t_table() -> None:
    assert t975(1) == 12.706
    assert t975(9) == 2.262
    assert t975(45) == 2.021  # between rows: the smaller df, conservative
    assert t975(1000) == 1.96
