"""A route-planning problem and its plan, in product terms.

Coordinates are `(lat, lon)` for the default straight-line matrix (or `(x, y)`
for a planar one); times are timezone-aware datetimes; quantities are ints.
A job's time window bounds the *start* of its service (the technician may
arrive early and wait). A technician leaves home at the earliest at
`shift_start` and is back home by `shift_end`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

Coord = tuple[float, float]


@dataclass(frozen=True)
class Technician:
    id: str
    home: Coord
    shift_start: dt.datetime
    shift_end: dt.datetime
    skills: frozenset[str] = frozenset()
    stock: Mapping[str, int] = field(default_factory=dict)  # parts in the van: part -> qty
    languages: frozenset[str] = frozenset()
    capacity: int | None = None  # van capacity in `Job.demand` units; None: unlimited


@dataclass(frozen=True)
class Job:
    id: str
    location: Coord
    window_start: dt.datetime
    window_end: dt.datetime
    duration: dt.timedelta
    skills: frozenset[str] = frozenset()
    parts: Mapping[str, int] = field(default_factory=dict)  # part -> qty taken from the van
    priority: int = 0  # higher is more important; 0 is normal
    demand: int = 0  # load in `Technician.capacity` units (the Solomon benchmark uses it)
    # Re-planning: a started job stays with `fixed_technician`; a technician's fixed jobs
    # are the head of the route, ordered by `fixed_position`. `started_at` is when the
    # job actually started (None: it is scheduled as early as possible).
    fixed_technician: str | None = None
    fixed_position: int | None = None
    started_at: dt.datetime | None = None

    @property
    def is_fixed(self) -> bool:
        return self.fixed_technician is not None


@dataclass(frozen=True)
class Problem:
    technicians: tuple[Technician, ...]
    jobs: tuple[Job, ...]
    # The cost of using one more technician, in metres of travel. 0 spreads work freely;
    # a large value minimises the number of technicians first (the Solomon objective).
    technician_cost: int = 0


@dataclass(frozen=True)
class Stop:
    job_id: str
    arrival: dt.datetime
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Route:
    technician_id: str
    leave: dt.datetime  # leaves home (or the last fixed job's place when re-planning)
    back: dt.datetime  # back home
    stops: tuple[Stop, ...]
    travel_s: int = 0
    distance_m: int = 0


@dataclass(frozen=True)
class Unplanned:
    job_id: str
    reason: str


@dataclass(frozen=True)
class Plan:
    routes: tuple[Route, ...]
    unplanned: tuple[Unplanned, ...]

    @property
    def travel_s(self) -> int:
        return sum(r.travel_s for r in self.routes)

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)

    @property
    def used_technicians(self) -> int:
        return sum(1 for r in self.routes if r.stops)

    def route_of(self, technician_id: str) -> Route | None:
        return next((r for r in self.routes if r.technician_id == technician_id), None)
