"""The travel-concierge SLAs in the database on a virtual clock with business
hours: the 24-business-hour review warns and escalates to the guest services
manager; the 48-hour follow-up after completion likewise; a met SLA fires nothing."""

from __future__ import annotations

import datetime as dt

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.chat.models import ChatPost
from opsdesk.common import clock
from opsdesk.runtime.timers import fire_due_timers
from opsdesk.tasks.models import Task, TaskStatus
from tests.concierge.conftest import Desk, complete, phone_request

# Monday 2 November 2026, 10:00 in Istanbul (working hours 09:00-18:00).
MON_10 = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)
WED_12 = dt.datetime(2026, 11, 4, 9, 0, tzinfo=dt.UTC)  # + 20 business hours
WED_16 = dt.datetime(2026, 11, 4, 13, 0, tzinfo=dt.UTC)  # + 24 business hours
MINUTE = dt.timedelta(minutes=1)


def sla_rows(case: Case) -> list[tuple[str, str]]:
    rows = TimelineEvent.objects.filter(case=case, type__startswith="SLA_").order_by("pk")
    return [(r.type, r.payload["sla"]) for r in rows]


def fire(at: dt.datetime) -> int:
    clock.set_now(at)
    return fire_due_timers(at)


def test_the_review_sla_warns_at_20_and_escalates_at_24_business_hours(desk: Desk) -> None:
    clock.set_now(MON_10)
    case = phone_request(desk, "visa_help")
    assert sla_rows(case) == [("SLA_STARTED", "review")]
    assert fire(WED_12 - MINUTE) == 0
    assert fire(WED_12) == 1
    assert sla_rows(case)[-1] == ("SLA_WARNING", "review")
    warning = ChatPost.objects.filter(case=case, channel_name="#inquiries").order_by("pk").last()
    assert warning is not None and "within 4 business hours" in warning.text
    assert not Task.objects.filter(case=case, key="review_overdue").exists()
    assert fire(WED_16 - MINUTE) == 0
    assert fire(WED_16) == 1
    assert sla_rows(case)[-1] == ("SLA_BREACHED", "review")
    overdue = Task.objects.get(case=case, key="review_overdue")
    assert (overdue.assignee_id, overdue.priority) == (desk.manager.pk, "URGENT")


def test_a_review_in_time_meets_the_sla_and_nothing_fires_later(desk: Desk) -> None:
    clock.set_now(MON_10)
    case = phone_request(desk, "visa_help")
    clock.set_now(MON_10 + dt.timedelta(hours=3))
    complete(
        case, "review_request", desk.coordinator, service_type="visa_help", client_type="individual"
    )
    assert sla_rows(case) == [("SLA_STARTED", "review"), ("SLA_MET", "review")]
    assert fire(WED_16 + dt.timedelta(days=1)) == 0
    assert not Task.objects.filter(case=case, key="review_overdue").exists()


def test_the_follow_up_sla_runs_48_hours_from_completion(desk: Desk) -> None:
    from opsdesk.staff.models import Agent
    from opsdesk.tasks.services import task_check_item
    from tests.concierge.conftest import quoted
    from tests.concierge.test_payment_gate import pay

    clock.set_now(MON_10)
    case = quoted(desk, "airport_transfer", net="80.00")
    pay(case, desk, "96.00", "BANK-1")
    agent = Agent.objects.get(pk=Case.objects.get(pk=case.pk).agent_id)
    complete(case, "confirm_details", agent, confirmation_notes="ok")
    deliver = Task.objects.get(case=case, key="deliver_airport_transfer", status=TaskStatus.OPEN)
    for i in range(len(deliver.checklist)):
        task_check_item(deliver.pk, i, True, desk.actor(agent))
    done_at = MON_10 + dt.timedelta(hours=1)
    clock.set_now(done_at)
    complete(case, "deliver_airport_transfer", agent)
    assert fire(done_at + dt.timedelta(hours=36)) == 1
    assert sla_rows(case)[-1] == ("SLA_WARNING", "follow_up")
    assert fire(done_at + dt.timedelta(hours=48)) == 1
    assert sla_rows(case)[-1] == ("SLA_BREACHED", "follow_up")
    overdue = Task.objects.get(case=case, key="follow_up_overdue")
    assert (overdue.assignee_id, overdue.priority) == (desk.manager.pk, "URGENT")
