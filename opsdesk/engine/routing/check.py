"""An independent plan checker: every constraint, verified without the solver.

`check_plan(problem, plan, matrix)` recomputes travel from the matrix and
returns every violation it finds (an empty list for a valid plan). Kinds:

- `job`: a job planned twice, both planned and unplanned, neither, or unknown;
- `technician`: a route for an unknown technician, or two routes for one;
- `shift`: leaving home before the shift starts or back after it ends;
- `travel`: arriving before the previous stop (or home) plus the travel time allows,
  or back home too early;
- `window`: service starting before its arrival or outside the job's window;
- `duration`: a stop not lasting the job's duration;
- `skills`: a job on a technician lacking one of its skills;
- `stock`: a route using more of a part than its van holds;
- `capacity`: a route's demand over the van's capacity;
- `fixed`: a fixed job not on its technician, not at the head of the route in its
  order, unplanned, or not starting when it started.

A started job (`started_at` set) happened already: its window and the travel
into it are not checked, only that the plan keeps it as it is.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from opsdesk.engine.routing.model import Plan, Problem
from opsdesk.engine.routing.travel import TravelMatrix


@dataclass(frozen=True)
class Violation:
    kind: str
    subject: str  # a job or technician id
    message: str


def check_plan(problem: Problem, plan: Plan, matrix: TravelMatrix) -> list[Violation]:
    techs = {t.id: t for t in problem.technicians}
    jobs = {j.id: j for j in problem.jobs}
    tech_ids = list(techs)
    job_ids = list(jobs)
    mats = matrix.matrices([t.home for t in techs.values()] + [j.location for j in jobs.values()])
    home = {tid: n for n, tid in enumerate(tech_ids)}
    point = {jid: len(tech_ids) + n for n, jid in enumerate(job_ids)}
    out: list[Violation] = []

    def bad(kind: str, subject: str, message: str) -> None:
        out.append(Violation(kind, subject, message))

    planned = Counter(s.job_id for r in plan.routes for s in r.stops)
    left_out = Counter(u.job_id for u in plan.unplanned)
    for jid in sorted(set(planned) | set(left_out)):
        if jid not in jobs:
            bad("job", jid, "unknown job")
        elif planned[jid] + left_out[jid] > 1:
            bad("job", jid, f"planned {planned[jid]} times, unplanned {left_out[jid]} times")
    for jid in job_ids:
        if not planned[jid] and not left_out[jid]:
            bad("job", jid, "neither planned nor unplanned")

    seen: set[str] = set()
    for route in plan.routes:
        tid = route.technician_id
        tech = techs.get(tid)
        if tech is None:
            bad("technician", tid, "unknown technician")
            continue
        if tid in seen:
            bad("technician", tid, "two routes")
        seen.add(tid)
        if route.leave < tech.shift_start:
            bad("shift", tid, f"leaves at {route.leave}, before the shift starts")
        if route.back > tech.shift_end:
            bad("shift", tid, f"back at {route.back}, after the shift ends")
        place, free_at = home[tid], route.leave
        demand = 0
        used: Counter[str] = Counter()
        fixed_here = sorted(
            (j for j in jobs.values() if j.fixed_technician == tid),
            key=lambda j: (j.fixed_position or 0, job_ids.index(j.id)),
        )
        head = [s.job_id for s in route.stops[: len(fixed_here)]]
        if head != [j.id for j in fixed_here]:
            bad("fixed", tid, f"route starts {head}, fixed jobs are {[j.id for j in fixed_here]}")
        for stop in route.stops:
            job = jobs.get(stop.job_id)
            if job is None:
                continue
            travel = int(mats.durations[place, point[job.id]])
            if job.started_at is not None:
                if stop.start != job.started_at:
                    bad("fixed", job.id, f"started at {job.started_at}, planned at {stop.start}")
            else:
                if stop.arrival < free_at + _td(travel):
                    bad("travel", job.id, f"arrives at {stop.arrival}, {travel} s travel short")
                if stop.start < stop.arrival:
                    bad("window", job.id, f"starts at {stop.start} before arriving")
                if not job.window_start <= stop.start <= job.window_end:
                    bad("window", job.id, f"starts at {stop.start}, outside its window")
            if stop.end - stop.start != job.duration:
                bad("duration", job.id, f"lasts {stop.end - stop.start}, needs {job.duration}")
            if not job.skills <= tech.skills:
                missing = ", ".join(sorted(job.skills - tech.skills))
                bad("skills", job.id, f"{tid} lacks skill {missing}")
            if job.fixed_technician is not None and job.fixed_technician != tid:
                bad("fixed", job.id, f"fixed to {job.fixed_technician}, planned on {tid}")
            used.update(job.parts)
            demand += job.demand
            place, free_at = point[job.id], stop.end
        if route.stops and route.back < free_at + _td(int(mats.durations[place, home[tid]])):
            bad("travel", tid, f"back home at {route.back}, too early for the travel")
        for part, qty in sorted(used.items()):
            if qty > tech.stock.get(part, 0):
                bad("stock", tid, f"needs {qty} × {part}, the van holds {tech.stock.get(part, 0)}")
        if tech.capacity is not None and demand > tech.capacity:
            bad("capacity", tid, f"demand {demand} over capacity {tech.capacity}")

    for job in jobs.values():
        if job.fixed_technician is not None and left_out[job.id]:
            bad("fixed", job.id, "a fixed job is unplanned")
    return out


def _td(seconds: int) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)
