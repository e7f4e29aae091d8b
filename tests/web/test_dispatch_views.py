"""The dispatch board through the test client: who may see and use it, what the
board shows (rows, timelines, unplanned reasons, map), and the dispatcher's posts
(plan the day, move a work order, record a technician out) with their refusals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.field.models import (
    StockMove,
    TechnicianAbsence,
    WorkEventKind,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderStatus,
)
from opsdesk.field.services import (
    location_create,
    part_create,
    stock_receive,
    technician_create,
    work_order_create,
)
from tests.web.conftest import HTMX, login
from tests.web.test_views import text

pytestmark = pytest.mark.django_db

ACTOR = Actor("user:maria")
IST = ZoneInfo("Europe/Istanbul")
DAY = dt.date(2026, 10, 30)  # a Friday (the 29th is Republic Day)
URL = "/dispatch/?date=2026-10-30"


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=IST)


@dataclass
class Day:
    ali: Any  # Ayşe's technician row: boiler + fiber-splice, 08:00-18:00
    can: Any  # John's: boiler only, 07:00-15:00
    ali_van: Any
    can_van: Any
    customer: Any
    wo: dict[str, Any]


@pytest.fixture
def day(staff: Any, make_customer: Any, frozen_clock: Any, settings: Any) -> Day:
    """Two technicians with stocked vans and four work orders on Friday 30 October:
    two boiler jobs, a fiber job only Ali can do, and a gas job nobody can do."""
    settings.OPSDESK_REPLAN_SECONDS = 1.0
    ali = technician_create(
        staff.ayse,
        home_latitude=41.0082,
        home_longitude=28.9784,
        skills=["boiler", "fiber-splice"],
        actor=ACTOR,
    )
    can = technician_create(
        staff.john, home_latitude=40.9909, home_longitude=29.0303, skills=["boiler"],
        shift_start=dt.time(7, 0), shift_end=dt.time(15, 0), actor=ACTOR,
    )  # fmt: skip
    ali_van = location_create(kind="VAN", name="Van 34 ALI 01", technician=ali, actor=ACTOR)
    can_van = location_create(kind="VAN", name="Van 34 CAN 02", technician=can, actor=ACTOR)
    part_create(sku="FLT-10", name="Boiler filter", unit_price="85.50", actor=ACTOR)
    part_create(sku="ONT-1", name="Fiber modem", unit_price="1250", actor=ACTOR)
    stock_receive(ali_van, "FLT-10", 2, ACTOR)
    stock_receive(ali_van, "ONT-1", 1, ACTOR)
    stock_receive(can_van, "FLT-10", 2, ACTOR)
    customer = make_customer()
    case = Case.objects.get(customer=customer)

    def wo(lat: float, lon: float, start: int, end: int, address: str, **kw: Any) -> Any:
        return work_order_create(
            latitude=lat, longitude=lon, window_start=at(start), window_end=at(end),
            duration_minutes=kw.pop("minutes", 45), address=address, actor=ACTOR, **kw,
        )  # fmt: skip

    orders = {
        "boiler1": wo(41.04, 29.00, 9, 12, "Büyükdere Cd. 1, Şişli", required_skills=["boiler"],
                      required_parts={"FLT-10": 1}, case=case),
        "boiler2": wo(41.01, 29.03, 9, 13, "Bağdat Cd. 2, Kadıköy", required_skills=["boiler"]),
        "fiber": wo(41.06, 28.99, 10, 14, "Levent 3", required_skills=["fiber-splice"],
                    required_parts={"ONT-1": 1}, priority="HIGH"),
        "gas": wo(41.01, 28.99, 9, 17, "Eminönü 9", required_skills=["gas"]),
    }  # fmt: skip
    return Day(ali, can, ali_van, can_van, customer, orders)


def put(wo: Any, tech: Any, position: int, start: dt.datetime) -> None:
    """A planned stop, written as the planner would."""
    WorkOrder.objects.filter(pk=wo.pk).update(
        status=WorkOrderStatus.PLANNED,
        technician=tech,
        route_position=position,
        planned_start=start,
        unplanned_reason="",
    )


@pytest.fixture
def planned(day: Day) -> Day:
    """Ali: boiler1 at 09:00; Can: boiler2 at 09:00; fiber and gas unplanned."""
    put(day.wo["boiler1"], day.ali, 1, at(9))
    put(day.wo["boiler2"], day.can, 1, at(9))
    WorkOrder.objects.filter(pk=day.wo["gas"].pk).update(
        unplanned_reason="no technician has skill gas"
    )
    return day


def state() -> dict[str, Any]:
    """Everything a dispatch post may write."""
    return {
        "orders": {
            wo.pk: (wo.status, wo.technician_id, wo.planned_start, wo.route_position,
                    wo.unplanned_reason, wo.updated_at)
            for wo in WorkOrder.objects.all()
        },
        "events": WorkOrderEvent.objects.count(),
        "absences": TechnicianAbsence.objects.count(),
        "moves": StockMove.objects.count(),
    }  # fmt: skip


# --- access ------------------------------------------------------------------------


def test_signed_out_users_are_sent_to_sign_in(client: Any, planned: Day) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/dispatch/%3Fdate%3D2026-10-30"


@pytest.mark.parametrize("who", ["ayse", "john", "outsider"])
def test_agents_and_technicians_may_not_dispatch(staff: Any, planned: Day, who: str) -> None:
    client = login(getattr(staff, who))
    before = state()
    assert client.get(URL).status_code == 403
    fiber = planned.wo["fiber"]
    posts = [
        ("/dispatch/plan/", {"date": "2026-10-30"}),
        (
            f"/dispatch/work-orders/{fiber.pk}/move/",
            {"technician": planned.ali.pk, "position": "1", "date": "2026-10-30"},
        ),
        (f"/dispatch/technicians/{planned.can.pk}/out/", {"reason": "Sick", "date": "2026-10-30"}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "not allowed: dispatch.manage" in text(response)
    assert state() == before


def test_the_nav_shows_dispatch_to_managers_and_my_day_to_technicians(
    staff: Any, planned: Day
) -> None:
    page = login(staff.manager).get(URL).content.decode()
    assert 'href="/dispatch/" aria-current="page">Dispatch</a>' in page
    assert ">My day</a>" not in page  # Maria has no technician row
    mine = login(staff.ayse).get("/my-day/").content.decode()
    assert 'href="/my-day/" aria-current="page">My day</a>' in mine
    assert ">Dispatch</a>" not in mine


# --- the board ---------------------------------------------------------------------


def test_the_board_shows_each_technician_s_route_and_the_unplanned_with_reasons(
    staff: Any, planned: Day
) -> None:
    response = login(staff.manager).get(URL)
    assert response.status_code == 200
    page = text(response)
    assert "Dispatch · Fri 30 Oct 2026" in page
    # Rows in name order: Ayşe (Ali's agent) then John; shift, skills, the stops.
    assert (
        "Ayşe Yılmaz 08:00–18:00 boiler fiber-splice Out today…" in page
        and "09:00–09:45 Büyükdere Cd. 1, Şişli Amira Hassan window 09:00–12:00 Planned" in page
    )
    assert "John Carter 07:00–15:00 boiler Out today…" in page
    assert "09:00–09:45 Bağdat Cd. 2, Kadıköy window 09:00–13:00 Planned" in page
    assert page.index("Ayşe Yılmaz 08:00") < page.index("John Carter 07:00")
    # The unplanned by their window, each with why it is not on a route.
    assert (
        "Unplanned (2) Eminönü 9 Medium window 09:00–17:00 · 45 min · skills gas "
        "no technician has skill gas Move to Off the plan Ayşe Yılmaz John Carter Stop Move "
        "Levent 3 High window 10:00–14:00 · 45 min · skills fiber-splice · parts 1× ONT-1"
    ) in page
    html = response.content.decode()
    # Ali's shift is 10 h: 09:00 is 10% in, 45 min is 7.5% (rounded to 8).
    boiler1 = planned.wo["boiler1"]
    assert (
        f'class="block st-planned l-10 w-8" data-work-order="{boiler1.pk}" draggable="true" '
        f'data-form="move-{boiler1.pk}"'
    ) in html
    # John's shift is 8 h from 07:00: 09:00 is 25% in.
    assert f'class="block st-planned l-25 w-9" data-work-order="{planned.wo["boiler2"].pk}"' in html
    # The map: two homes, four jobs (two unplanned), two routes home -> stop -> home.
    assert html.count('<circle class="home tech-') == 2
    assert html.count('<circle class="job tech-') == 2
    assert html.count('<circle class="job unplanned-dot"') == 2
    assert html.count('<polyline class="route tech-') == 2
    assert "Ayşe Yılmaz (1) John Carter (1) Unplanned (2) Home" in page
    for wo in planned.wo.values():
        assert f'id="move-{wo.pk}"' in html  # each can be moved without dragging


def test_the_board_defaults_to_today_in_the_user_s_zone(staff: Any, planned: Day) -> None:
    page = text(login(staff.manager).get("/dispatch/"))
    assert "Dispatch · Wed 28 Oct 2026" in page
    assert "Unplanned (0)" in page


def test_a_bad_date_is_said_and_today_is_shown(staff: Any, planned: Day) -> None:
    response = login(staff.manager).get("/dispatch/?date=30.10.2026")
    assert response.status_code == 422
    page = text(response)
    assert "No such day: '30.10.2026'. Showing today." in page
    assert "Dispatch · Wed 28 Oct 2026" in page


def test_an_absent_technician_is_marked_out(staff: Any, planned: Day) -> None:
    TechnicianAbsence.objects.create(
        technician=planned.can, date=DAY, reason="Van broken", created_at=at(7)
    )
    page = text(login(staff.manager).get(URL))
    assert "John Carter 07:00–15:00 boiler Out: Van broken" in page


def test_the_board_takes_the_same_number_of_queries_for_a_bigger_day(
    staff: Any, planned: Day
) -> None:
    client = login(staff.manager)
    client.get(URL)  # warm the session and the caches

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for n in range(6):
        extra = work_order_create(
            latitude=41.0 + n / 100, longitude=29.0, window_start=at(9), window_end=at(17),
            duration_minutes=30, address=f"Extra {n}", actor=ACTOR,
            case=Case.objects.get(customer=planned.customer),
        )  # fmt: skip
        put(extra, planned.ali if n % 2 else planned.can, n + 2, at(10 + n))
    assert count() == small


# --- moving a work order -----------------------------------------------------------


def test_a_move_the_technician_cannot_do_is_refused_with_the_reason(
    staff: Any, planned: Day
) -> None:
    fiber = planned.wo["fiber"]
    before = state()
    response = login(staff.manager).post(
        f"/dispatch/work-orders/{fiber.pk}/move/",
        {"technician": planned.can.pk, "position": "1", "date": "2026-10-30"},
        **HTMX,
    )
    assert response.status_code == 409
    page = text(response)
    assert (
        "The move was refused; nothing changed. Levent 3: John Carter lacks skill fiber-splice"
    ) in page
    assert page.count("lacks skill") == 1  # said once, above the board
    assert state() == before


def test_moving_an_unplanned_work_order_onto_a_route(staff: Any, planned: Day) -> None:
    fiber = planned.wo["fiber"]
    client = login(staff.manager)
    response = client.post(
        f"/dispatch/work-orders/{fiber.pk}/move/",
        {"technician": planned.ali.pk, "position": "2", "date": "2026-10-30"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/dispatch/?date=2026-10-30"
    fiber.refresh_from_db()
    assert (fiber.status, fiber.technician_id, fiber.route_position, fiber.unplanned_reason) == (
        WorkOrderStatus.PLANNED,
        planned.ali.pk,
        2,
        "",
    )
    assert fiber.planned_start is not None and fiber.planned_start >= at(10)
    event = WorkOrderEvent.objects.get(work_order=fiber)
    assert (event.kind, event.actor, event.data) == (
        WorkEventKind.REASSIGNED,
        "user:maria",
        {"source": None, "target": planned.ali.pk, "position": 2},
    )
    page = text(client.get(response["Location"]))
    assert "Levent 3: moved to Ayşe Yılmaz, stop 2." in page
    assert "Unplanned (1)" in page


def test_taking_a_work_order_off_the_plan(staff: Any, planned: Day) -> None:
    boiler2 = planned.wo["boiler2"]
    client = login(staff.manager)
    response = client.post(
        f"/dispatch/work-orders/{boiler2.pk}/move/",
        {"technician": "", "position": "1", "date": "2026-10-30"},
    )
    assert response.status_code == 302
    boiler2.refresh_from_db()
    assert (boiler2.status, boiler2.technician_id, boiler2.planned_start) == (
        WorkOrderStatus.UNPLANNED,
        None,
        None,
    )
    assert boiler2.unplanned_reason == "taken off the plan by dispatch"
    page = text(client.get(response["Location"]))
    assert "Bağdat Cd. 2, Kadıköy: taken off the plan." in page
    assert "Unplanned (3)" in page


def test_a_started_work_order_cannot_be_moved(staff: Any, planned: Day) -> None:
    boiler1 = planned.wo["boiler1"]
    WorkOrder.objects.filter(pk=boiler1.pk).update(status=WorkOrderStatus.ON_SITE)
    before = state()
    response = login(staff.manager).post(
        f"/dispatch/work-orders/{boiler1.pk}/move/",
        {"technician": planned.can.pk, "position": "1", "date": "2026-10-30"},
    )
    assert response.status_code == 409
    assert f"work order {boiler1.pk} is on site: not movable" in text(response)
    assert state() == before
    # A started job has no move form on the board.
    assert f'id="move-{boiler1.pk}"' not in response.content.decode()


def test_a_bad_position_is_refused(staff: Any, planned: Day) -> None:
    fiber = planned.wo["fiber"]
    before = state()
    response = login(staff.manager).post(
        f"/dispatch/work-orders/{fiber.pk}/move/",
        {"technician": planned.ali.pk, "position": "first", "date": "2026-10-30"},
    )
    assert response.status_code == 422
    assert "position: a whole number from 1" in text(response)
    assert state() == before


def test_moving_an_unknown_work_order_is_a_404(staff: Any, planned: Day) -> None:
    before = state()
    response = login(staff.manager).post(
        "/dispatch/work-orders/wo_nope/move/", {"technician": planned.ali.pk, "position": "1"}
    )
    assert response.status_code == 404
    assert state() == before


# --- planning the day and a technician out -------------------------------------------


def test_planning_the_day_from_the_board(staff: Any, day: Day) -> None:
    client = login(staff.manager)
    response = client.post("/dispatch/plan/", {"date": "2026-10-30"})
    assert response.status_code == 302
    assert response["Location"] == "/dispatch/?date=2026-10-30"
    rows = {k: WorkOrder.objects.get(pk=wo.pk) for k, wo in day.wo.items()}
    assert {k: wo.status for k, wo in rows.items()} == {
        "boiler1": WorkOrderStatus.PLANNED,
        "boiler2": WorkOrderStatus.PLANNED,
        "fiber": WorkOrderStatus.PLANNED,
        "gas": WorkOrderStatus.UNPLANNED,
    }
    assert rows["fiber"].technician_id == day.ali.pk
    assert rows["gas"].unplanned_reason == "no technician has skill gas"
    page = text(client.get(response["Location"]))
    assert "Day planned: 3 work orders on routes, 1 left unplanned." in page
    assert "Unplanned (1) Eminönü 9" in page


def test_recording_a_technician_out_moves_their_work(staff: Any, planned: Day) -> None:
    client = login(staff.manager)
    response = client.post(
        f"/dispatch/technicians/{planned.can.pk}/out/",
        {"reason": "Van broken", "date": "2026-10-30"},
    )
    assert response.status_code == 302
    absence = TechnicianAbsence.objects.get()
    assert (absence.technician_id, absence.date, absence.reason) == (
        planned.can.pk,
        DAY,
        "Van broken",
    )
    assert not WorkOrder.objects.filter(technician=planned.can).exists()
    assert WorkOrderEvent.objects.filter(kind=WorkEventKind.TECHNICIAN_OUT).count() == 1
    page = text(client.get(response["Location"]))
    assert "John Carter is out on Fri 30 Oct: 1 work order re-planned." in page
    assert "John Carter 07:00–15:00 boiler Out: Van broken" in page


def test_a_technician_out_needs_a_reason(staff: Any, planned: Day) -> None:
    before = state()
    response = login(staff.manager).post(
        f"/dispatch/technicians/{planned.can.pk}/out/", {"reason": " ", "date": "2026-10-30"}
    )
    assert response.status_code == 422
    assert "Out today… Reason Record out say why the technician is out" in text(response)
    assert state() == before
