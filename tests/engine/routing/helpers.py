"""Small hand-built and generated routing problems for the planner's tests."""

from __future__ import annotations

import datetime as dt
import random

from opsdesk.engine.routing import Euclidean, Job, Problem, Technician

DAY = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)
# One coordinate unit is one minute of travel and 1 km.
MATRIX = Euclidean(metres_per_unit=1000, seconds_per_unit=60)


def at(hours: float) -> dt.datetime:
    return DAY + dt.timedelta(seconds=round(hours * 3600))


def tech(tid: str, home: tuple[float, float] = (0, 0), **kw: object) -> Technician:
    kw.setdefault("shift_start", at(2))
    kw.setdefault("shift_end", at(12))
    return Technician(tid, home, **kw)  # type: ignore[arg-type]


def job(jid: str, where: tuple[float, float], **kw: object) -> Job:
    kw.setdefault("window_start", at(2))
    kw.setdefault("window_end", at(11))
    kw.setdefault("duration", dt.timedelta(minutes=30))
    return Job(jid, where, **kw)  # type: ignore[arg-type]


SKILLS = ("boiler", "ac", "electric", "gas")
PARTS = ("valve", "filter", "pump")


def generated(seed: int, n_tech: int = 4, n_jobs: int = 30) -> Problem:
    """A random problem with skills, parts, windows and staggered shifts."""
    rng = random.Random(seed)
    techs = tuple(
        tech(
            f"t{k}",
            (rng.uniform(-10, 10), rng.uniform(-10, 10)),
            shift_start=at(rng.choice([2, 3])),
            shift_end=at(rng.choice([9, 10, 11])),
            skills=frozenset(rng.sample(SKILLS, 2)),
            stock={p: rng.randint(0, 4) for p in PARTS},
        )
        for k in range(n_tech)
    )
    jobs = []
    for i in range(n_jobs):
        start = rng.uniform(2, 9)
        jobs.append(
            job(
                f"j{i}",
                (rng.uniform(-20, 20), rng.uniform(-20, 20)),
                window_start=at(start),
                window_end=at(start + rng.choice([1, 2, 4])),
                duration=dt.timedelta(minutes=rng.choice([20, 30, 45])),
                skills=frozenset(rng.sample(SKILLS, rng.choice([0, 1]))),
                parts={rng.choice(PARTS): 1} if rng.random() < 0.4 else {},
                priority=rng.choice([0, 0, 1, 2]),
            )
        )
    return Problem(techs, tuple(jobs))
