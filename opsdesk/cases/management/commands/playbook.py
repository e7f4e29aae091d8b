from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.cases.models import PlaybookVersion
from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.errors import Conflict
from opsdesk.playbook.loader import PlaybookError, problems_in


class Command(BaseCommand):
    help = "Check, install and list playbooks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="list every problem in playbook files")
        check.add_argument("files", nargs="+", type=Path)
        install = sub.add_parser("load", help="install playbook files (default: the shipped ones)")
        install.add_argument("files", nargs="*", type=Path)
        sub.add_parser("list", help="installed versions")

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
            if problems:
                failed += 1
                self.stderr.write(f"{path}: {len(problems)} problem(s)")
                for problem in problems:
                    self.stderr.write(f"  {problem}")
            else:
                self.stdout.write(f"{path}: ok")
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
