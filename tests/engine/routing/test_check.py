"""The checker catches each kind of violation in hand-built plans."""

from __future__ import annotations

import dataclasses

from opsdesk.engine.routing import Plan, Problem, Route, Stop, Unplanned, check_plan

from .helpers import MATRIX, at, job, tech

# t1 at (0, 0); j1 at (30, 0): 30 minutes away; j2 at (30, 30): 30 more.
T1 = tech("t1", skills=frozenset({"gas"}), stock={"valve": 1}, capacity=5)
J1 = job("j1", (30, 0), window_start=at(3), window_end=at(4), skills=frozenset({"gas"}))
J2 = job("j2", (30, 30), parts={"valve": 1}, demand=3)
PROBLEM = Problem((T1,), (J1, J2))


def good_route() -> Route:
    return Route(
        "t1",
        leave=at(2.5),
        back=at(5.5),
        stops=(
            Stop("j1", at(3), at(3), at(3.5)),
            Stop("j2", at(4), at(4), at(4.5)),
        ),
    )


def kinds(problem: Problem, plan: Plan) -> list[str]:
    return [v.kind for v in check_plan(problem, plan, MATRIX)]


def with_stop(n: int, **changes: object) -> Plan:
    route = good_route()
    stops = list(route.stops)
    stops[n] = dataclasses.replace(stops[n], **changes)
    return Plan((dataclasses.replace(route, stops=tuple(stops)),), ())


def test_a_valid_plan_has_no_violations() -> None:
    assert check_plan(PROBLEM, Plan((good_route(),), ()), MATRIX) == []


def test_job_twice_missing_or_unknown() -> None:
    plan = Plan((good_route(),), (Unplanned("j1", "x"), Unplanned("j9", "x")))
    assert kinds(PROBLEM, plan) == ["job", "job"]
    route = dataclasses.replace(good_route(), stops=good_route().stops[:1])
    assert kinds(PROBLEM, Plan((route,), ())) == ["job"]


def test_shift() -> None:
    early = dataclasses.replace(good_route(), leave=at(1))
    late = dataclasses.replace(good_route(), back=at(13))
    assert kinds(PROBLEM, Plan((early,), ())) == ["shift"]
    assert kinds(PROBLEM, Plan((late,), ())) == ["shift"]


def test_travel() -> None:
    assert kinds(PROBLEM, with_stop(1, arrival=at(3.75), start=at(4), end=at(4.5))) == ["travel"]
    home_too_soon = dataclasses.replace(good_route(), back=at(4.75))
    assert kinds(PROBLEM, Plan((home_too_soon,), ())) == ["travel"]


def test_window() -> None:
    late = with_stop(0, arrival=at(4.25), start=at(4.25), end=at(4.75))
    assert "window" in kinds(PROBLEM, late)
    before_arrival = with_stop(0, start=at(2.9), end=at(3.4))
    assert "window" in kinds(PROBLEM, before_arrival)


def test_duration() -> None:
    assert kinds(PROBLEM, with_stop(0, end=at(3.25))) == ["duration"]


def test_skills_stock_capacity() -> None:
    poor = dataclasses.replace(T1, skills=frozenset(), stock={}, capacity=2)
    assert kinds(Problem((poor,), PROBLEM.jobs), Plan((good_route(),), ())) == [
        "skills",
        "stock",
        "capacity",
    ]


def test_stock_is_summed_over_the_route() -> None:
    j1 = dataclasses.replace(J1, parts={"valve": 1})
    assert kinds(Problem((T1,), (j1, J2)), Plan((good_route(),), ())) == ["stock"]


def test_fixed_jobs() -> None:
    t2 = tech("t2")
    j2 = dataclasses.replace(J2, fixed_technician="t2", fixed_position=0)
    problem = Problem((T1, t2), (J1, j2))
    found = kinds(problem, Plan((good_route(), Route("t2", at(2), at(2), ())), ()))
    assert found.count("fixed") == 2  # not at t2's head, and planned on t1
    unplanned = Plan((dataclasses.replace(good_route(), stops=good_route().stops[:1]),), ())
    unplanned = dataclasses.replace(unplanned, unplanned=(Unplanned("j2", "x"),))
    assert "fixed" in kinds(problem, unplanned)


def test_started_job_keeps_its_start() -> None:
    started = dataclasses.replace(J1, fixed_technician="t1", fixed_position=0, started_at=at(2.75))
    problem = Problem((T1,), (started, J2))
    moved = Plan((good_route(),), ())
    assert kinds(problem, moved) == ["fixed"]
    kept = with_stop(0, arrival=at(2.75), start=at(2.75), end=at(3.25))
    assert kinds(problem, kept) == []


def test_unknown_technician() -> None:
    plan = Plan((dataclasses.replace(good_route(), technician_id="t9"),), ())
    assert kinds(PROBLEM, plan).count("technician") == 1
