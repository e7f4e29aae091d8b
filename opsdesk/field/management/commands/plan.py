"""`opsdesk plan routes`: plan a day's work orders onto technicians' routes.

    opsdesk plan routes --date YYYY-MM-DD [--time-limit S] [--seed N]

Prints each technician's ordered stops (local start time, work order, address),
the unplanned work orders with the reason, and a summary. Bad input exits
non-zero and writes nothing; a day with nothing to plan says so and exits 0.
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict
from opsdesk.field.planning import PlanResult, routes_plan


def _actor() -> Actor:
    try:
        return Actor(f"cli:{getpass.getuser()}")
    except Exception:  # no login name (a container without a passwd entry)
        return Actor("cli")


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"--date: a date as YYYY-MM-DD, got {raw!r}") from None


def _stops(n: int) -> str:
    return "1 stop" if n == 1 else f"{n} stops"


class Command(BaseCommand):
    help = "Plan a day's work orders onto technicians' routes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        routes = sub.add_parser("routes", help="plan and write a day's routes")
        routes.add_argument("--date", required=True, help="the local date, YYYY-MM-DD")
        routes.add_argument("--time-limit", type=float, default=10.0, help="solver seconds")
        routes.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        date = _date(options["date"])
        limit = options["time_limit"]
        if not 0 < limit <= 3600:
            raise CommandError(f"--time-limit: seconds from 0 to 3600, got {limit}")
        try:
            result = routes_plan(date, actor=_actor(), time_limit_s=limit, seed=options["seed"])
        except Conflict as exc:
            raise CommandError(str(exc)) from None
        self._print(result)

    def _print(self, result: PlanResult) -> None:
        ctx = result.context
        if result.nothing_to_plan:
            self.stdout.write(f"nothing to plan on {result.date.isoformat()}")
            return
        for route in result.plan.routes:
            tech = ctx.technicians[route.technician_id]
            zone = ctx.zones[route.technician_id]
            head = f"{tech.agent.name} ({tech.id})"
            if not route.stops:
                self.stdout.write(f"{head}: no stops")
                continue
            self.stdout.write(
                f"{head}: {_stops(len(route.stops))}, leaves {route.leave.astimezone(zone):%H:%M}, "
                f"back {route.back.astimezone(zone):%H:%M}, {route.distance_m / 1000:.1f} km"
            )
            for n, stop in enumerate(route.stops, start=1):
                wo = ctx.work_orders[stop.job_id]
                mark = " (started)" if stop.job_id in ctx.started else ""
                self.stdout.write(
                    f"  {n}. {stop.start.astimezone(zone):%H:%M}  {wo.id}  "
                    f"{wo.address or '-'}{mark}"
                )
        for tech_id, why in sorted(ctx.off.items()):
            self.stdout.write(f"off: {tech_id} ({why})")
        if result.plan.unplanned:
            self.stdout.write("unplanned:")
            for item in result.plan.unplanned:
                self.stdout.write(f"  {item.job_id}  {item.reason}")
        self.stdout.write(
            f"{result.date.isoformat()}: {result.planned} planned, {result.unplanned} unplanned, "
            f"{result.started} started; {result.plan.used_technicians} technicians, "
            f"{result.plan.distance_m / 1000:.1f} km, {result.plan.travel_s // 60} min travel"
        )
