"""work_order_create: an unplanned job, or field-level errors and nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from opsdesk.common.errors import ValidationFailed
from opsdesk.field.models import WorkOrder, WorkOrderStatus
from opsdesk.field.services import work_order_create
from tests.conftest import BEFORE_REPUBLIC_DAY
from tests.field.conftest import ACTOR

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 10, 30, 7, 0, tzinfo=dt.UTC)


def test_a_work_order_is_created_unplanned(field: Any, frozen_clock: Any) -> None:
    wo = work_order_create(
        latitude=41.04,
        longitude=29.0,
        address="  Büyükdere Cd. 1, Şişli ",
        window_start=START,
        window_end=START + dt.timedelta(hours=2),
        duration_minutes=90,
        required_skills=["boiler", "fiber-splice", "boiler"],
        required_parts={"VLV-3": 1, "FLT-10": 2},
        priority="HIGH",
        promise_date=dt.date(2026, 10, 31),
        actor=ACTOR,
    )
    stored = WorkOrder.objects.get(pk=wo.pk)
    assert stored.pk.startswith("wo_") and len(stored.pk) == 19
    assert (stored.status, stored.technician, stored.planned_start, stored.route_position) == (
        WorkOrderStatus.UNPLANNED,
        None,
        None,
        None,
    )
    assert stored.address == "Büyükdere Cd. 1, Şişli"
    assert stored.required_skills == ["boiler", "fiber-splice"]
    assert stored.required_parts == {"FLT-10": 2, "VLV-3": 1}
    assert (stored.priority, stored.promise_date) == ("HIGH", dt.date(2026, 10, 31))
    assert stored.created_at == stored.updated_at == BEFORE_REPUBLIC_DAY
    assert (stored.case_id, stored.service_order_id) == (None, None)


def test_every_bad_field_is_named_and_nothing_is_written(field: Any, frozen_clock: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        work_order_create(
            latitude=91.0,
            longitude="29",
            window_start=START,
            window_end=START,
            duration_minutes=0,
            required_skills=["Boiler Repair"],
            required_parts={"FLT-10": 0, "NOPE-1": 1},
            priority="SOON",
            promise_date="2026-10-31",
            actor=ACTOR,
        )
    assert exc.value.errors == {
        "latitude": ["must be between -90 and 90, got 91.0"],
        "longitude": ["a number between -180 and 180"],
        "window_end": ["must be after the window start"],
        "duration_minutes": ["whole minutes from 1 to 1440, got 0"],
        "required_skills": [
            "skills are slugs (lowercase letters, digits, dashes); not 'Boiler Repair'"
        ],
        "required_parts": [
            "FLT-10: a whole number from 1 to 1000000, got 0",
            "no part with SKU 'NOPE-1'",
        ],
        "priority": ["one of LOW, MEDIUM, HIGH, URGENT"],
        "promise_date": ["a date"],
    }
    assert WorkOrder.objects.count() == 0


def test_the_window_must_be_aware(field: Any, frozen_clock: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        work_order_create(
            latitude=41.0,
            longitude=29.0,
            window_start=START.replace(tzinfo=None),
            window_end=START + dt.timedelta(hours=1),
            duration_minutes=30,
            actor=ACTOR,
        )
    assert exc.value.errors == {"window_start": ["a timezone-aware date and time"]}
    assert WorkOrder.objects.count() == 0
