"""A generated day: 60 technicians, 1,200 jobs with skills and van stock.

    .venv/bin/python bench/routing_day.py --time-limits 1 10 30

Istanbul-like coordinates, straight-line travel at 30 km/h, seeded random
skills, stock, windows and priorities. Prints the time to the plan, its
travel and unplanned count (and the independent checker's verdict), and in
the same run a nearest-neighbour baseline: each technician in turn drives to
the nearest job it may serve (skills, van stock, window, back by shift end).
Nothing here asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from opsdesk.engine.routing import Job, Problem, StraightLine, Technician, check_plan, plan  # noqa: E402

DAY = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)  # 08:00 in Istanbul
SKILLS = ("boiler", "ac", "electric", "gas", "plumbing", "fiber")
PARTS = ("valve", "filter", "pump", "thermostat", "cable", "router")
MATRIX = StraightLine(speed_kmh=30.0)


def at(minutes: float) -> dt.datetime:
    return DAY + dt.timedelta(minutes=round(minutes))


def day(seed: int, n_tech: int = 60, n_jobs: int = 1200) -> Problem:
    rng = random.Random(seed)

    def spot() -> tuple[float, float]:
        return (rng.uniform(40.95, 41.10), rng.uniform(28.80, 29.15))

    techs = tuple(
        Technician(
            f"t{k:02d}",
            spot(),
            at(0),
            at(600),
            skills=frozenset(rng.sample(SKILLS, 3)),
            stock={p: rng.randint(0, 6) for p in PARTS},
        )
        for k in range(n_tech)
    )
    jobs = []
    for i in range(n_jobs):
        slot = rng.choice([0, 120, 240, 360])
        jobs.append(
            Job(
                f"j{i:04d}",
                spot(),
                at(slot),
                at(slot + rng.choice([120, 240])),
                dt.timedelta(minutes=rng.choice([15, 20, 30])),
                skills=frozenset(rng.sample(SKILLS, 1)) if rng.random() < 0.7 else frozenset(),
                parts={rng.choice(PARTS): 1} if rng.random() < 0.3 else {},
                priority=rng.choice([0, 0, 0, 1, 2]),
            )
        )
    return Problem(techs, tuple(jobs))


def nearest_neighbour(problem: Problem) -> tuple[int, int, int]:
    """(served, travel seconds, metres) of the greedy baseline."""
    techs, jobs = problem.technicians, problem.jobs
    mats = MATRIX.matrices([t.home for t in techs] + [j.location for j in jobs])
    n = len(techs)
    left = set(range(len(jobs)))
    served = travel = metres = 0
    for k, tech in enumerate(techs):
        stock, place = dict(tech.stock), k
        t = tech.shift_start
        while True:
            best = None
            for i in left:
                job = jobs[i]
                if not job.skills <= tech.skills:
                    continue
                if any(stock.get(p, 0) < q for p, q in job.parts.items()):
                    continue
                arrive = t + dt.timedelta(seconds=int(mats.durations[place, n + i]))
                start = max(arrive, job.window_start)
                end = start + job.duration
                home = end + dt.timedelta(seconds=int(mats.durations[n + i, k]))
                if start > job.window_end or home > tech.shift_end:
                    continue
                d = int(mats.durations[place, n + i])
                if best is None or d < best[0]:
                    best = (d, i, end)
            if best is None:
                break
            d, i, t = best
            travel += d
            metres += int(mats.distances[place, n + i])
            place = n + i
            left.discard(i)
            served += 1
            for p, q in jobs[i].parts.items():
                stock[p] -= q
        if place != k:
            travel += int(mats.durations[place, k])
            metres += int(mats.distances[place, k])
    return served, travel, metres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limits", type=float, nargs="+", default=[1.0, 10.0, 30.0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    problem = day(args.seed)
    print(f"# {len(problem.technicians)} technicians, {len(problem.jobs)} jobs, seed {args.seed}")
    for limit in args.time_limits:
        started = time.perf_counter()
        result = plan(problem, MATRIX, time_limit_s=limit, seed=args.seed)
        took = time.perf_counter() - started
        violations = check_plan(problem, result, MATRIX)
        served = len(problem.jobs) - len(result.unplanned)
        print(
            f"planner (limit {limit:g} s): {took:.1f} s, served {served}, "
            f"unplanned {len(result.unplanned)}, travel {result.travel_s / 3600:.1f} h, "
            f"{result.distance_m / 1000:.0f} km, "
            f"travel per job {result.travel_s / max(served, 1) / 60:.1f} min, "
            f"checker violations {len(violations)}",
            flush=True,
        )
    reasons: dict[str, int] = {}
    for u in result.unplanned:
        key = u.reason.split(" (")[0]
        reasons[key] = reasons.get(key, 0) + 1
    print(f"unplanned reasons (last run): {reasons}")
    started = time.perf_counter()
    nn_served, nn_travel, nn_metres = nearest_neighbour(problem)
    print(
        f"nearest-neighbour baseline: {time.perf_counter() - started:.1f} s, served {nn_served}, "
        f"unplanned {len(problem.jobs) - nn_served}, travel {nn_travel / 3600:.1f} h, "
        f"{nn_metres / 1000:.0f} km, travel per job {nn_travel / max(nn_served, 1) / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
