"""`plan(problem, matrix, time_limit_s, seed) -> Plan`: the day's routes through PyVRP.

How the product's constraints map onto the solver:

- shifts: one vehicle per technician, leaving home (or the place of its last
  fixed job, when that job ends) no earlier than the shift start and back home
  by the shift end;
- time windows: the client's window on the start of service, with the job's
  duration as service time;
- skills and van stock as load dimensions, which makes them exact: a job
  needing skill S loads 1 unit of "S", and only technicians with S have room
  for it; a job needing 2 of part P loads 2 units of "P" and a van holds as
  many as it carries, so a route never uses more of a part than its van has;
- priorities: every job is an optional client with a prize far above any
  detour, growing with the priority, so the solver drops a job only when no
  route has room, and then the lowest priority first;
- fixed (started) jobs are not given to the solver: they are the head of
  their technician's route, and the rest of the route starts where and when
  the last of them ends.

Jobs that nobody can serve are reported before solving with the reason;
jobs the solver leaves out are "no room in any route".
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

from opsdesk.engine.routing.model import Job, Plan, Problem, Route, Stop, Technician, Unplanned
from opsdesk.engine.routing.travel import Matrices, TravelMatrix

Sec = Callable[[dt.datetime], int]  # a datetime as seconds from the problem's origin
_TICK = dt.timedelta(microseconds=1)


def _down(sec: Sec, at: dt.datetime) -> int:
    """`at` in whole seconds rounded down (`sec` rounds up): for deadlines."""
    return sec(at + _TICK) - 1


@dataclass
class _Head:
    """A technician's route before the solver's part: fixed jobs, then where and when
    the solver's part starts, and what is left in the van."""

    stops: list[tuple[int, int, int, int]]  # (job index, arrival, start, end)
    place: int  # point index the solver's part starts from
    ready: int  # seconds from the origin
    stock: dict[str, int]
    load: int  # demand already on the route
    leave: int


def plan(problem: Problem, matrix: TravelMatrix, time_limit_s: float = 10.0, seed: int = 0) -> Plan:
    """Assign and order the problem's jobs; see the module docstring for the model."""
    techs, jobs = problem.technicians, problem.jobs
    if not techs:
        return Plan((), tuple(Unplanned(j.id, "no technicians") for j in jobs))
    origin = min(t.shift_start for t in techs)
    points = [t.home for t in techs] + [j.location for j in jobs]
    mats = matrix.matrices(points)
    n_tech = len(techs)

    def sec(at: dt.datetime) -> int:  # whole seconds, rounded up: never earlier than `at`
        return math.ceil((at - origin).total_seconds())

    unplanned: list[Unplanned] = []
    heads, fixed_bad = _heads(problem, mats, sec)
    unplanned += fixed_bad
    free: list[int] = []  # job indices for the solver
    for i, job in enumerate(jobs):
        if job.is_fixed:
            continue
        reason = _reason(job, n_tech + i, techs, heads, mats, sec)
        if reason:
            unplanned.append(Unplanned(job.id, reason))
        else:
            free.append(i)

    assigned: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    usable = [k for k in range(n_tech) if heads[k].ready <= _down(sec, techs[k].shift_end)]
    if free and usable:
        assigned, starts = _solve(problem, mats, heads, free, usable, sec, time_limit_s, seed)
    served = {i for route in assigned.values() for i in route}
    for i in free:
        if i not in served:
            n_ok = len(_eligible(jobs[i], n_tech + i, techs, heads, mats, sec))
            unplanned.append(
                Unplanned(jobs[i].id, f"no room in any route ({n_ok} eligible technicians)")
            )

    routes = []
    for k, tech in enumerate(techs):
        routes.append(
            _route(tech, k, heads[k], assigned.get(k, []), starts.get(k), jobs, mats, origin)
        )
    order = {j.id: n for n, j in enumerate(jobs)}
    unplanned.sort(key=lambda u: order.get(u.job_id, 0))
    return Plan(tuple(routes), tuple(unplanned))


