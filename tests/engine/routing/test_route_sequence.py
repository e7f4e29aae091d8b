"""route_times: a route's times in a given order, on a small planar problem where
every travel time is a whole number of minutes (one unit is one minute)."""

from __future__ import annotations

import datetime as dt

from opsdesk.engine.routing import check
from opsdesk.engine.routing.model import Plan, Problem, Route, Stop
from opsdesk.engine.routing.sequence import route_times
from tests.engine.routing.helpers import MATRIX, at, job, tech

MIN = dt.timedelta(minutes=1)


def problem() -> Problem:
    # Home at the origin; a at 5 units (3-4-5), b 4 units from a, home 3 units from b.
    return Problem(
        technicians=(tech("t1"),),  # shift 08:00-18:00 UTC
        jobs=(
            job("a", (3, 4)),  # window from 08:00, 30 minutes
            job("b", (3, 0), window_start=at(3), duration=dt.timedelta(minutes=45)),
        ),
    )


def test_each_stop_starts_as_early_as_travel_and_its_window_allow() -> None:
    route = route_times(problem(), "t1", ["a", "b"], MATRIX)
    assert route == Route(
        "t1",
        leave=at(2),
        back=at(3) + 45 * MIN + 3 * MIN,  # b ends 09:45, 3 minutes home
        stops=(
            # 08:00 + 5 minutes of travel; its window is already open.
            Stop("a", at(2) + 5 * MIN, at(2) + 5 * MIN, at(2) + 35 * MIN),
            # a ends 08:35, 4 minutes to b: arrives 08:39 and waits for 09:00.
            Stop("b", at(2) + 39 * MIN, at(3), at(3) + 45 * MIN),
        ),
        travel_s=(5 + 4 + 3) * 60,
        distance_m=(5 + 4 + 3) * 1000,
    )
    plan = Plan((route,), ())
    assert check.check_plan(problem(), plan, MATRIX) == []


def test_the_order_given_is_the_order_kept() -> None:
    route = route_times(problem(), "t1", ["b", "a"], MATRIX)
    # Home to b: 3 minutes (08:03), waits for 09:00; b to a: 4 minutes after 09:45.
    assert route.stops == (
        Stop("b", at(2) + 3 * MIN, at(3), at(3) + 45 * MIN),
        Stop("a", at(3) + 49 * MIN, at(3) + 49 * MIN, at(3) + 79 * MIN),
    )
    assert route.back == at(3) + 84 * MIN  # a to home: 5 minutes
    assert (route.travel_s, route.distance_m) == (12 * 60, 12_000)


def test_an_empty_route_goes_nowhere() -> None:
    route = route_times(problem(), "t1", [], MATRIX)
    assert route == Route("t1", at(2), at(2), (), 0, 0)


def test_a_started_job_keeps_the_time_it_started() -> None:
    started = job(
        "s",
        (0, 3),
        fixed_technician="t1",
        fixed_position=0,
        started_at=at(1.75),  # 07:45: before the shift start the planner uses (now)
    )
    p = Problem(technicians=(tech("t1"),), jobs=(started, job("a", (3, 4))))
    route = route_times(p, "t1", ["s", "a"], MATRIX)
    assert route.stops == (
        # Arrived no later than it started; it lasts its 30 minutes from 07:45.
        Stop("s", at(1.75), at(1.75), at(1.75) + 30 * MIN),
        # From s (0, 3) to a (3, 4): sqrt(10) units = 190 s (rounded), after 08:15.
        Stop("a", at(2.25) + dt.timedelta(seconds=190), at(2.25) + dt.timedelta(seconds=190),
             at(2.25) + dt.timedelta(seconds=190) + 30 * MIN),
    )  # fmt: skip
    assert route.back == route.stops[1].end + 5 * MIN
    assert check.check_plan(p, Plan((route,), ()), MATRIX) == []


def test_a_started_job_that_started_late_keeps_its_start_and_arrival_from_travel() -> None:
    started = job("s", (0, 3), fixed_technician="t1", fixed_position=0, started_at=at(2.5))
    p = Problem(technicians=(tech("t1"),), jobs=(started,))
    route = route_times(p, "t1", ["s"], MATRIX)
    # Arrives 08:03 after 3 minutes from home, started at 08:30 as it did.
    assert route.stops == (Stop("s", at(2) + 3 * MIN, at(2.5), at(2.5) + 30 * MIN),)
