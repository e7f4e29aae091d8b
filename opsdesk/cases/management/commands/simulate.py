"""`opsdesk simulate PLAYBOOK --scenario S.yaml [--json] [--html OUT.html]
[--compare OTHER.yaml --runs N]`: run a playbook on a virtual clock, or compare two."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.playbook.loader import PlaybookError, load
from opsdesk.sim.compare import compare
from opsdesk.sim.report import html_comparison, html_report
from opsdesk.sim.runner import simulate
from opsdesk.sim.scenario import ScenarioError, load_scenario


class Command(BaseCommand):
    help = "Simulate a playbook under a scenario (arrivals, customers, agents) and print figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the playbook (YAML)")
        parser.add_argument("--scenario", type=Path, required=True, help="the scenario (YAML)")
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
        sc_path = Path(options["scenario"])  # call_command passes keywords unconverted
        other_path = None if options["compare"] is None else Path(options["compare"])
        if int(options["runs"]) < 1:
            raise CommandError("--runs must be at least 1")
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
        try:
            scenario = load_scenario(_read(sc_path))
        except ScenarioError as exc:
            failed = True
            self.stderr.write(f"{sc_path}: {len(exc.problems)} problem(s)")
            for line in exc.problems:
                self.stderr.write(f"  {line}")
        if failed:
            raise CommandError("fix the problems before simulating")
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
