"""Dispatch on a big day: plan 60 technicians / 1,200 work orders from the
database, then move work orders between routes the way a dispatcher drags them.

    .venv/bin/python bench/dispatch.py --db sqlite
    .venv/bin/python bench/dispatch.py --db both --moves 30

The day is bench/routing_day.py's generated one (same seed), written as real
rows: agents, technicians, vans with stock, work orders. It prints the time of
`opsdesk plan routes` (routes_plan, 10 s solver limit), then per move through
`route_move` (read the day, re-time the routes, check the whole day, write);
the baseline in the same run is the independent checker alone on the same day
(`check_plan` with the matrix already in hand is the floor a move cannot go
below). Moves the checker refuses count as refused (they write nothing).
Nothing here asserts; it prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from typing import Any

from _setup import (
    add_db_argument,
    configure_django,
    database_version,
    fmt_ms,
    fresh_database,
    header,
    run_per_database,
    summary_ms,
)
from routing_day import PARTS, day

DATE = dt.date(2026, 11, 23)


def seed(problem: Any) -> None:
    from decimal import Decimal

    from opsdesk.field.models import (
        Part,
        StockLevel,
        StockLocation,
        Technician,
        WorkOrder,
    )
    from opsdesk.staff.services import agent_create

    parts = {p: Part.objects.create(sku=p, name=p, unit_price=Decimal("10.00")) for p in PARTS}
    for t in problem.technicians:
        agent = agent_create(username=t.id, name=f"Tech {t.id}", password=None)
        tech = Technician.objects.create(
            agent=agent,
            home_latitude=t.home[0],
            home_longitude=t.home[1],
            skills=sorted(t.skills),
            shift_start=dt.time(8, 0),
            shift_end=dt.time(18, 0),
        )
        van = StockLocation.objects.create(kind="VAN", name=f"Van {t.id}", technician=tech)
        StockLevel.objects.bulk_create(
            StockLevel(location=van, part=parts[p], quantity=q) for p, q in t.stock.items()
        )
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    WorkOrder.objects.bulk_create(
        WorkOrder(
            id=f"wo_{j.id}",
            latitude=j.location[0],
            longitude=j.location[1],
            window_start=j.window_start,
            window_end=j.window_end,
            duration_minutes=int(j.duration.total_seconds() // 60),
            required_skills=sorted(j.skills),
            required_parts=dict(j.parts),
            priority=("MEDIUM", "HIGH", "URGENT")[j.priority],
            created_at=now,
            updated_at=now,
        )
        for j in problem.jobs
    )


def main(kind: str, moves: int, time_limit: float) -> int:
    url, cleanup = fresh_database(kind)
    configure_django(url)
    try:
        from django.core.management import call_command

        from opsdesk.common import clock
        from opsdesk.common.actors import Actor
        from opsdesk.engine.routing import check_plan
        from opsdesk.field import dispatch
        from opsdesk.field.models import Technician, WorkOrder
        from opsdesk.field.planning import PlanRejected, day_problem, default_matrix, routes_plan

        call_command("migrate", verbosity=0)
        header(f"Dispatch on a generated day: {kind} ({database_version()})")
        problem = day(1)
        seed(problem)
        actor = Actor("bench")
        before = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)  # 07:00 Istanbul, before shifts
        with clock.frozen(before):
            started = time.perf_counter()
            result = routes_plan(DATE, actor=actor, time_limit_s=time_limit)
            plan_s = time.perf_counter() - started
        print(
            f"plan routes ({time_limit:g} s solver limit): {plan_s:.1f} s, "
            f"{result.planned} planned, {result.unplanned} unplanned"
        )

        rng = random.Random(7)
        techs = list(Technician.objects.values_list("pk", flat=True))
        planned = list(
            WorkOrder.objects.filter(status="PLANNED").order_by("pk").values_list("pk", flat=True)
        )
        move_s: list[float] = []
        refused = 0
        with clock.frozen(before):
            for _ in range(moves):
                wo, tech = rng.choice(planned), rng.choice(techs)
                started = time.perf_counter()
                try:
                    dispatch.route_move(wo, tech, 1, actor=actor)
                except PlanRejected:
                    refused += 1
                move_s.append(time.perf_counter() - started)
            matrix = default_matrix()
            prob, context = day_problem(DATE, now=before)
            current = dispatch._plan(prob, dispatch._routes(context), matrix)
            check_s = []
            for _ in range(5):
                started = time.perf_counter()
                check_plan(prob, current, matrix)
                check_s.append(time.perf_counter() - started)
        print(
            f"route_move, {moves} moves ({refused} refused by the checker): "
            + fmt_ms(summary_ms(move_s))
        )
        print(f"baseline, check_plan alone on the same day: {fmt_ms(summary_ms(check_s))}")
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_db_argument(parser)
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    sys.exit(run_per_database(args, lambda kind: main(kind, args.moves, args.time_limit)))
