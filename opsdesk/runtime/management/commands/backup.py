"""`opsdesk backup OUT [--force]`: a consistent backup of the database, while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.runtime.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database: SQLite's online backup, or pg_dump's custom format."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path, help="the backup file to write")
        parser.add_argument("--force", action="store_true", help="replace an existing file")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if out.exists() and not options["force"]:
            raise CommandError(f"{out} exists; give --force to replace it")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such folder")
        if out.exists():
            out.unlink()
        try:
            self.stdout.write(backup(out))
        except BackupError as exc:
            out.unlink(missing_ok=True)  # no half-written backup left to trust
            raise CommandError(str(exc)) from None
