"""Two people (or a person and the worker) acting on one case at the same moment.

Each test starts its actors in threads behind a barrier, each on its own
database connection. The case row lock (PostgreSQL) or the write lock (SQLite)
serialises them: one wins, the other gets a clear refusal or conflict, and
nothing is written twice or lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.cases.services import case_assign, case_transition, dispatch
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.customers.services import customer_create
from opsdesk.engine.types import Event
from opsdesk.runtime.models import Timer, TimerStatus
from opsdesk.runtime.timers import fire_due_timers
from opsdesk.staff.models import Agent
from opsdesk.tasks.models import Task, TaskStatus
from opsdesk.tasks.services import task_complete, task_create
from tests.cases.test_onboarding_services import clean_customer
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)


def open_case() -> Case:
    customer = customer_create(clean_customer(), Actor("test"))
    return Case.objects.get(customer=customer)


def rows(case: Case, type_: str) -> int:
    return TimelineEvent.objects.filter(case=case, type=type_).count()


def test_two_agents_completing_one_task_one_wins_the_other_is_told(
    onboarding: Any, staff: Any
) -> None:
    case = open_case()
    follow_up = task_create(case_id=case.pk, actor=Actor("test"), key="follow_up")
    ayse, john = Actor.of_user(staff.ayse.user), Actor.of_user(staff.john.user)

    def complete(actor: Actor) -> Callable[[], str]:
        return lambda: (task_complete(follow_up.pk, actor), "done")[1]

    outcomes = race(complete(ayse), complete(john))
    assert sorted(outcomes) == ["Conflict: the task is already done", "done"]
    task = Task.objects.get(pk=follow_up.pk)
    winner = staff.ayse.user if outcomes[0] == "done" else staff.john.user
    assert (task.status, task.completed_by) == (TaskStatus.DONE, winner)
    assert rows(case, "TASK_COMPLETED") == 1


def test_two_agents_taking_one_transition_it_happens_once(onboarding: Any, staff: Any) -> None:
    case = open_case()
    ayse, john = Actor.of_user(staff.ayse.user), Actor.of_user(staff.john.user)

    def withdraw(actor: Actor) -> Callable[[], str]:
        return lambda: case_transition(case.pk, "withdrawn", actor).state_to or ""

    outcomes = race(withdraw(ayse), withdraw(john))
    assert sorted(outcomes) == [
        f"Refused: case {case.number} is closed",
        "withdrawn",
    ]
    case.refresh_from_db()
    assert (case.state, case.status) == ("withdrawn", "CLOSED")
    withdrawn = TimelineEvent.objects.filter(
        case=case, type="STATE_CHANGED", payload__to="withdrawn"
    )
    assert withdrawn.count() == 1  # intake -> withdrawn, once
    assert rows(case, "CASE_CLOSED") == 1
    assert Agent.objects.get(pk=staff.ayse.pk).open_cases == 0  # released once, not twice


def test_two_managers_reassigning_at_once_leave_consistent_workloads(
    onboarding: Any, staff: Any
) -> None:
    case = open_case()
    assert case.agent_id == staff.ayse.pk
    manager = Actor.of_user(staff.manager.user)

    def assign(agent: Any) -> Callable[[], str]:
        return lambda: (case_assign(case.pk, agent.pk, manager, "cover"), agent.name)[1]

    outcomes = race(assign(staff.john), assign(staff.manager))
    # Both are serialised on the case row: each moves the case from whoever had it.
    assert sorted(outcomes) == ["John Carter", "Maria Manager"]
    case.refresh_from_db()
    counts = dict(Agent.objects.values_list("pk", "open_cases"))
    assert counts[staff.ayse.pk] == 0
    assert counts[case.agent_id] == 1
    other = staff.john.pk if case.agent_id == staff.manager.pk else staff.manager.pk
    assert counts[other] == 0  # no lost update: the first assignee was released
    assigned = TimelineEvent.objects.filter(case=case, type="AGENT_ASSIGNED").order_by("id")
    previous = [row.payload.get("previous_agent_id") for row in assigned][-2:]
    assert previous[0] == staff.ayse.pk and previous[1] != staff.ayse.pk  # a chain, not a fork
    assert Task.objects.get(case=case, key="intake").assignee_id == case.agent_id


def test_a_reply_racing_the_timer_that_gives_up_ends_one_way(
    service_desk: Any, frozen_clock: Any
) -> None:
    from tests.orders.test_service_order_flow import post_order

    case = post_order(service_desk, "R-RACE")
    # Walk the cadence to its last wait: after the WhatsApp wait the call is placed,
    # and when the call's wait runs out the order is handed back.
    first = Timer.objects.get(case=case, status=TimerStatus.PENDING)
    clock.set_now(first.due_at)
    assert fire_due_timers(first.due_at, limit=1) == 1
    last = Timer.objects.get(case=case, status=TimerStatus.PENDING)
    clock.set_now(last.due_at)
    reply = Event(
        "customer.replied",
        {
            "channel": "WHATSAPP",
            "intent": "confirm",
            "proposed_at": None,
            "text": "",
            "payload": "",
        },
    )

    def customer() -> str:
        return dispatch(case.pk, reply, Actor("whatsapp"))[0].state_to or "unchanged"

    def worker() -> str:
        return f"fired {fire_due_timers(last.due_at, limit=1)}"

    outcomes = race(customer, worker)
    case.refresh_from_db()
    changes = list(
        TimelineEvent.objects.filter(case=case, type="STATE_CHANGED")
        .order_by("id")
        .values_list("payload", flat=True)
    )
    left = [c for c in changes if c["from"] == "confirming"]
    assert len(left) == 1, changes  # confirming was left once, one way
    if left[0]["to"] == "scheduling":  # the reply came first: the timer was cancelled
        assert outcomes[0] in ("scheduling", "scheduled")
        assert rows(case, "MILESTONE") >= 1
        assert not case.milestones.filter(name="not_responding").exists()
    else:  # the timer came first: the order went to retention; the reply changed nothing
        assert left[0]["to"] == "retention"
        assert outcomes == ["unchanged", "fired 1"]
        assert case.milestones.filter(name="not_responding").exists()
    assert not Timer.objects.filter(pk=last.pk, status=TimerStatus.PENDING).exists()
