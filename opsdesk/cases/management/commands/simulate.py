"""`opsdesk simulate PLAYBOOK --scenario S.yaml [--json]`: run a playbook on a virtual clock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.playbook.loader import PlaybookError, load
from opsdesk.sim.runner import simulate
from opsdesk.sim.scenario import ScenarioError, load_scenario


class Command(BaseCommand):
    help = "Simulate a playbook under a scenario (arrivals, customers, agents) and print figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the playbook (YAML)")
        parser.add_argument("--scenario", type=Path, required=True, help="the scenario (YAML)")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        pb_path: Path = options["file"]
        sc_path: Path = options["scenario"]
        failed = False
        try:
            playbook = load(_read(pb_path))
        except PlaybookError as exc:
            failed = True
            self.stderr.write(f"{pb_path}: {len(exc.problems)} problem(s)")
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
        result = simulate(playbook, scenario)
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict(), indent=2, sort_keys=True))
        else:
            self.stdout.write(result.summary())


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror}") from None
