"""The technician's day through the test client: today's stops, the four steps of a
job (start travel, arrived, complete, cannot complete), and that nobody but the
work order's technician (or a manager) can take them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.field.models import (
    StockLevel,
    WorkEventKind,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderPhoto,
    WorkOrderStatus,
)
from tests.web.conftest import login
from tests.web.test_dispatch_views import Day, at, put, state
from tests.web.test_dispatch_views import day as day  # a fixture, used by name
from tests.web.test_views import text

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def route(day: Day, frozen_clock: Any, settings: Any, tmp_path: Any) -> Day:
    """Ali's Friday: boiler1 at 09:00 then fiber at 10:30; Can has boiler2. It is
    07:30 on Friday in Istanbul."""
    settings.MEDIA_ROOT = str(tmp_path)
    put(day.wo["boiler1"], day.ali, 1, at(9))
    put(day.wo["fiber"], day.ali, 2, at(10, 30))
    put(day.wo["boiler2"], day.can, 1, at(9))
    frozen_clock.set_now(at(7, 30).astimezone(dt.UTC))
    return day


def status(wo: Any) -> str:
    return WorkOrder.objects.values_list("status", flat=True).get(pk=wo.pk)


def van(d: Day, sku: str) -> int:
    return StockLevel.objects.get(location=d.ali_van, part__sku=sku).quantity


def test_the_technician_sees_today_s_stops_in_order(staff: Any, route: Day) -> None:
    response = login(staff.ayse).get("/my-day/")
    assert response.status_code == 200
    page = text(response)
    assert "My day · Fri 30 Oct" in page
    assert (
        "1 09:00 · Büyükdere Cd. 1, Şişli Planned Customer Amira Hassan Phone +905321234567 "
        "Address Büyükdere Cd. 1, Şişli Window 09:00–12:00 · 45 min Skills boiler "
        "Parts 1× FLT-10 Start travel"
    ) in page
    assert (
        "2 10:30 · Levent 3 Planned Address Levent 3 Window 10:00–14:00 · 45 min "
        "Skills fiber-splice Parts 1× ONT-1 Start travel"
    ) in page
    assert "Bağdat" not in page  # Can's job
    html = response.content.decode()
    assert 'href="tel:+905321234567"' in html
    assert 'href="geo:41.04,29.0?q=41.04,29.0"' in html


def test_someone_without_a_technician_row_has_no_day(staff: Any, route: Day) -> None:
    assert login(staff.manager).get("/my-day/").status_code == 404


@pytest.mark.parametrize("step", ["travel", "arrived", "complete", "cannot-complete"])
@pytest.mark.parametrize("who", ["john", "outsider"])
def test_another_technician_cannot_touch_the_work_order(
    staff: Any, route: Day, step: str, who: str
) -> None:
    boiler1 = route.wo["boiler1"]
    if step in ("complete", "cannot-complete"):
        WorkOrder.objects.filter(pk=boiler1.pk).update(status=WorkOrderStatus.ON_SITE)
    before = state()
    response = login(getattr(staff, who)).post(
        f"/my-day/{boiler1.pk}/{step}/", {"reason": "No access", "part:FLT-10": "1"}
    )
    assert response.status_code == 403
    assert "not allowed: field.work" in text(response)
    assert state() == before


def test_an_unknown_work_order_is_a_404(staff: Any, route: Day) -> None:
    assert login(staff.ayse).post("/my-day/wo_nope/travel/").status_code == 404


def test_start_travel_arrive_and_complete(staff: Any, route: Day) -> None:
    boiler1 = route.wo["boiler1"]
    client = login(staff.ayse)
    response = client.post(f"/my-day/{boiler1.pk}/travel/")
    assert response.status_code == 302
    assert response["Location"] == "/my-day/"
    wo = WorkOrder.objects.get(pk=boiler1.pk)
    assert (wo.status, wo.travel_started_at) == (WorkOrderStatus.TRAVELLING, at(7, 30))
    assert wo.eta is not None and wo.eta > at(7, 30)
    eta = wo.eta.astimezone(at(0).tzinfo).strftime("%H:%M")
    page = text(client.get("/my-day/"))
    assert f"On the way to Büyükdere Cd. 1, Şişli, ETA {eta} sent to the customer." in page
    assert f"1 09:00 · Büyükdere Cd. 1, Şişli On the way ETA {eta} Customer" in page
    assert "Arrived" in page

    assert client.post(f"/my-day/{boiler1.pk}/arrived/").status_code == 302
    assert status(boiler1) == WorkOrderStatus.ON_SITE
    page = text(client.get("/my-day/"))
    # The completion form offers every part in the van, the required one filled in.
    assert "Parts used FLT-10 ONT-1 Notes Photos Cash collected Complete" in page

    photo = SimpleUploadedFile("boiler.png", PNG, content_type="image/png")
    response = client.post(
        f"/my-day/{boiler1.pk}/complete/",
        {
            "part:FLT-10": "1",
            "part:ONT-1": "0",
            "notes": "Filter replaced",
            "cash_collected": "150.00",
            "photos": [photo],
        },
    )
    assert response.status_code == 302
    wo = WorkOrder.objects.get(pk=boiler1.pk)
    assert (wo.status, wo.notes, wo.cash_collected, wo.finished_at) == (
        WorkOrderStatus.DONE,
        "Filter replaced",
        Decimal("150.00"),
        at(7, 30),
    )
    assert (van(route, "FLT-10"), van(route, "ONT-1")) == (1, 1)
    assert WorkOrderPhoto.objects.filter(work_order=wo, content_type="image/png").count() == 1
    assert list(
        WorkOrderEvent.objects.filter(work_order=wo).order_by("id").values_list("kind", flat=True)
    ) == [WorkEventKind.TRAVEL_STARTED, WorkEventKind.ARRIVED, WorkEventKind.COMPLETED]
    page = text(client.get("/my-day/"))
    assert "Done: Büyükdere Cd. 1, Şişli." in page
    assert "1 09:00 · Büyükdere Cd. 1, Şişli Done at 07:30" in page


def test_a_step_in_the_wrong_order_is_refused(staff: Any, route: Day) -> None:
    boiler1 = route.wo["boiler1"]
    before = state()
    response = login(staff.ayse).post(f"/my-day/{boiler1.pk}/arrived/")
    assert response.status_code == 409
    assert f"work order {boiler1.pk} is planned: cannot arrive" in text(response)
    assert state() == before


def test_a_completion_with_a_file_that_is_not_a_photo_changes_nothing(
    staff: Any, route: Day
) -> None:
    boiler1 = route.wo["boiler1"]
    WorkOrder.objects.filter(pk=boiler1.pk).update(status=WorkOrderStatus.ON_SITE)
    before = state()
    doc = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = login(staff.ayse).post(
        f"/my-day/{boiler1.pk}/complete/",
        {"part:FLT-10": "1", "notes": "Done", "cash_collected": "12.345", "photos": [doc]},
    )
    assert response.status_code == 422
    page = text(response)
    assert "invoice.pdf: a JPEG, PNG, WebP or HEIC image" in page
    assert "an amount of at least 0 with at most two decimals" in page
    assert state() == before
    assert (van(route, "FLT-10"), WorkOrderPhoto.objects.count()) == (2, 0)
    html = response.content.decode()
    assert '<textarea name="notes" rows="3">Done</textarea>' in html  # kept for a retry


def test_using_more_parts_than_the_van_holds_changes_nothing(staff: Any, route: Day) -> None:
    boiler1 = route.wo["boiler1"]
    WorkOrder.objects.filter(pk=boiler1.pk).update(status=WorkOrderStatus.ON_SITE)
    before = state()
    response = login(staff.ayse).post(f"/my-day/{boiler1.pk}/complete/", {"part:FLT-10": "3"})
    assert response.status_code == 422
    assert "FLT-10" in text(response)
    assert state() == before
    assert van(route, "FLT-10") == 2


def test_cannot_complete_needs_a_reason_then_records_it(staff: Any, route: Day) -> None:
    boiler1 = route.wo["boiler1"]
    WorkOrder.objects.filter(pk=boiler1.pk).update(status=WorkOrderStatus.TRAVELLING)
    client = login(staff.ayse)
    before = state()
    response = client.post(f"/my-day/{boiler1.pk}/cannot-complete/", {"reason": "  "})
    assert response.status_code == 422
    assert "say why the work could not be done" in text(response)
    assert state() == before

    response = client.post(
        f"/my-day/{boiler1.pk}/cannot-complete/",
        {"reason": "Customer not home", "proposed_at": "2026-11-02T10:00"},
    )
    assert response.status_code == 302
    wo = WorkOrder.objects.get(pk=boiler1.pk)
    assert (wo.status, wo.outcome_reason, wo.finished_at) == (
        WorkOrderStatus.CANNOT_COMPLETE,
        "Customer not home",
        at(7, 30),
    )
    event = WorkOrderEvent.objects.get(work_order=wo, kind=WorkEventKind.NOT_COMPLETED)
    assert event.data == {"reason": "Customer not home", "proposed_at": "2026-11-02T10:00:00+03:00"}
    page = text(client.get("/my-day/"))
    assert "Recorded: Büyükdere Cd. 1, Şişli could not be completed." in page
    assert "Cannot complete Customer Amira Hassan" in page
    assert "Not completed Customer not home" in page
