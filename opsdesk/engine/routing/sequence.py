"""Times for a route in a given order: what a dispatcher's move produces.

`route_times` schedules each job as early as travel and its window allow
(a started job keeps the time it started), without judging the result: the
checker (`check.check_plan`) says whether the route keeps every constraint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from opsdesk.engine.routing.model import Problem, Route, Stop
from opsdesk.engine.routing.travel import TravelMatrix


def route_times(
    problem: Problem, technician_id: str, job_ids: Sequence[str], matrix: TravelMatrix
) -> Route:
    tech = next(t for t in problem.technicians if t.id == technician_id)
    jobs = {j.id: j for j in problem.jobs}
    order = [jobs[j] for j in job_ids]
    mats = matrix.matrices([tech.home, *(j.location for j in order)])
    stops: list[Stop] = []
    place, free_at = 0, tech.shift_start
    travel_s = distance_m = 0
    for n, job in enumerate(order, start=1):
        seconds = int(mats.durations[place, n])
        arrival = free_at + dt.timedelta(seconds=seconds)
        if job.started_at is not None:
            start = job.started_at
            arrival = min(arrival, start)
        else:
            start = max(arrival, job.window_start)
        stops.append(Stop(job.id, arrival, start, start + job.duration))
        travel_s += seconds
        distance_m += int(mats.distances[place, n])
        place, free_at = n, start + job.duration
    back = free_at
    if order:
        back += dt.timedelta(seconds=int(mats.durations[place, 0]))
        travel_s += int(mats.durations[place, 0])
        distance_m += int(mats.distances[place, 0])
    return Route(technician_id, tech.shift_start, back, tuple(stops), travel_s, distance_m)
