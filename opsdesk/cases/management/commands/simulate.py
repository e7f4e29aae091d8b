"""`opsdesk simulate PLAYBOOK --scenario S.yaml [--json] [--html OUT.html]
[--compare OTHER.yaml --runs N]`: run a playbook on a virtual clock, or compare two.

`--from-history [--history-days N] [--write-scenario OUT.yaml]` calibrates the
scenario from the playbook's cases in the database (opsdesk.sim.history)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.common import clock
from opsdesk.engine.decide import playbook_calendar
from opsdesk.playbook.loader import PlaybookError, load
from opsdesk.playbook.model import Playbook
from opsdesk.sim.compare import compare
from opsdesk.sim.history import (
    HistoryError,
    calibrate,
    history_figures,
    recorded_arrivals,
    scenario_from_history,
)
from opsdesk.sim.recorded import write_arrivals
from opsdesk.sim.report import html_comparison, html_report
from opsdesk.sim.runner import simulate
from opsdesk.sim.scenario import Scenario, ScenarioError, load_scenario, with_csv_beside

DEFAULT_TIMEZONE = "Europe/Istanbul"  # as for replies, when the playbook has no calendar zone


class Command(BaseCommand):
    help = "Simulate a playbook under a scenario (arrivals, customers, agents) and print figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the playbook (YAML)")
        parser.add_argument(
            "--scenario", type=Path, help="the scenario (YAML); optional with --from-history"
        )
        parser.add_argument(
            "--from-history",
            action="store_true",
            help="take arrivals, customer behaviour and handling times from the database",
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=90,
            help="with --from-history: the days of history, up to now (default 90)",
        )
        parser.add_argument(
            "--write-scenario",
            type=Path,
            metavar="OUT",
            help="with --from-history: also write the calibrated scenario as YAML",
        )
        parser.add_argument(
            "--export-arrivals",
            type=Path,
            metavar="CSV",
            help="write the arrival times (and choice fields) of the last --history-days "
            "days as a CSV for a scenario's arrivals.csv, and stop",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--html", type=Path, help="also write a self-contained HTML report")
        parser.add_argument(
            "--compare", type=Path, metavar="OTHER", help="a second playbook (B) to compare with"
        )
        parser.add_argument(
            "--runs", type=int, default=10, help="paired runs for --compare (default 10)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        pb_path: Path = options["file"]
        # call_command passes keywords unconverted
        sc_path = None if options["scenario"] is None else Path(options["scenario"])
        other_path = None if options["compare"] is None else Path(options["compare"])
        out_path = None if options["write_scenario"] is None else Path(options["write_scenario"])
        from_history = bool(options["from_history"])
        if int(options["runs"]) < 1:
            raise CommandError("--runs must be at least 1")
        if int(options["history_days"]) < 1:
            raise CommandError("--history-days must be at least 1")
        if options.get("export_arrivals") is not None:
            self._export(pb_path, Path(options["export_arrivals"]), int(options["history_days"]))
            return
        if sc_path is None and not from_history:
            raise CommandError("give --scenario, or --from-history to calibrate one")
        if out_path is not None and not from_history:
            raise CommandError("--write-scenario writes a calibrated scenario: add --from-history")
        failed = False
        playbooks = []
        for path in [pb_path] + ([other_path] if other_path is not None else []):
            try:
                playbooks.append(load(_read(path)))
            except PlaybookError as exc:
                failed = True
                self.stderr.write(f"{path}: {len(exc.problems)} problem(s)")
                for problem in exc.problems:
                    self.stderr.write(f"  {problem}")
        scenario: Scenario | None = None
        sc_text = ""
        if sc_path is not None:
            sc_text = _read(sc_path)
            try:
                # A relative arrivals.csv is read beside the scenario file.
                scenario = with_csv_beside(load_scenario(sc_text), sc_path.parent)
            except ScenarioError as exc:
                failed = True
                self.stderr.write(f"{sc_path}: {len(exc.problems)} problem(s)")
                for line in exc.problems:
                    self.stderr.write(f"  {line}")
        if failed:
            raise CommandError("fix the problems before simulating")
        if from_history:
            scenario = self._calibrated(
                playbooks[0], sc_text if sc_path is not None else None, options, out_path
            )
        assert scenario is not None
        try:
            self._run(playbooks, scenario, pb_path, other_path, options)
        except (
            ScenarioError
        ) as exc:  # what the scenario says agents record, checked on the playbook
            self.stderr.write(f"{sc_path or 'the scenario'}: {len(exc.problems)} problem(s)")
            for line in exc.problems:
                self.stderr.write(f"  {line}")
            raise CommandError("fix the problems before simulating") from None

    def _run(
        self,
        playbooks: list[Any],
        scenario: Scenario,
        pb_path: Path,
        other_path: Path | None,
        options: dict[str, Any],
    ) -> None:
        html_path = None if options["html"] is None else Path(options["html"])
        if other_path is not None:
            comparison = compare(
                playbooks[0],
                playbooks[1],
                scenario,
                int(options["runs"]),
                labels=(str(pb_path), str(other_path)),
            )
            if html_path is not None:
                _write(html_path, html_comparison(comparison, f"{pb_path} vs {other_path}"))
            if options["json"]:
                self.stdout.write(json.dumps(comparison.to_dict(), indent=2, sort_keys=True))
            else:
                self.stdout.write(comparison.summary())
            return
        result = simulate(playbooks[0], scenario)
        if html_path is not None:
            _write(html_path, html_report(result, f"Simulation of {pb_path}"))
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict(), indent=2, sort_keys=True))
        else:
            self.stdout.write(result.summary())

    def _export(self, pb_path: Path, out: Path, days: int) -> None:
        try:
            pb = load(_read(pb_path))
        except PlaybookError as exc:
            for problem in exc.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(f"{pb_path}: {len(exc.problems)} problem(s)") from None
        until = clock.now()
        try:
            rows, columns = recorded_arrivals(
                pb, since=until - dt.timedelta(days=days), until=until
            )
        except HistoryError as exc:
            raise CommandError(str(exc)) from None
        _write(out, write_arrivals(rows, columns))
        self.stdout.write(f"{len(rows)} arrivals of {pb.key} written to {out}")

    def _calibrated(
        self, pb: Playbook, base_text: str | None, options: dict[str, Any], out: Path | None
    ) -> Scenario:
        """The scenario from history (merged into the given one's text, if any), written
        to `out` when asked; CommandError when the history is too thin."""
        until = clock.now()
        since = until - dt.timedelta(days=int(options["history_days"]))
        zone = playbook_calendar(pb).timezone or DEFAULT_TIMEZONE
        try:
            if base_text is None:
                data = scenario_from_history(
                    pb.key, since=since, until=until, timezone=zone, playbook=pb
                )
            else:
                figures = history_figures(
                    pb.key, since=since, until=until, timezone=zone, playbook=pb
                )
                data = calibrate(yaml.safe_load(base_text), figures)
        except HistoryError as exc:
            raise CommandError(str(exc)) from None
        text = (
            f"# Calibrated from the {pb.key} cases opened {since:%Y-%m-%d %H:%M} to "
            f"{until:%Y-%m-%d %H:%M} UTC (opsdesk simulate --from-history).\n"
            f"# arrivals.by_hour is in {zone}; handling includes queueing time.\n"
            + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        )
        try:
            # Through the YAML, so what is written is exactly what runs.
            scenario = load_scenario(text)
        except ScenarioError as exc:
            for line in exc.problems:
                self.stderr.write(f"  {line}")
            raise CommandError("the calibrated scenario is not valid") from None
        if out is not None:
            _write(out, text)
        return scenario


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror}") from None


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror}") from None
