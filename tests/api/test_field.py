"""/api/v1/work-orders and /api/v1/plans: inputs the database or the calendar cannot hold
are refused with a 422 (found by tests/api/test_schemathesis.py)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from opsdesk.field.models import WorkOrder
from opsdesk.runtime.models import Timer
from tests.security.world import World


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_work_orders_of_a_day_outside_the_calendar_is_a_422(
    client: Client, admin_auth: dict[str, str], day: str
) -> None:
    bound = (
        "greater than or equal to 0001-01-02" if day < "5" else "less than or equal to 9999-12-30"
    )
    response = client.get(f"/api/v1/work-orders?date={day}", headers=admin_auth)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "invalid input",
        "errors": {"date": [f"Input should be {bound}"]},
    }


def test_plan_of_a_day_outside_the_calendar_is_a_422_and_plans_nothing(
    client: Client, admin_auth: dict[str, str], api_world: World
) -> None:
    before = list(WorkOrder.objects.values_list("pk", "status", "technician_id"))
    timers = Timer.objects.count()
    response = client.post(
        "/api/v1/plans", {"date": "0001-01-01"}, content_type="application/json", headers=admin_auth
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "invalid input",
        "errors": {"date": ["Input should be greater than or equal to 0001-01-02"]},
    }
    assert list(WorkOrder.objects.values_list("pk", "status", "technician_id")) == before
    assert Timer.objects.count() == timers


def test_complete_with_more_cash_than_the_column_holds_is_a_422_and_changes_nothing(
    client: Client, admin_auth: dict[str, str], api_world: World
) -> None:
    wo_id = api_world.ids["work_order_id"]
    before = WorkOrder.objects.values("status", "cash_collected", "finished_at").get(pk=wo_id)
    response = client.post(
        f"/api/v1/work-orders/{wo_id}/complete",
        json.dumps({"cash_collected": 1e30}),
        content_type="application/json",
        headers=admin_auth,
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "invalid input",
        "errors": {"cash_collected": ["Input should be less than or equal to 9999999999.99"]},
    }
    assert (
        WorkOrder.objects.values("status", "cash_collected", "finished_at").get(pk=wo_id) == before
    )