def _heads(problem: Problem, mats: Matrices, sec: Sec) -> tuple[list[_Head], list[Unplanned]]:
    techs, jobs = problem.technicians, problem.jobs
    n_tech = len(techs)
    index = {t.id: k for k, t in enumerate(techs)}
    fixed: dict[int, list[int]] = {}
    bad: list[Unplanned] = []
    for i, job in enumerate(jobs):
        if job.fixed_technician is None:
            continue
        k = index.get(job.fixed_technician)
        if k is None:
            bad.append(Unplanned(job.id, f"fixed to unknown technician {job.fixed_technician}"))
        else:
            fixed.setdefault(k, []).append(i)
    heads = []
    for k, tech in enumerate(techs):
        t = sec(tech.shift_start)
        place, stock, load = k, dict(tech.stock), 0
        stops: list[tuple[int, int, int, int]] = []
        leave = t
        for i in sorted(fixed.get(k, []), key=lambda i: (jobs[i].fixed_position or 0, i)):
            job = jobs[i]
            arrival = t + int(mats.durations[place, n_tech + i])
            if job.started_at is not None:
                start = sec(job.started_at)
                arrival = min(arrival, start)
            else:
                start = max(arrival, sec(job.window_start))
            end = start + int(job.duration.total_seconds())
            stops.append((i, arrival, start, end))
            t, place = end, n_tech + i
            load += job.demand
            for part, qty in job.parts.items():
                stock[part] = stock.get(part, 0) - qty
        heads.append(_Head(stops, place, t, stock, load, leave))
    return heads, bad


def _eligible(
    job: Job, point: int, techs: Sequence[Technician], heads: list[_Head], mats: Matrices, sec: Sec
) -> list[int]:
    return [k for k in range(len(techs)) if not _why_not(job, point, techs[k], k, heads, mats, sec)]


def _why_not(
    job: Job, point: int, tech: Technician, k: int, heads: list[_Head], mats: Matrices, sec: Sec
) -> str:
    head = heads[k]
    if not job.skills <= tech.skills:
        return "skills"
    if any(head.stock.get(p, 0) < q for p, q in job.parts.items()):
        return "parts"
    if tech.capacity is not None and head.load + job.demand > tech.capacity:
        return "capacity"
    arrival = head.ready + int(mats.durations[head.place, point])
    start = max(arrival, sec(job.window_start))
    back = start + int(job.duration.total_seconds()) + int(mats.durations[point, k])
    if start > _down(sec, job.window_end) or back > _down(sec, tech.shift_end):
        return "time"
    return ""


def _reason(
    job: Job, point: int, techs: Sequence[Technician], heads: list[_Head], mats: Matrices, sec: Sec
) -> str:
    """Why nobody can serve `job` (empty if someone can, as far as a lone job goes)."""
    if job.window_end < job.window_start or job.duration < dt.timedelta(0):
        return "invalid time window or duration"
    why = [_why_not(job, point, t, k, heads, mats, sec) for k, t in enumerate(techs)]
    if "" in why:
        return ""
    missing = sorted(s for s in job.skills if not any(s in t.skills for t in techs))
    if missing:
        return f"no technician has skill {', '.join(missing)}"
    if all(w == "skills" for w in why):
        return f"no technician has all the skills {', '.join(sorted(job.skills))}"
    skilled = [k for k, w in enumerate(why) if w != "skills"]
    for part, qty in sorted(job.parts.items()):
        if not any(heads[k].stock.get(part, 0) >= qty for k in range(len(techs))):
            return f"no van holds part {part}" if qty == 1 else f"no van holds {qty} × {part}"
    if all(why[k] == "parts" for k in skilled):
        return "no technician with the skills has the parts in the van"
    if all(why[k] in ("parts", "capacity") for k in skilled):
        return "demand exceeds the capacity of every eligible van"
    return "no eligible technician can reach it within its time window and shift"


