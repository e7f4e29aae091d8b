"""/api/v1/work-orders and /api/v1/plans: who may read and act, the technician's
steps as JSON, refusals that change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from opsdesk.access.tokens import token_create
from opsdesk.field.models import WorkOrder, WorkOrderEvent
from opsdesk.field.selectors import location_stock
from opsdesk.field.services import stock_receive
from tests.field.conftest import ACTOR

pytestmark = pytest.mark.django_db


def bearer(agent: Any) -> dict[str, str]:
    _, secret = token_create(agent.user, "field")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(url: str, agent: Any, body: dict[str, Any] | None = None) -> Any:
    return Client().post(url, body or {}, content_type="application/json", **bearer(agent))


def row(wo: Any) -> tuple[Any, ...]:
    fresh = WorkOrder.objects.get(pk=wo.pk)
    return (fresh.status, fresh.technician_id, fresh.planned_start, fresh.route_position)


@pytest.fixture
def planned(work_order: Any, field: Any, staff: Any) -> Any:
    """The work order planned on Ali (Ayşe's technician), whose van holds 3 filters."""
    stock_receive(field.ali_van, "FLT-10", 3, ACTOR)
    response = post("/api/v1/plans", staff.manager, {"date": "2026-10-30"})
    assert response.status_code == 200, response.content
    assert response.json() == {"date": "2026-10-30", "planned": 1, "unplanned": 0, "started": 0}
    return WorkOrder.objects.get(pk=work_order.pk)


def test_the_dispatcher_lists_the_day(planned: Any, staff: Any, field: Any) -> None:
    response = Client().get("/api/v1/work-orders", {"date": "2026-10-30"}, **bearer(staff.manager))
    assert response.status_code == 200
    (body,) = response.json()
    assert (body["id"], body["status"], body["technician"], body["route_position"]) == (
        planned.pk,
        "PLANNED",
        {"id": field.ali.pk, "name": staff.ayse.name},
        1,
    )
    other_day = Client().get("/api/v1/work-orders", {"date": "2026-10-31"}, **bearer(staff.manager))
    assert other_day.json() == []


def test_only_dispatch_lists_and_plans(work_order: Any, staff: Any) -> None:
    listing = Client().get("/api/v1/work-orders", {"date": "2026-10-30"}, **bearer(staff.ayse))
    assert listing.status_code == 403
    refused = post("/api/v1/plans", staff.ayse, {"date": "2026-10-30"})
    assert refused.status_code == 403
    assert row(work_order) == ("UNPLANNED", None, None, None)


def test_the_technician_runs_the_visit_and_the_desk_sees_cash_nobody_invoiced(
    planned: Any, staff: Any, field: Any, frozen_clock: Any
) -> None:
    base = f"/api/v1/work-orders/{planned.pk}"
    frozen_clock.set_now(dt.datetime(2026, 10, 30, 6, 30, tzinfo=dt.UTC))
    travelling = post(f"{base}/travel", staff.ayse)
    assert travelling.status_code == 200, travelling.content
    assert (travelling.json()["status"], travelling.json()["eta"] is not None) == (
        "TRAVELLING",
        True,
    )
    assert post(f"{base}/arrived", staff.ayse).json()["status"] == "ON_SITE"
    done = post(
        f"{base}/complete",
        staff.ayse,
        {"parts_used": {"FLT-10": 1}, "notes": "Filter changed", "cash_collected": "150.00"},
    )
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["status"], body["notes"], body["cash_collected"], body["cash_currency"]) == (
        "DONE",
        "Filter changed",
        "150.00",
        "TRY",
    )
    # The filter was the job's own part: no invoice, so all 150.00 is unexplained.
    assert (body["invoices"], body["cash_over_invoices"]) == ([], "150.00")
    assert [e["kind"] for e in body["events"]] == [
        "TRAVEL_STARTED",
        "ARRIVED",
        "COMPLETED",
    ]
    assert location_stock(field.ali_van) == {"FLT-10": 2}


def test_another_technician_cannot_act_or_read(planned: Any, staff: Any) -> None:
    events = WorkOrderEvent.objects.count()
    refused = post(f"/api/v1/work-orders/{planned.pk}/travel", staff.john)
    assert refused.status_code == 403
    read = Client().get(f"/api/v1/work-orders/{planned.pk}", **bearer(staff.john))
    assert read.status_code == 403
    assert row(planned)[0] == "PLANNED"
    assert WorkOrderEvent.objects.count() == events


def test_bad_parts_are_422_with_the_field_and_change_nothing(
    planned: Any, staff: Any, field: Any
) -> None:
    base = f"/api/v1/work-orders/{planned.pk}"
    post(f"{base}/travel", staff.ayse)
    post(f"{base}/arrived", staff.ayse)
    response = post(f"{base}/complete", staff.ayse, {"parts_used": {"NOPE-1": 1}})
    assert response.status_code == 422
    assert response.json()["errors"] == {"parts_used": ["no part with SKU 'NOPE-1'"]}
    assert row(planned)[0] == "ON_SITE"
    assert location_stock(field.ali_van) == {"FLT-10": 3}


def test_a_move_the_checker_refuses_is_409_and_changes_nothing(
    planned: Any, staff: Any, field: Any
) -> None:
    before = row(planned)
    # Can's van holds no filter.
    response = post(
        f"/api/v1/work-orders/{planned.pk}/move",
        staff.manager,
        {"technician_id": field.can.pk, "position": 1},
    )
    assert response.status_code == 409
    assert "the van holds 0" in response.json()["detail"]
    assert row(planned) == before


def test_a_wrong_step_is_409(planned: Any, staff: Any) -> None:
    response = post(f"/api/v1/work-orders/{planned.pk}/arrived", staff.ayse)
    assert response.status_code == 409
    assert response.json()["detail"] == (f"work order {planned.pk} is planned: cannot arrive")
    assert row(planned)[0] == "PLANNED"
