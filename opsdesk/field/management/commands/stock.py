"""`opsdesk stock receive|transfer|levels`: stock for operators.

    opsdesk stock receive LOCATION SKU QTY [--note TEXT]
    opsdesk stock transfer FROM TO SKU QTY [--note TEXT]
    opsdesk stock levels [LOCATION]

Locations are named by id or name. Bad input exits non-zero with the reason,
and then nothing is written.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.field.models import StockLocation
from opsdesk.field.selectors import location_by_ref, stock_levels
from opsdesk.field.services import stock_receive, stock_transfer


def _location(ref: str, what: str) -> StockLocation:
    location = location_by_ref(ref)
    if location is None:
        raise CommandError(f"{what}: no stock location with id or name {ref!r}")
    return location


def _quantity(raw: str) -> int:
    try:
        qty = int(raw)
    except ValueError:
        qty = 0
    if qty <= 0:
        raise CommandError(f"quantity: a whole number above 0, got {raw!r}")
    return qty


def _actor() -> Actor:
    try:
        return Actor(f"cli:{getpass.getuser()}")
    except Exception:  # no login name (a container without a passwd entry)
        return Actor("cli")


class Command(BaseCommand):
    help = "Receive stock, transfer it between warehouses and vans, and list levels."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        receive = sub.add_parser("receive", help="parts received from a supplier")
        receive.add_argument("location", help="a location's id or name")
        receive.add_argument("sku")
        receive.add_argument("quantity")
        receive.add_argument("--note", default="")
        transfer = sub.add_parser("transfer", help="parts from one location to another")
        transfer.add_argument("source", help="the location the parts leave (id or name)")
        transfer.add_argument("target", help="the location they go to (id or name)")
        transfer.add_argument("sku")
        transfer.add_argument("quantity")
        transfer.add_argument("--note", default="")
        levels = sub.add_parser("levels", help="what every location (or one) holds")
        levels.add_argument("location", nargs="?", help="a location's id or name")
        levels.add_argument("--all", action="store_true", help="also list zero levels")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "receive":
                self._receive(options)
            elif action == "transfer":
                self._transfer(options)
            else:
                self._levels(options)
        except ValidationFailed as exc:
            lines = [f"  {k}: {'; '.join(v)}" for k, v in exc.errors.items()]
            raise CommandError("nothing written:\n" + "\n".join(lines)) from None
        except Conflict as exc:
            raise CommandError(f"nothing written: {exc}") from None

    def _receive(self, options: dict[str, Any]) -> None:
        location = _location(options["location"], "location")
        qty = _quantity(options["quantity"])
        move = stock_receive(location, options["sku"], qty, _actor(), note=options["note"])
        self.stdout.write(f"received {qty} of {move.part.sku} into {location.name}")

    def _transfer(self, options: dict[str, Any]) -> None:
        source = _location(options["source"], "from")
        target = _location(options["target"], "to")
        qty = _quantity(options["quantity"])
        move = stock_transfer(source, target, options["sku"], qty, _actor(), note=options["note"])
        self.stdout.write(
            f"moved {qty} of {move.part.sku} from {source.name} to {target.name} ({move.kind})"
        )

    def _levels(self, options: dict[str, Any]) -> None:
        location = _location(options["location"], "location") if options["location"] else None
        rows = stock_levels(location)
        if not options["all"]:
            rows = rows.filter(quantity__gt=0)
        rows = list(rows)
        if not rows:
            self.stdout.write("no stock")
            return
        width = max(len(r.location.name) for r in rows)
        sku_width = max(len(r.part.sku) for r in rows)
        for r in rows:
            self.stdout.write(
                f"{r.location.name:<{width}}  {r.part.sku:<{sku_width}}  {r.quantity:>6}  "
                f"{r.part.name}"
            )
