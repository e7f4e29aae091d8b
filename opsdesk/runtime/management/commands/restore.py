"""`opsdesk restore BACKUP --yes`: replace the database's content with a backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.runtime.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore the database from `opsdesk backup`'s file. Stop web and workers first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="the backup file")
        parser.add_argument(
            "--yes", action="store_true", help="confirm: everything in the database is replaced"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("a restore replaces everything in the database; add --yes")
        try:
            self.stdout.write(restore(Path(options["backup"])))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
