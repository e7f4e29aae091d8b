"""`opsdesk import orders FILE --channel KEY`: service orders from a CSV file.

The columns are the fields of an order (`opsdesk.orders.email_intake` lists them;
docs/api.md shows an example). Rows go to `orders_receive` at most 5000 at a
time, with a progress bar on stderr when it is a terminal. A file that cannot be
read as a whole (missing, not UTF-8, unknown or missing columns) and an unknown
channel stop the import before anything is written. Rejected rows are listed with
their line numbers; the exit status is 1 when any row was rejected, else 0.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.orders.models import SalesChannel
from opsdesk.orders.text import BadFile, read_csv, receive_rows


class Command(BaseCommand):
    help = "Import records from files: `import orders FILE --channel KEY` (CSV, UTF-8)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        orders = sub.add_parser(
            "orders",
            help="service orders of a sales channel from a CSV file",
            description=(
                "One order per row; the header names OrderInput fields (external_ref, "
                "given_name, family_name, service_type, ..., documents as "
                "'id_card:2030-01-01;tax_certificate', fields.<name>). Comma or semicolon "
                "separated, UTF-8. Exit status 1 when any row is rejected."
            ),
        )
        orders.add_argument("file", type=Path)
        orders.add_argument("--channel", required=True, help="the sales channel's key")
        orders.add_argument(
            "--progress",
            action="store_true",
            help="show the progress bar even when stderr is not a terminal",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        channel = SalesChannel.objects.filter(key=options["channel"]).first()
        if channel is None:
            raise CommandError(f"no sales channel {options['channel']!r} (see `opsdesk channel`)")
        if not channel.active:
            raise CommandError(f"sales channel {channel.key!r} is inactive")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        try:
            rows = read_csv(raw)
        except BadFile as exc:
            raise CommandError(f"{path}: {exc}") from None
        actor = Actor.of_user(channel.user, "import")
        stream = options.get("stderr") or sys.stderr
        with tqdm(
            total=len(rows),
            unit="row",
            desc="orders",
            file=stream,
            disable=False if options["progress"] else None,
        ) as bar:
            try:
                results = receive_rows(channel, rows, actor, progress=bar.update)
            except ValidationFailed as exc:
                messages = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
                raise CommandError(f"nothing imported: {messages}") from None
        counts = {"created": 0, "duplicate": 0, "rejected": 0}
        for r in results:
            counts[r.outcome] += 1
        self.stdout.write(
            f"{path}: {len(results)} row(s): {counts['created']} created, "
            f"{counts['duplicate']} duplicate(s), {counts['rejected']} rejected"
        )
        for r in results:
            if r.outcome != "rejected":
                continue
            reasons = "; ".join(f"{k}: {' / '.join(v)}" for k, v in r.errors.items())
            self.stdout.write(
                f"line {rows[r.index].line} ({r.external_ref or 'no ref'}): {reasons}"
            )
        if counts["rejected"]:
            raise CommandError(
                f"{counts['rejected']} row(s) rejected (listed above); the other rows are stored"
            )
