"""The channel report: exact figures for a hand-built set of orders, cases and milestones."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.cases.models import Case, CaseMilestone
from opsdesk.customers.models import Customer
from opsdesk.orders.models import HandBack, OrderStatus, ServiceOrder
from opsdesk.orders.services import channel_create
from opsdesk.reports.selectors import ChannelRow, channel_report
from tests.reports.people import client_of

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SINCE = dt.datetime(2026, 10, 1, tzinfo=UTC)
UNTIL = dt.datetime(2026, 11, 1, tzinfo=UTC)
T0 = dt.datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
H = dt.timedelta(hours=1)

_seq = itertools.count(1)


def make_order(
    desk: Any,
    channel: Any,
    *,
    received_at: dt.datetime = T0,
    status: str = OrderStatus.ACCEPTED,
    milestones: dict[str, dt.timedelta] | None = None,
    cause: str | None = None,
    hand_back: bool = False,
) -> ServiceOrder:
    """An order (with a case unless INELIGIBLE/EXCEPTION), its milestones at
    received_at + offset, a root cause on the case, a hand-back row."""
    n = next(_seq)
    customer = Customer.objects.create(
        given_name=f"C{n}", family_name="Test", created_at=received_at, updated_at=received_at
    )
    case = None
    if status not in (OrderStatus.INELIGIBLE, OrderStatus.EXCEPTION):
        fields: dict[str, Any] = {"service_type": "fiber_install"}
        if cause is not None or "rejected" in (milestones or {}):
            fields["rejection_cause"] = cause
        case = Case.objects.create(
            number=f"SO-2026-{n:06d}",
            customer=customer,
            playbook=desk.version,
            state="confirming",
            fields=fields,
            opened_at=received_at,
            updated_at=received_at,
        )
        for name, after in (milestones or {}).items():
            CaseMilestone.objects.create(case=case, name=name, at=received_at + after)
    order = ServiceOrder.objects.create(
        channel=channel,
        external_ref=f"R-{n}",
        customer=customer,
        service_type="fiber_install",
        customer_type="residential",
        status=status,
        case=case,
        received_at=received_at,
        updated_at=received_at,
    )
    if hand_back or status == OrderStatus.INELIGIBLE:
        HandBack.objects.create(
            order=order, reason="back", status="NO_WEBHOOK", created_at=received_at + H
        )
    return order


@pytest.fixture
def channels(service_desk: Any) -> dict[str, Any]:
    web, _ = channel_create(key="webshop", name="Web shop")
    partner, _ = channel_create(key="partner", name="Partner portal", kind="PORTAL")
    return {"tele": service_desk.channel, "web": web, "partner": partner}


@pytest.fixture
def orders(service_desk: Any, channels: dict[str, Any]) -> None:
    tele, web = channels["tele"], channels["web"]
    d = service_desk
    # Telesales: confirmed after 2 h, 4 h and 9 h (median 4 h); one completed.
    make_order(d, tele, milestones={"confirmed": 2 * H, "scheduled": 3 * H, "completed": 50 * H})
    make_order(d, tele, milestones={"confirmed": 4 * H})
    # Received on the last day; confirmed after the period ends: still this cohort's.
    make_order(
        d,
        tele,
        received_at=dt.datetime(2026, 10, 31, 23, 0, tzinfo=UTC),
        milestones={"confirmed": 9 * H},
    )
    # Rejections, with their root causes (one not recorded yet).
    for cause in ("price", "price", "price", "timing", "timing", "competitor", "other"):
        make_order(d, tele, milestones={"rejected": H}, cause=cause)
    make_order(d, tele, milestones={"rejected": H}, cause="service_quality")
    make_order(d, tele, milestones={"rejected": H})  # in retention, no cause yet
    # Not responding: handed back (twice: one order), and one more cause.
    make_order(
        d,
        tele,
        status=OrderStatus.HANDED_BACK,
        milestones={"not_responding": 6 * H},
        cause="unreachable",
        hand_back=True,
    )
    hb = ServiceOrder.objects.get(status=OrderStatus.HANDED_BACK)
    HandBack.objects.create(order=hb, reason="again", status="NO_WEBHOOK", created_at=T0 + 9 * H)
    # Ineligible (handed back at intake, not counted as handed back) and an exception.
    make_order(d, tele, status=OrderStatus.INELIGIBLE)
    make_order(d, tele, status=OrderStatus.EXCEPTION)
    # Outside the period: before it, and exactly at its (exclusive) end.
    make_order(d, tele, received_at=SINCE - dt.timedelta(seconds=1), milestones={"confirmed": H})
    make_order(d, tele, received_at=UNTIL, milestones={"confirmed": H})
    # Web shop: confirmed after 1 h and 2 h (median 1.5 h), one ineligible.
    make_order(d, web, milestones={"confirmed": H})
    make_order(d, web, milestones={"confirmed": 2 * H, "completed": 30 * H})
    make_order(d, web, status=OrderStatus.INELIGIBLE)


def figures(row: ChannelRow) -> tuple[Any, ...]:
    return (
        row.key,
        row.received,
        row.eligible,
        row.confirmed,
        row.rejected,
        row.not_responding,
        row.handed_back,
        row.completed,
        row.median_to_confirm,
        row.causes,
    )


def test_every_channel_with_its_cohorts_figures(orders: None) -> None:
    rows = channel_report(SINCE, UNTIL)
    assert [figures(r) for r in rows] == [
        ("partner", 0, 0, 0, 0, 0, 0, 0, None, []),
        (
            "telesales",
            15,
            14,
            3,
            9,
            1,
            1,
            1,
            4 * H,
            [("price", 3), ("timing", 2), ("competitor", 1), ("other", 1), ("service_quality", 1)],
        ),
        ("webshop", 3, 2, 2, 0, 0, 0, 1, dt.timedelta(hours=1, minutes=30), []),
    ]
    assert [r.name for r in rows] == ["Partner portal", "Telesales", "Web shop"]


def test_one_channel(orders: None) -> None:
    (row,) = channel_report(SINCE, UNTIL, channel_key="webshop")
    assert figures(row)[:8] == ("webshop", 3, 2, 2, 0, 0, 0, 1)
    assert channel_report(SINCE, UNTIL, channel_key="nope") == []


def test_an_empty_period_is_all_zeros(orders: None) -> None:
    rows = channel_report(UNTIL + dt.timedelta(days=1), UNTIL + dt.timedelta(days=2))
    assert [figures(r) for r in rows] == [
        (key, 0, 0, 0, 0, 0, 0, 0, None, []) for key in ("partner", "telesales", "webshop")
    ]


def test_a_fixed_number_of_queries(
    orders: None,
    service_desk: Any,
    channels: dict[str, Any],
) -> None:
    with CaptureQueriesContext(connection) as few:
        channel_report(SINCE, UNTIL)
    for _ in range(20):
        make_order(service_desk, channels["web"], milestones={"confirmed": H}, cause="price")
    with CaptureQueriesContext(connection) as more:
        (web,) = channel_report(SINCE, UNTIL, channel_key="webshop")
    assert len(few.captured_queries) == len(more.captured_queries) == 6
    assert (web.received, web.confirmed, web.causes) == (23, 22, [("price", 20)])


# --- the page and the CSV (managers and admins only) -----------------------------------


PERIOD = "?since=2026-10-01&until=2026-10-31"


def test_the_channels_page_shows_the_figures_and_the_charts(orders: None, boss: Any) -> None:
    from tests.web.test_views import text

    response = client_of(boss.user).get("/reports/channels/" + PERIOD)
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    page = text(response)
    # Days in Istanbul: 1 Oct 00:00 +03 is 30 Sep 21:00 UTC, so the order received at
    # 23:59:59 UTC on 30 Sep (confirmed after 1 h) counts, and the one received at
    # 23:00 UTC on 31 Oct (1 Nov, 02:00 local) does not: confirmed after 1, 2, 4 h.
    assert (
        "Channel Received Eligible Confirmed Rejected Not responding Handed back Completed "
        "Median to confirm Top rejection causes "
        "Partner portal 0 0 0 0 0 0 0 — — "
        "Telesales 15 14 3 9 1 1 1 2 h 00 min "
        "price (3), timing (2), competitor (1), other (1), service_quality (1) "
        "Web shop 3 2 2 0 0 0 1 1 h 30 min —"
    ) in page
    html = response.content.decode()
    assert html.count('<svg class="chart"') == 3
    assert 'id="chart-orders"' in html and "<title>Telesales" not in html
    assert '<rect class="bar-confirmed"' in html and "<title>Confirmed: 3</title>" in html
    assert "style=" not in html and "<script>" not in html
    assert 'href="/reports/channels.csv?since=2026-10-01&amp;until=2026-10-31"' in html


def test_the_default_period_is_the_last_30_days(orders: None, boss: Any, frozen_clock: Any) -> None:
    from tests.web.test_views import text

    page = text(client_of(boss.user).get("/reports/channels/"))
    assert "from 29 Sep 2026 to 28 Oct 2026" in page


def test_bad_dates_are_shown_at_the_picker(orders: None, boss: Any) -> None:
    from tests.web.test_views import text

    response = client_of(boss.user).get("/reports/channels/?since=2026-10-31&until=2026-10-01")
    assert response.status_code == 422
    assert "To on or after the start date Show" in text(response)
    response = client_of(boss.user).get("/reports/channels.csv?since=yesterday")
    assert (response.status_code, response.content) == (422, b"since: a date (YYYY-MM-DD)")


def test_the_csv_has_the_same_figures(orders: None, boss: Any) -> None:
    response = client_of(boss.user).get("/reports/channels.csv" + PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="channels-2026-10-01-2026-10-31.csv"'
    )
    assert response.content.decode().split("\r\n") == [
        "channel,channel_name,since,until,received,eligible,confirmed,rejected,"
        "not_responding,handed_back,completed,median_to_confirm_seconds,top_5_rejection_causes",
        "partner,Partner portal,2026-10-01,2026-10-31,0,0,0,0,0,0,0,,",
        "telesales,Telesales,2026-10-01,2026-10-31,15,14,3,9,1,1,1,7200,"
        "price:3; timing:2; competitor:1; other:1; service_quality:1",
        "webshop,Web shop,2026-10-01,2026-10-31,3,2,2,0,0,0,1,5400,",
        "",
    ]


@pytest.mark.parametrize("path", ["/reports/channels/", "/reports/channels.csv"])
def test_only_managers_and_admins_see_the_report(
    orders: None,
    service_desk: Any,
    boss: Any,
    path: str,
) -> None:
    from django.contrib.auth import get_user_model

    assert client_of(service_desk.retention_agent.user).get(path).status_code == 403
    assert client_of(service_desk.cobo_agent.user).get(path).status_code == 403
    assert client_of(service_desk.channel.user).get(path).status_code == 403
    assert client_of(boss.user).get(path).status_code == 200
    admin = get_user_model().objects.create_superuser("root", password="pw")
    assert client_of(admin).get(path).status_code == 200
