from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opsdesk.runtime.worker import Worker


class Command(BaseCommand):
    help = "Fire due timers and send queued messages, until stopped (SIGTERM finishes the pass)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="idle sleep, seconds")
        parser.add_argument("--batch", type=int, default=None, help="rows per pass and kind")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(interval=options["interval"], batch=options["batch"])
        if options["once"]:
            self.stdout.write(f"handled {worker.run_once()}")
        else:
            worker.run()
