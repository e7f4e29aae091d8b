"""Re-planning as a worker job (opsdesk.field.replan): one pending request per day,
none for a day without a plan, and the effect re-plans the day."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from opsdesk.field import replan
from opsdesk.field.models import WorkOrder, WorkOrderStatus
from opsdesk.field.services import stock_receive, work_order_create
from opsdesk.runtime.models import OutboxItem, OutboxStatus
from tests.field.conftest import ACTOR

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Europe/Istanbul")
DAY = dt.date(2026, 10, 30)
NOW = dt.datetime(2026, 10, 30, 8, 30, tzinfo=IST).astimezone(dt.UTC)


def at(hour: int) -> dt.datetime:
    return dt.datetime(2026, 10, 30, hour, 0, tzinfo=IST)


def boiler(lat: float, lon: float, start: int, end: int) -> Any:
    return work_order_create(
        latitude=lat,
        longitude=lon,
        window_start=at(start),
        window_end=at(end),
        duration_minutes=45,
        required_skills=["boiler"],
        actor=ACTOR,
    )


@pytest.fixture
def planned(field: Any, frozen_clock: Any, settings: Any) -> Any:
    """One work order PLANNED on can at 09:00 on DAY; the clock at 08:30 that day."""
    settings.OPSDESK_REPLAN_SECONDS = 1
    wo = boiler(41.01, 29.03, 9, 13)
    WorkOrder.objects.filter(pk=wo.pk).update(
        status=WorkOrderStatus.PLANNED, technician=field.can, planned_start=at(9), route_position=1
    )
    frozen_clock.set_now(NOW)
    return wo


def pending() -> list[tuple[str, dict[str, Any], str, dt.datetime, dt.datetime]]:
    return list(
        OutboxItem.objects.filter(kind="field.replan").values_list(
            "kind", "payload", "status", "next_attempt_at", "created_at"
        )
    )


def test_a_day_without_a_plan_is_left_alone(field: Any, frozen_clock: Any) -> None:
    boiler(41.01, 29.03, 9, 13)  # UNPLANNED only
    assert replan.replan_request(DAY, reason="a change", now=NOW) is False
    assert OutboxItem.objects.count() == 0


def test_requests_for_one_day_coalesce(planned: Any) -> None:
    assert replan.replan_request(DAY, reason="first", now=NOW) is True
    later = NOW + dt.timedelta(minutes=5)
    # A moment of the same local day (23:30 in Istanbul is 20:30 UTC).
    assert replan.replan_request(at(23) + dt.timedelta(minutes=30), reason="second",
                                 now=later) is False  # fmt: skip
    assert pending() == [
        ("field.replan", {"date": "2026-10-30", "reason": "first"}, OutboxStatus.PENDING, NOW, NOW)
    ]
    # Once the worker has taken it, a new change queues a new re-plan.
    OutboxItem.objects.update(status=OutboxStatus.DONE)
    assert replan.replan_request(DAY, reason="third", now=later) is True
    assert [p[1]["reason"] for p in pending()] == ["first", "third"]


def test_another_day_is_queued_separately(planned: Any, field: Any) -> None:
    tomorrow = boiler(41.0, 29.0, 9, 13)
    WorkOrder.objects.filter(pk=tomorrow.pk).update(
        window_start=at(9) + dt.timedelta(days=1),
        window_end=at(13) + dt.timedelta(days=1),
        status=WorkOrderStatus.PLANNED,
        technician=field.ali,
    )
    assert replan.replan_request(DAY, reason="a", now=NOW) is True
    assert replan.replan_request(DAY + dt.timedelta(days=1), reason="b", now=NOW) is True
    assert sorted(p[1]["date"] for p in pending()) == ["2026-10-30", "2026-10-31"]


def test_the_effect_plans_the_day_again(planned: Any, field: Any) -> None:
    stock_receive(field.ali_van, "FLT-10", 1, ACTOR)
    new = boiler(41.04, 29.00, 10, 12)
    replan.run({"date": "2026-10-30", "reason": "a new job"})
    planned_rows = {
        wo.pk: (wo.status, wo.technician_id is not None, wo.planned_start is not None)
        for wo in WorkOrder.objects.all()
    }
    assert planned_rows == {
        planned.pk: (WorkOrderStatus.PLANNED, True, True),
        new.pk: (WorkOrderStatus.PLANNED, True, True),
    }
    new.refresh_from_db()
    assert at(10) <= new.planned_start <= at(12)
    assert new.updated_at == NOW


def test_the_worker_runs_the_queued_replan(planned: Any) -> None:
    from opsdesk.runtime.worker import Worker

    new = boiler(41.04, 29.00, 10, 12)
    assert replan.replan_request(DAY, reason="a new job", now=NOW) is True
    Worker().run_once()
    assert OutboxItem.objects.get(kind="field.replan").status == OutboxStatus.DONE
    assert WorkOrder.objects.get(pk=new.pk).status == WorkOrderStatus.PLANNED
