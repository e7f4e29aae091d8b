"""`opsdesk retainers bill [--date YYYY-MM-DD]`: bill every retainer period started by
that day (default: today, UTC), as the worker does once a day.

Prints one line per invoice and exits 0 (also when nothing was due: a rerun bills
nothing twice); a bad date prints the problem and exits 1, billing nothing.
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.billing.services import retainers_bill_due
from opsdesk.common import clock
from opsdesk.common.actors import Actor


def _actor() -> Actor:
    try:
        return Actor(f"cli:{getpass.getuser()}")
    except Exception:  # no login name (a container without a passwd entry)
        return Actor("cli")


class Command(BaseCommand):
    help = "Bill the retainers whose period has started."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        bill = sub.add_parser("bill", help="issue the invoices of every period due")
        bill.add_argument("--date", default="", help="bill as of this day, YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = options["date"]
        if raw:
            try:
                today = dt.date.fromisoformat(raw)
            except ValueError:
                raise CommandError(f"--date: a date YYYY-MM-DD, got {raw!r}") from None
        else:
            today = clock.now().date()
        invoices = retainers_bill_due(today, _actor())
        for inv in invoices:
            self.stdout.write(
                f"{inv.number} {inv.customer} {inv.period_start:%Y-%m-%d} "
                f"{inv.total:.2f} {inv.currency}"
            )
        self.stdout.write(f"{len(invoices)} invoice(s) issued as of {today:%Y-%m-%d}")
