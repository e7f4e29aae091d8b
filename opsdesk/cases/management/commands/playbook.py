from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.cases.models import PlaybookVersion
from opsdesk.cases.playbooks import playbook_install, playbook_staff_problems
from opsdesk.common.errors import Conflict
from opsdesk.playbook import diagram
from opsdesk.playbook.loader import PlaybookError, load, problems_in


class Command(BaseCommand):
    help = "Check, install, list and draw playbooks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="list every problem in playbook files")
        check.add_argument("files", nargs="+", type=Path)
        check.add_argument(
            "--with-staff",
            action="store_true",
            help="also check that every team the playbook assigns to has an active agent",
        )
        install = sub.add_parser("load", help="install playbook files (default: the shipped ones)")
        install.add_argument("files", nargs="*", type=Path)
        sub.add_parser("list", help="installed versions")
        draw = sub.add_parser("draw", help="draw a playbook's states (Mermaid or SVG)")
        draw.add_argument("file", type=Path)
        draw.add_argument("--format", choices=["mermaid", "svg"], default="mermaid")
        draw.add_argument("--output", type=Path, help="write here instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"do_{options['action']}")(options)

    def do_check(self, options: dict[str, Any]) -> None:
        failed = 0
        for path in options["files"]:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from None
            problems = problems_in(text)
            if options.get("with_staff"):
                problems += playbook_staff_problems(text)
            if any(not p.warning for p in problems):
                failed += 1
                self.stderr.write(f"{path}: {len(problems)} problem(s)")
                for problem in problems:
                    self.stderr.write(f"  {problem}")
            else:
                # Warnings do not stop a playbook from loading.
                self.stdout.write(
                    f"{path}: ok" + (f", {len(problems)} warning(s)" if problems else "")
                )
                for problem in problems:
                    self.stdout.write(f"  {problem}")
        if failed:
            raise CommandError(f"{failed} playbook(s) with problems")

    def do_load(self, options: dict[str, Any]) -> None:
        files = options["files"] or sorted(Path(settings.OPSDESK_PLAYBOOK_DIR).glob("*.yaml"))
        for path in files:
            try:
                version, created = playbook_install(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from None
            except PlaybookError as exc:
                raise CommandError(f"{path}:\n{exc}") from None
            except Conflict as exc:
                raise CommandError(f"{path}: {exc}") from None
            verb = "installed" if created else "unchanged"
            self.stdout.write(f"{path}: {version} {verb}")

    def do_list(self, options: dict[str, Any]) -> None:
        for v in PlaybookVersion.objects.order_by("key", "version"):
            mark = "active" if v.active else ""
            self.stdout.write(f"{v.key}\tv{v.version}\t{v.cases.count()} cases\t{mark}")

    def do_draw(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        try:
            playbook = load(text)
        except PlaybookError as exc:
            self.stderr.write(f"{path}: {len(exc.problems)} problem(s)")
            for problem in exc.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(f"{path}: fix the problems before drawing") from None
        out = diagram.svg(playbook) if options["format"] == "svg" else diagram.mermaid(playbook)
        target: Path | None = options["output"]
        if target is None:
            self.stdout.write(out, ending="")
            return
        try:
            target.write_text(out, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{target}: {exc.strerror}") from None
        self.stdout.write(f"{path}: {options['format']} written to {target}")
