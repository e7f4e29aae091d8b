"""The route planner on six Solomon VRPTW instances, against the best-known solutions.

    .venv/bin/python bench/solomon.py                      # 60 s per instance
    .venv/bin/python bench/solomon.py --time-limit 10 --only R101 RC101

Each instance (bench/data/solomon/, see SOURCE.md) becomes a product problem:
25 technicians at the depot with the van capacity, the depot's opening hours
as their shift, one job per customer (window on the start of service, service
time as duration, demand), a large cost per technician used, and goes through
the same `opsdesk.engine.routing.plan` the product uses, then through the
independent checker. One coordinate unit is 1000 s and 1000 m, so the integer
matrices keep three decimals; the distance printed is recomputed from the
coordinates at full precision (the best-known solutions' convention).
Objective: technicians first, then distance. Target (2-core machine, 60 s per
instance): the best-known vehicle count on at least five of the six, within 1%
of the best-known distance wherever the count matches. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import math
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from opsdesk.engine.routing import Euclidean, Job, Plan, Problem, Technician, check_plan, plan  # noqa: E402

DATA = ROOT / "bench" / "data" / "solomon"
BKS = {
    "C101": (10, 828.94),
    "C201": (3, 591.56),
    "R101": (19, 1650.80),
    "R201": (4, 1252.37),
    "RC101": (14, 1696.95),
    "RC201": (4, 1406.94),
}
UNIT = 1000  # seconds and metres per coordinate unit
FLEET = 25
ORIGIN = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
MATRIX = Euclidean(metres_per_unit=UNIT, seconds_per_unit=UNIT)


def at(units: float) -> dt.datetime:
    return ORIGIN + dt.timedelta(seconds=round(units * UNIT))


def read(name: str) -> tuple[Problem, dict[str, tuple[float, float]]]:
    """The instance as a product problem, and each job's coordinates."""
    rows = [line.split() for line in (DATA / f"{name}.txt").read_text().splitlines()]
    rows = [r for r in rows if r]
    capacity = int(rows[0][0])
    nodes = [[float(x) for x in r] for r in rows[1:]]
    _, x0, y0, _, ready0, due0, _ = nodes[0]
    techs = tuple(
        Technician(f"v{k:02d}", (x0, y0), at(ready0), at(due0), capacity=capacity)
        for k in range(FLEET)
    )
    jobs = tuple(
        Job(
            f"c{int(n[0]):03d}",
            (n[1], n[2]),
            at(n[4]),
            at(n[5]),
            dt.timedelta(seconds=round(n[6] * UNIT)),
            demand=int(n[3]),
        )
        for n in nodes[1:]
    )
    # A technician costs more than any day's travel: fewest technicians first.
    problem = Problem(techs, jobs, technician_cost=10**9)
    coords = {"depot": (x0, y0)} | {j.id: j.location for j in jobs}
    return problem, coords


def distance(result: Plan, coords: dict[str, tuple[float, float]]) -> float:
    total = 0.0
    for route in result.routes:
        if not route.stops:
            continue
        path = ["depot"] + [s.job_id for s in route.stops] + ["depot"]
        total += sum(math.dist(coords[a], coords[b]) for a, b in itertools.pairwise(path))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=list(BKS), choices=list(BKS))
    args = parser.parse_args()
    print(f"# Solomon VRPTW, {args.time_limit:g} s per instance, seed {args.seed}")
    print(f"# {platform.python_version()}, {platform.machine()}, {platform.processor() or ''}")
    head = f"{'instance':8} {'veh':>4} {'bks':>4} {'distance':>9} {'bks':>9} {'gap':>7}"
    print(f"{head} {'time':>6} {'checker':>8}  result")
    met_vehicles = met = 0
    for name in args.only:
        problem, coords = read(name)
        started = time.perf_counter()
        result = plan(problem, MATRIX, time_limit_s=args.time_limit, seed=args.seed)
        took = time.perf_counter() - started
        violations = check_plan(problem, result, MATRIX)
        vehicles, dist = result.used_technicians, distance(result, coords)
        bv, bd = BKS[name]
        gap = 100 * (dist - bd) / bd
        same = vehicles == bv and not result.unplanned and not violations
        ok = same and gap <= 1.0
        met_vehicles += same
        met += ok
        verdict = "met" if ok else ("missed (distance)" if same else "missed (vehicles)")
        if result.unplanned:
            verdict += f", {len(result.unplanned)} unplanned"
        print(
            f"{name:8} {vehicles:>4} {bv:>4} {dist:>9.2f} {bd:>9.2f} {gap:>6.2f}% "
            f"{took:>5.1f}s {len(violations):>8}  {verdict}",
            flush=True,
        )
    n = len(args.only)
    print(
        f"\nbest-known vehicle count on {met_vehicles}/{n} (target 5/6); "
        f"within 1% where it matches: {met}/{met_vehicles}; "
        f"target {'met' if met_vehicles >= min(5, n) and met == met_vehicles else 'missed'}"
    )


if __name__ == "__main__":
    main()
