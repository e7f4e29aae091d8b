"""Timers fired several to a transaction: a broken case stays pending alone."""

from __future__ import annotations

from typing import Any

import pytest

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.common.actors import Actor
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.runtime import timers
from opsdesk.runtime.models import Timer

pytestmark = pytest.mark.django_db


def onboard(i: int) -> str:
    customer = customer_create(
        CustomerInput(
            given_name="Deniz",
            family_name="Kaya",
            phone=f"+90532{1234500 + i:07d}",
            whatsapp=True,
            email=f"deniz{i}@example.com",
            nationality="TR",
            language="tr",
            fields={"service_type": "immigration"},
        ),
        Actor("test"),
    )
    return Case.objects.get(customer=customer).pk


def test_a_failing_timer_stays_pending_and_the_others_in_its_group_fire(
    onboarding: Any, staff: Any, frozen_clock: Any
) -> None:
    cases = [onboard(i) for i in range(3)]
    broken = cases[1]
    # A state the playbook does not have: deciding on it raises, alone or in a group.
    Case.objects.filter(pk=broken).update(state="no_such_state")
    due = Timer.objects.get(case_id=cases[0]).due_at
    assert timers.fire_due_timers(due, limit=50, per_commit=10) == 2

    status = dict(Timer.objects.filter(name="document_reminder").values_list("case_id", "status"))
    assert status[broken] == "PENDING"
    fired = TimelineEvent.objects.filter(type="TIMER_FIRED")
    assert sorted(fired.values_list("case_id", flat=True)) == sorted(set(cases) - {broken})
    # The next pass tries it again, once; the others do not fire twice.
    assert timers.fire_due_timers(due, limit=50, per_commit=10) == 0
    assert fired.count() == 2