def _solve(
    problem: Problem,
    mats: Matrices,
    heads: list[_Head],
    free: list[int],
    usable: list[int],
    sec: Sec,
    time_limit_s: float,
    seed: int,
) -> tuple[dict[int, list[int]], dict[int, int]]:
    techs, jobs = problem.technicians, problem.jobs
    n_tech = len(techs)
    sub = [jobs[i] for i in free]
    skills = sorted(
        {s for j in sub for s in j.skills if not all(s in techs[k].skills for k in usable)}
    )
    parts = sorted({p for j in sub for p in j.parts})
    has_capacity = any(j.demand for j in sub) and any(techs[k].capacity is not None for k in usable)
    n_sub = len(sub)
    big = sum(j.demand for j in sub) + n_sub + 1
    dist = mats.distances
    base = 10 * (int(dist.max()) + problem.technician_cost) + 1
    top_prize = base * (1 + max((max(0, j.priority) for j in sub), default=0))
    # A unit of skill or part over a van's room must cost more than any prize, even at
    # the solver's smallest penalty (0.1), so no plan gains by breaking eligibility.
    unit = 20 * top_prize

    def load(job: Job) -> list[int]:
        row = [job.demand] if has_capacity else []
        row += [unit if s in job.skills else 0 for s in skills]
        return row + [unit * job.parts.get(p, 0) for p in parts]

    def room(k: int) -> list[int]:
        tech, head = techs[k], heads[k]
        row = []
        if has_capacity:
            row.append(big if tech.capacity is None else max(0, tech.capacity - head.load))
        row += [unit * big if s in tech.skills else 0 for s in skills]
        return row + [unit * max(0, head.stock.get(p, 0)) for p in parts]

    # Locations: the points of the technicians' homes, the solver's jobs and the
    # places where re-planned routes start (a fixed job's point).
    starts_at = sorted({heads[k].place for k in usable if heads[k].place >= n_tech})
    keep = list(range(n_tech)) + [n_tech + i for i in free] + starts_at
    keep_idx = {p: n for n, p in enumerate(keep)}
    dist = np.ascontiguousarray(dist[np.ix_(keep, keep)], dtype=np.int64)
    dur = np.ascontiguousarray(mats.durations[np.ix_(keep, keep)], dtype=np.int64)
    locations = [pyvrp.Location(x=0, y=0) for _ in keep]

    clients = [
        pyvrp.Client(
            location=n_tech + n,
            delivery=load(job),
            service_duration=int(job.duration.total_seconds()),
            tw_early=max(0, sec(job.window_start)),
            tw_late=_down(sec, job.window_end),
            prize=base * (1 + max(0, job.priority)),
            required=False,
            name=job.id,
        )
        for n, job in enumerate(sub)
    ]
    # Technicians alike in everything the solver sees share one vehicle type.
    groups: dict[tuple[object, ...], list[int]] = {}
    for k in usable:
        tech, head = techs[k], heads[k]
        start = head.place if head.place >= n_tech else -1  # a fixed job's point, or home
        key = (tech.home, start, head.ready, _down(sec, tech.shift_end), tuple(room(k)))
        groups.setdefault(key, []).append(k)
    depots, vehicle_types, members = [], [], []
    for ks in groups.values():
        k = ks[0]
        tech, head = techs[k], heads[k]
        depots.append(pyvrp.Depot(location=keep_idx[head.place]))
        depots.append(pyvrp.Depot(location=k))
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=len(ks),
                capacity=room(k),
                start_depot=len(depots) - 2,
                end_depot=len(depots) - 1,
                fixed_cost=problem.technician_cost,
                tw_early=head.ready,
                tw_late=_down(sec, tech.shift_end),
                name=",".join(techs[m].id for m in ks),
            )
        )
        members.append(list(ks))
    data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, [dist], [dur])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # penalty-bound warnings on hard instances
        result = pyvrp.solve(data, stop=MaxRuntime(time_limit_s), seed=seed, display=False)
    assigned: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    for route in result.best.routes():
        if not route.is_feasible():  # never kept: its jobs are reported as no room
            continue
        k = members[route.vehicle_type()].pop(0)
        assigned[k] = [free[a.idx] for a in route if a.is_client()]
        starts[k] = int(route.start_time())
    return assigned, starts


def _route(
    tech: Technician,
    k: int,
    head: _Head,
    order: list[int],
    start: int | None,
    jobs: Sequence[Job],
    mats: Matrices,
    origin: dt.datetime,
) -> Route:
    n_tech = len(mats.durations) - len(jobs)

    def at(s: int) -> dt.datetime:
        return origin + dt.timedelta(seconds=s)

    stops = [Stop(jobs[i].id, at(a), at(s), at(e)) for i, a, s, e in head.stops]
    travel = dist = 0
    place = k
    for i, *_ in head.stops:
        travel += int(mats.durations[place, n_tech + i])
        dist += int(mats.distances[place, n_tech + i])
        place = n_tech + i
    leave = head.leave if head.stops or start is None else max(head.leave, start)
    t = head.ready if head.stops else leave
    for i in order:
        job, point = jobs[i], n_tech + i
        arrival = t + int(mats.durations[place, point])
        begin = max(arrival, math.ceil((job.window_start - origin).total_seconds()))
        t = begin + int(job.duration.total_seconds())
        stops.append(Stop(job.id, at(arrival), at(begin), at(t)))
        travel += int(mats.durations[place, point])
        dist += int(mats.distances[place, point])
        place = point
    if stops:
        travel += int(mats.durations[place, k])
        dist += int(mats.distances[place, k])
        back = t + int(mats.durations[place, k])
    else:
        leave = back = head.leave
    return Route(tech.id, at(leave), at(back), tuple(stops), travel, dist)
