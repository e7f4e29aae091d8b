"""Timers fired in groups leave exactly what firing them one by one leaves.

Two identical sets of cases are built: one is fired by `fire_due_timers` (the
group path), the other timer by timer through `fire_timer` (the single path).
The group holds simple firings (a reminder, cadence steps), a decision that
closes its case, one that hands the order back (both applied case by case), a
broken case, a closed case, and a case with two due timers where the first
firing cancels the second.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.cases.models import Case, CaseStatus, TimelineEvent
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.customers.models import Document
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.orders.intake import OrderInput, orders_receive
from opsdesk.orders.models import HandBack
from opsdesk.runtime import timers
from opsdesk.runtime.models import OutboxItem, Timer, TimerStatus
from opsdesk.staff.models import Agent
from opsdesk.tasks.models import Task

pytestmark = pytest.mark.django_db
ACTOR = Actor("test")
DOCUMENTS = (
    "Passport (all pages)",
    "Biometric photo",
    "Residence permit card",
    "Rental contract or proof of address",
    "Health insurance policy",
)


def onboard(n: int) -> Case:
    customer = customer_create(
        CustomerInput(
            given_name="Deniz",
            family_name="Kaya",
            phone=f"+90532{1234500 + n:07d}",
            whatsapp=True,
            email=f"deniz{n}@example.com",
            nationality="TR",
            language="tr",
            fields={"service_type": "immigration"},
        ),
        ACTOR,
    )
    return Case.objects.get(customer=customer)


def service_order(channel: Any, n: int) -> Case:
    row = OrderInput(
        external_ref=f"TS-{n}",
        given_name="Mehmet",
        family_name="Demir",
        phone=f"+90 532 {100 + n:03d} 45 67",
        language="tr",
        service_type="fiber_install",
        customer_type="residential",
        address="Bağdat Cad. 10, Kadıköy",
        city="İstanbul",
        postcode="34710",
        latitude=40.98,
        longitude=29.06,
        documents=[{"type": "id_card", "valid_until": "2030-01-01"}],
    )
    (result,) = orders_receive(channel, [row], Actor("api:channel-telesales"))
    assert result.outcome == "created", result
    return Case.objects.get(service_order__external_ref=row.external_ref)


def make_due(case: Case, at: dt.datetime) -> None:
    Timer.objects.filter(case=case, status=TimerStatus.PENDING).update(due_at=at)


def world(base: int, channel: Any, due: dt.datetime) -> dict[str, str]:
    """One set of cases, each with its timers due at `due` (or just before)."""
    plain = onboard(base + 1)
    closing = onboard(base + 2)
    broken = onboard(base + 3)
    closed = onboard(base + 4)
    twice = onboard(base + 5)
    cadence = service_order(channel, base + 1)
    handback = service_order(channel, base + 2)
    for case in (plain, closing, broken, closed, twice, cadence, handback):
        make_due(case, due)
    # All documents in, behind the case's back: the reminder finds none missing
    # and the case moves on to its final state (closing: tasks and timers cancelled).
    Task.objects.filter(case=closing, key="intake").update(status="DONE")
    Case.objects.filter(pk=closing.pk).update(state="collecting_documents")
    for doc in DOCUMENTS:
        Document.objects.create(customer_id=closing.customer_id, doc_type=doc, received_at=due)
    Timer.objects.create(
        case=closing, name="later", due_at=due, created_at=due - dt.timedelta(days=9)
    )
    make_due(closing, due)
    Timer.objects.filter(case=closing, name="document_reminder").update(
        due_at=due - dt.timedelta(minutes=1)
    )
    Case.objects.filter(pk=broken.pk).update(state="no_such_state")
    Case.objects.filter(pk=closed.pk).update(status=CaseStatus.CLOSED)
    # Two timers: the second sees the first one's decision.
    Timer.objects.create(
        case=twice, name="unheard_of", due_at=due, created_at=due - dt.timedelta(days=9)
    )
    # The order's first wait ends: the call; then the second: the hand-back.
    timers.fire_timer(Timer.objects.get(case=handback, status=TimerStatus.PENDING).pk, due)
    make_due(handback, due)
    return {
        "plain": plain.pk,
        "closing": closing.pk,
        "broken": broken.pk,
        "closed": closed.pk,
        "twice": twice.pk,
        "cadence": cadence.pk,
        "handback": handback.pk,
    }


def outcome(case_id: str) -> dict[str, Any]:
    case = Case.objects.get(pk=case_id)

    def rows(qs: Any, *fields: str) -> list[Any]:
        return sorted(qs.values_list(*fields), key=repr)

    return {
        "state": case.state,
        "status": case.status,
        "fields": case.fields,
        "agent": case.agent_id,
        "team": case.team_id,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
        "timers": rows(Timer.objects.filter(case=case), "name", "due_at", "status", "fired_at"),
        "messages": rows(Message.objects.filter(case=case), "template", "channel", "status"),
        "outbox": OutboxItem.objects.filter(message__case=case).count(),
        "tasks": rows(Task.objects.filter(case=case), "key", "status", "assignee_id"),
        "milestones": rows(case.milestones.all(), "name"),
        "hand_backs": HandBack.objects.filter(order__case=case).count(),
        "timeline": [
            (
                t,
                {
                    k: v
                    for k, v in p.items()
                    if not k.endswith("_id") and k not in ("number", "external_ref", "title")
                },
            )
            for t, p in TimelineEvent.objects.filter(case=case)
            .order_by("id")
            .values_list("type", "payload")
        ],
    }


def test_a_group_fires_exactly_as_one_by_one(
    onboarding: Any, service_desk: Any, frozen_clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    due = clock.now() + dt.timedelta(days=5)
    single = world(0, service_desk.channel, due)
    workload = list(Agent.objects.values_list("pk", "open_cases"))
    # One by one, as the old path did (the broken one raises and stays pending).
    failed: set[int] = set()
    one_by_one = 0
    # Ties in due_at fire in creation order (pk), as the group path does.
    for timer in Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=due).order_by(
        "case_id", "due_at", "pk"
    ):
        one_by_one += timers._fire_alone(timer.pk, due, failed)
    assert len(failed) == 1

    group = world(10, service_desk.channel, due)
    for pk, open_cases in workload:  # assignment sees the same workload on both sides
        Agent.objects.filter(pk=pk).update(open_cases=open_cases)
    # Nine in this set, and the other set's broken one (it fails again).
    assert Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=due).count() == 10
    caplog.clear()
    assert timers.fire_due_timers(due, limit=100, per_commit=100) == one_by_one == 7
    # Only the broken cases' timers failed, alone; the group itself did not fall back.
    broken = Timer.objects.filter(case_id__in=[single["broken"], group["broken"]])
    assert sorted(
        r.getMessage() for r in caplog.records if r.levelname in ("WARNING", "ERROR")
    ) == sorted(f"timer {pk} failed" for pk in broken.values_list("pk", flat=True))
    for name in single:
        assert outcome(group[name]) == outcome(single[name]), name

    # What each kind of case went through (the same on both sides, checked above).
    fired = Timer.objects.filter(status=TimerStatus.FIRED, fired_at=due)
    assert not fired.filter(case_id=group["broken"]).exists()
    assert Timer.objects.get(case_id=group["broken"]).status == TimerStatus.PENDING
    assert outcome(group["closing"])["status"] == CaseStatus.CLOSED
    assert Timer.objects.get(case_id=group["closing"], name="later").status == "CANCELLED"
    assert outcome(group["handback"])["hand_backs"] == 1
    assert fired.filter(case_id=group["twice"]).count() == 2
    assert [t for t, _ in outcome(group["closed"])["timeline"]][-1] == "TIMER_FIRED"
    # Nothing fires twice: the next pass finds only the broken timer, which fails again.
    assert timers.fire_due_timers(due, limit=100) == 0
    assert TimelineEvent.objects.filter(type="TIMER_FIRED").count() == 2 * (7 + 1)  # + set-up


def test_a_group_of_simple_firings_takes_a_few_statements(
    onboarding: Any, staff: Any, frozen_clock: Any
) -> None:
    cases = [onboard(i) for i in range(20)]
    due = clock.now() + dt.timedelta(days=5)
    for case in cases:
        make_due(case, due)
    with CaptureQueriesContext(connection) as queries:
        assert timers.fire_due_timers(due, limit=100, per_commit=100) == 20
    # Claim, lock, snapshot reads, the FIRED and replaced-timer UPDATEs, the
    # case UPDATE, one INSERT per table: independent of the number of timers
    # (one by one, this was about 15 statements a timer).
    assert len(queries) <= 25, [q["sql"][:80] for q in queries]
    assert Message.objects.filter(template="document_reminder").count() == 20
    assert Timer.objects.filter(status=TimerStatus.PENDING, name="document_reminder").count() == 20


def test_when_writing_the_group_raises_each_timer_is_fired_alone(
    onboarding: Any, staff: Any, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [onboard(i) for i in range(3)]
    due = clock.now() + dt.timedelta(days=5)
    for case in cases:
        make_due(case, due)

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the group's insert failed")

    # settle_case as the group path calls it (the single path calls it from apply).
    monkeypatch.setattr(timers, "settle_case", boom)
    assert timers.fire_due_timers(due, limit=100) == 3
    assert Timer.objects.filter(status=TimerStatus.FIRED, fired_at=due).count() == 3
    assert TimelineEvent.objects.filter(type="TIMER_FIRED").count() == 3
