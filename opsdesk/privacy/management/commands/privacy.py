"""`opsdesk privacy`: a customer's personal data from the command line.

    opsdesk privacy audit CUSTOMER_ID            the audit log, newest first
    opsdesk privacy export CUSTOMER_ID OUT.zip   everything held about them (data.json + files)
    opsdesk privacy erase CUSTOMER_ID --reason TEXT --yes
    opsdesk privacy prune --older-than-days N [--dry-run]
                                                 delete audit views and exports older than N days

Export and erasure are recorded in the audit log as `cli:<login name>`. A bad
customer id, an existing OUT file, a missing --yes or a refusal (an open case)
prints the problem and exits 1, changing nothing; missing stored files are
printed after the export (which still holds everything else) and exit 2.
Pruning keeps data exports and erasures whatever their age; the worker prunes
daily when OPSDESK_AUDIT_RETENTION_DAYS is set.
"""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import DomainError
from opsdesk.customers.models import Customer
from opsdesk.privacy import audit, export, services
from opsdesk.privacy.selectors import audit_entries, audit_prunable


def _actor() -> Actor:
    try:
        return Actor(f"cli:{getpass.getuser()}")
    except Exception:  # no login name (a container without a passwd entry)
        return Actor("cli")


def _customer(customer_id: str) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise CommandError(f"no customer {customer_id!r}")
    return customer


class Command(BaseCommand):
    help = "A customer's audit log, data export (ZIP) and erasure (KVKK/GDPR)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        log = sub.add_parser("audit", help="who viewed or exported the customer's record")
        log.add_argument("customer_id")
        log.add_argument("--limit", type=int, default=100, help="newest entries (default 100)")
        out = sub.add_parser("export", help="everything held about the customer, as a ZIP")
        out.add_argument("customer_id")
        out.add_argument("out", help="the ZIP file to write (must not exist)")
        rm = sub.add_parser("erase", help="erase the customer's personal data")
        rm.add_argument("customer_id")
        rm.add_argument("--reason", required=True, help="why, e.g. the request's reference")
        rm.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
        prune = sub.add_parser("prune", help="delete audit views and exports older than N days")
        prune.add_argument("--older-than-days", type=int, required=True, metavar="N")
        prune.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "prune":
            self._prune(options["older_than_days"], options["dry_run"])
            return
        customer = _customer(options["customer_id"])
        if action == "audit":
            self._audit(customer, options["limit"])
        elif action == "export":
            self._export(customer, Path(options["out"]))
        else:
            self._erase(customer, options["reason"], options["yes"])

    def _audit(self, customer: Customer, limit: int) -> None:
        entries = list(audit_entries(customer.pk)[: max(1, limit)])
        for e in entries:
            what = e.action + (f"/{e.format}" if e.format else "")
            self.stdout.write(
                f"{e.at:%Y-%m-%d %H:%M:%S} {e.username} {what} {e.surface} "
                f"{e.case_id or '-'} {e.route or '-'} {e.ip or '-'}"
            )
        self.stdout.write(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")

    def _export(self, customer: Customer, path: Path) -> None:
        if path.exists():
            raise CommandError(f"{path} exists: choose a new file")
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} is not a directory")
        with path.open("xb") as out:
            problems = export.data_export(customer, out, audit.cli_access("privacy export"))
        for p in problems:
            self.stderr.write(p)
        self.stdout.write(f"{customer.pk}: written to {path}")
        if problems:
            raise CommandError(f"{len(problems)} stored file(s) missing", returncode=2)

    def _erase(self, customer: Customer, reason: str, yes: bool) -> None:
        if not yes:
            raise CommandError("erasure cannot be undone: add --yes to confirm")
        actor = _actor()
        access = audit.cli_access("privacy erase")
        try:
            result = services.customer_erase(customer, actor, reason, access=access)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        if result.already:
            self.stdout.write(f"{customer.pk}: already erased, nothing changed")
            return
        self.stdout.write(
            f"{customer.pk}: erased ({sum(result.rows.values())} rows changed, "
            f"{len(result.files)} file(s) deleted)"
        )

    def _prune(self, days: int, dry_run: bool) -> None:
        if days < 1:
            raise CommandError(f"--older-than-days must be 1 or more, got {days}")
        before = clock.now() - dt.timedelta(days=days)
        if dry_run:
            n = audit_prunable(before).count()
            self.stdout.write(f"{n} audit entries before {before:%Y-%m-%d %H:%M} would be deleted")
            return
        n = services.audit_prune(before)
        self.stdout.write(f"{n} audit entries before {before:%Y-%m-%d %H:%M} deleted")
