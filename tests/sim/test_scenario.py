"""Scenarios (opsdesk.sim.scenario) and the `simulate` command: what they accept and refuse."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from opsdesk.sim.scenario import ScenarioError, load_scenario

GOOD = """
days: 1
start: 2026-11-02T09:00:00+03:00
seed: 3
arrivals:
  by_hour: {0: {9: 4, 10: 2}}
  timezone: Europe/Istanbul
fields: {service_type: {immigration: 0.5, insurance: 0.5}}
agents: [{team: Onboarding, count: 2, languages: [en], service_types: [immigration, insurance]}]
handling: {default: 10}
"""


def test_a_scenario_loads_with_its_start_in_utc() -> None:
    sc = load_scenario(GOOD)
    assert sc.start.isoformat() == "2026-11-02T06:00:00+00:00"
    assert sc.arrivals.by_hour == {0: {9: 4.0, 10: 2.0}}
    assert sc.mean_handling("intake") == 10


def test_every_problem_is_listed_with_its_path() -> None:
    text = GOOD.replace("2026-11-02T09:00:00+03:00", "2026-11-02T09:00:00").replace(
        "by_hour: {0: {9: 4, 10: 2}}", "per_hour: 1\n  by_hour: {9: {1: 1}}"
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(text + "colour: blue\n")
    assert exc.value.problems == [
        "start: Value error, start must carry a timezone, e.g. 2026-11-02T09:00:00+03:00",
        "arrivals: Value error, give exactly one of per_hour, by_hour or csv",
        "colour: Extra inputs are not permitted",
    ]


def test_the_command_prints_the_summary_or_json(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(GOOD, encoding="utf-8")
    playbook = Path(__file__).resolve().parents[2] / "playbooks" / "customer-onboarding.yaml"
    out = io.StringIO()
    call_command("simulate", str(playbook), "--scenario", str(scenario), stdout=out)
    assert out.getvalue().startswith("1 simulated days, seed 3, ")
    out = io.StringIO()
    call_command("simulate", str(playbook), "--scenario", str(scenario), "--json", stdout=out)
    assert json.loads(out.getvalue())["seed"] == 3


def test_the_command_refuses_a_broken_playbook_or_scenario(tmp_path: Path) -> None:
    playbook, scenario = tmp_path / "p.yaml", tmp_path / "s.yaml"
    playbook.write_text("key: x\n", encoding="utf-8")
    scenario.write_text("days: 0\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="fix the problems"):
        call_command("simulate", str(playbook), "--scenario", str(scenario), stderr=err)
    assert f"{playbook}: " in err.getvalue()
    assert f"{scenario}: 4 problem(s)" in err.getvalue()
    assert "  days: Input should be greater than 0" in err.getvalue()


def test_an_unknown_timezone_is_a_problem() -> None:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(GOOD.replace("Europe/Istanbul", "Europe/Atlantis"))
    assert exc.value.problems == [
        "arrivals.timezone: Value error, unknown timezone 'Europe/Atlantis'; use an IANA name"
    ]


def test_the_command_refuses_work_the_playbook_has_no_task_for(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(GOOD + "work: {nope: {}}\n", encoding="utf-8")
    playbook = Path(__file__).resolve().parents[2] / "playbooks" / "customer-onboarding.yaml"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="fix the problems"):
        call_command("simulate", str(playbook), "--scenario", str(scenario), stdout=out, stderr=err)
    assert "work.nope: the playbook has no task 'nope'" in err.getvalue()
    assert out.getvalue() == ""  # no figures for a run that did not happen


def test_the_documented_example_scenario_runs_the_service_order_playbook() -> None:
    from opsdesk.playbook.loader import load_file
    from opsdesk.sim.runner import simulate
    from opsdesk.sim.scenario import load_scenario_file

    root = Path(__file__).resolve().parents[2]
    sc = load_scenario_file(root / "docs" / "examples" / "service-order-scenario.yaml")
    result = simulate(load_file(root / "playbooks" / "service-order.yaml"), sc)
    # docs/simulator.md quotes this run: every order closes within the 28 days.
    assert (result.cases["arrived"], result.cases["closed"]) == (236, 236)
    assert result.cases["by_final_state"] == {"closed": 169, "lost": 67}
