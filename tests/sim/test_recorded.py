"""Recorded arrivals: a CSV of real arrival times exported from opsdesk, played back."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command

from opsdesk.cases.models import Case
from opsdesk.sim.recorded import read_arrivals
from opsdesk.sim.runner import simulate
from opsdesk.sim.scenario import ScenarioError, load_scenario_file
from tests.sim.test_history import PLAYBOOK_FILE, at_now, history  # noqa: F401
from tests.sim.test_runner import ONBOARDING

CSV = """opened_at,service_type
2026-11-02T09:30:00+03:00,insurance
2026-11-02T06:10:00+00:00,
2026-11-09T09:00:00+03:00,immigration
"""

SCENARIO = {
    "days": 2,
    "start": "2026-11-02T09:00:00+03:00",
    "arrivals": {"csv": "arrivals.csv"},
    "fields": {"service_type": "immigration"},
    "agents": [{"team": None, "count": 1, "service_types": ["immigration", "insurance"]}],
}


def write(tmp_path: Path, csv: str = CSV) -> Path:
    (tmp_path / "arrivals.csv").write_text(csv, encoding="utf-8")
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    return path


def test_recorded_arrivals_are_played_at_their_times_with_their_fields(tmp_path: Path) -> None:
    sc = load_scenario_file(write(tmp_path))
    assert sc.arrivals.csv == str(tmp_path / "arrivals.csv")  # read beside the scenario
    result = simulate(ONBOARDING, sc, keep_timelines=True)
    # The third row is a week later, after the two simulated days: not played.
    assert result.cases["arrived"] == 2
    arrivals = [inputs[0] for inputs in result.inputs.values()]
    assert [(at, data["fields"]["service_type"]) for at, _, data in arrivals] == [
        (dt.datetime(2026, 11, 2, 6, 10, tzinfo=dt.UTC), "immigration"),  # empty: the draw
        (dt.datetime(2026, 11, 2, 6, 30, tzinfo=dt.UTC), "insurance"),  # the CSV's value
    ]


def test_a_broken_csv_names_every_bad_line(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        "opened_at\n2026-11-02T09:30:00+03:00\nyesterday\n2026-11-02T09:30:00\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as caught:
        read_arrivals(tmp_path / "a.csv")
    assert caught.value.problems == [
        "arrivals.csv line 3: 'yesterday' is not an ISO 8601 time",
        "arrivals.csv line 4: '2026-11-02T09:30:00' has no UTC offset",
    ]
    (tmp_path / "b.csv").write_text("when\n2026-11-02T09:30:00+03:00\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="no 'opened_at' column"):
        read_arrivals(tmp_path / "b.csv")


def test_the_command_refuses_a_missing_csv(tmp_path: Path) -> None:
    path = write(tmp_path)
    (tmp_path / "arrivals.csv").unlink()
    err = io.StringIO()
    with pytest.raises(CommandError, match="fix the problems"):
        call_command("simulate", str(PLAYBOOK_FILE), "--scenario", str(path), stderr=err)
    assert "arrivals.csv: " in err.getvalue() and "No such file" in err.getvalue()


def test_exported_arrivals_play_back_as_they_happened(
    history: list[Case],  # noqa: F811
    at_now: None,  # noqa: F811
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    call_command(
        "simulate",
        str(PLAYBOOK_FILE),
        "--export-arrivals",
        str(tmp_path / "arrivals.csv"),
        "--history-days",
        "7",
        stdout=out,
    )
    assert (
        out.getvalue().strip()
        == f"4 arrivals of customer-onboarding written to {tmp_path / 'arrivals.csv'}"
    )
    rows = read_arrivals(tmp_path / "arrivals.csv")
    assert rows == [
        (case.opened_at, {"service_type": case.fields["service_type"]})
        for case in sorted(history[:4], key=lambda c: c.opened_at)
    ]
    scenario = tmp_path / "scenario.yaml"
    data: dict[str, Any] = {**SCENARIO, "days": 7, "start": "2026-11-02T00:00:00+03:00"}
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = simulate(ONBOARDING, load_scenario_file(scenario), keep_timelines=True)
    assert [inputs[0][0] for inputs in result.inputs.values()] == [at for at, _ in rows]


def test_export_with_no_history_writes_nothing(db: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no 'customer-onboarding' case was opened"):
        call_command("simulate", str(PLAYBOOK_FILE), "--export-arrivals", str(tmp_path / "a.csv"))
    assert not (tmp_path / "a.csv").exists()
