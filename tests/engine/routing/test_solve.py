"""`plan()` on small problems: its plans pass the checker, reasons, fixed jobs."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from opsdesk.engine.routing import Problem, check_plan, plan

from .helpers import MATRIX, at, generated, job, tech

LIMIT = 0.5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_plans_pass_the_checker(seed: int) -> None:
    problem = generated(seed)
    result = plan(problem, MATRIX, time_limit_s=LIMIT, seed=seed)
    assert check_plan(problem, result, MATRIX) == []
    assert sum(len(r.stops) for r in result.routes) >= len(problem.jobs) // 2
    assert all(u.reason for u in result.unplanned)


def test_skills_and_parts_decide_who_gets_the_job() -> None:
    gas = tech("gas", skills=frozenset({"gas"}))
    valve = tech("valve", home=(1, 1), stock={"valve": 2})
    jobs = (
        job("needs-gas", (5, 5), skills=frozenset({"gas"})),
        job("needs-valves", (6, 5), parts={"valve": 2}),
    )
    result = plan(Problem((gas, valve), jobs), MATRIX, time_limit_s=LIMIT)
    assert [s.job_id for s in result.route_of("gas").stops] == ["needs-gas"]
    assert [s.job_id for s in result.route_of("valve").stops] == ["needs-valves"]
    assert result.unplanned == ()


def test_van_stock_limits_a_route() -> None:
    t1 = tech("t1", stock={"valve": 1})
    jobs = tuple(job(f"j{i}", (i, 0), parts={"valve": 1}, priority=i) for i in range(2))
    result = plan(Problem((t1,), jobs), MATRIX, time_limit_s=LIMIT)
    assert [s.job_id for s in result.route_of("t1").stops] == ["j1"]  # the higher priority
    assert [(u.job_id, u.reason) for u in result.unplanned] == [
        ("j0", "no room in any route (1 eligible technicians)")
    ]
    assert check_plan(Problem((t1,), jobs), result, MATRIX) == []


def test_impossible_jobs_are_unplanned_with_the_reason() -> None:
    techs = (
        tech("t1", skills=frozenset({"gas"}), stock={"valve": 1}),
        tech("t2", skills=frozenset({"ac"}), stock={"pump": 1}),
    )
    jobs = (
        job("no-skill", (1, 1), skills=frozenset({"boiler"})),
        job("no-part", (1, 1), parts={"filter": 1}),
        job("two-valves", (1, 1), parts={"valve": 2}),
        job("both-skills", (1, 1), skills=frozenset({"gas", "ac"})),
        job("skill-without-part", (1, 1), skills=frozenset({"gas"}), parts={"pump": 1}),
        job("too-far", (400, 0)),
        job("after-shifts", (1, 1), window_start=at(13), window_end=at(14)),
        job("fine", (2, 2)),
    )
    problem = Problem(techs, jobs)
    result = plan(problem, MATRIX, time_limit_s=LIMIT)
    assert {u.job_id: u.reason for u in result.unplanned} == {
        "no-skill": "no technician has skill boiler",
        "no-part": "no van holds part filter",
        "two-valves": "no van holds 2 × valve",
        "both-skills": "no technician has all the skills ac, gas",
        "skill-without-part": "no technician with the skills has the parts in the van",
        "too-far": "no eligible technician can reach it within its time window and shift",
        "after-shifts": "no eligible technician can reach it within its time window and shift",
    }
    assert check_plan(problem, result, MATRIX) == []


def test_fixed_jobs_stay_in_order_and_the_route_goes_on_from_there() -> None:
    problem = generated(7, n_tech=3, n_jobs=20)
    jobs = list(problem.jobs)
    jobs[0] = dataclasses.replace(
        jobs[0],
        fixed_technician="t2",
        fixed_position=0,
        started_at=at(3),
        skills=frozenset(),
        parts={},
        window_start=at(3),
        window_end=at(3.5),
    )
    jobs[1] = dataclasses.replace(
        jobs[1], fixed_technician="t2", fixed_position=1, skills=frozenset(), parts={}
    )
    problem = dataclasses.replace(problem, jobs=tuple(jobs))
    result = plan(problem, MATRIX, time_limit_s=LIMIT, seed=3)
    route = result.route_of("t2")
    assert [s.job_id for s in route.stops[:2]] == ["j0", "j1"]
    assert route.stops[0].start == at(3)
    assert route.stops[1].start >= route.stops[0].end
    assert check_plan(problem, result, MATRIX) == []


def test_a_job_running_long_pushes_the_rest() -> None:
    t1 = tech("t1")
    running = job(
        "running",
        (0, 0),
        fixed_technician="t1",
        fixed_position=0,
        started_at=at(2),
        duration=dt.timedelta(hours=9),
    )
    later = job("later", (5, 0), window_start=at(4), window_end=at(6))
    problem = Problem((t1,), (running, later))
    result = plan(problem, MATRIX, time_limit_s=LIMIT)
    assert [s.job_id for s in result.route_of("t1").stops] == ["running"]
    assert [u.job_id for u in result.unplanned] == ["later"]
    assert check_plan(problem, result, MATRIX) == []


def test_fixed_to_an_unknown_technician() -> None:
    problem = Problem((tech("t1"),), (job("j", (1, 1), fixed_technician="gone"),))
    result = plan(problem, MATRIX, time_limit_s=LIMIT)
    assert [(u.job_id, u.reason) for u in result.unplanned] == [
        ("j", "fixed to unknown technician gone")
    ]
