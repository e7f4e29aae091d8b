"""The contact report: exact figures for a hand-built set of contacts, the page, the CSV
and GET /api/v1/reports/contacts (managers and admins only).

Days are Istanbul's (UTC+3). The period is 1-31 October 2026; the clock reads
1 November 2026, 12:00 in Istanbul (09:00 UTC).
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opsdesk.cases.models import Case
from opsdesk.common import clock
from opsdesk.contacts.models import Contact
from opsdesk.customers.models import Customer
from opsdesk.reports.contacts import (
    ComplaintAgeing,
    SpdDay,
    TagRow,
    complaint_ageing,
    contact_report,
    dispositions,
    spd_breaches,
    warranty_reopens,
)
from opsdesk.reports.selectors import VIEW_ACTION
from tests.reports.people import bearer, client_of

pytestmark = pytest.mark.django_db

IST = zoneinfo.ZoneInfo("Europe/Istanbul")
FIRST, LAST = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=IST)
PERIOD = "?since=2026-10-01&until=2026-10-31"

A = "Inbound >> Complaint >> Delay in Service >> Out of SPD"
B = "Inbound >> Complaint >> Technician Behaviour"
C = "Inbound >> Query >> Appointment Status"
D = "Outbound >> Follow-up >> Reschedule"

_seq = itertools.count(1)


def local(month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=IST)


class Desk:
    """Cases (tickets and the contacts' own cases) and customers, written directly."""

    def __init__(self, version: Any) -> None:
        self.version = version
        self.tickets: dict[str, Case] = {}
        self.customers = [
            Customer.objects.create(
                given_name=given, family_name=family, created_at=NOW, updated_at=NOW
            )
            for given, family in (("Elif", "Kaya"), ("Mehmet", "Demir"), ("Ayşe", "Yılmaz"))
        ]

    def case(self, number: str, customer: Customer) -> Case:
        at = local(9, 1)
        return Case.objects.create(
            number=number,
            customer=customer,
            playbook=self.version,
            state="open",
            opened_at=at,
            updated_at=at,
        )

    def ticket(self, name: str) -> Case:
        if name not in self.tickets:
            n = len(self.tickets)
            customer = self.customers[n % len(self.customers)]
            self.tickets[name] = self.case(f"SO-2026-{n + 1:06d}", customer)
        return self.tickets[name]

    def contact(
        self,
        name: str,
        ticket: str,
        tag: str,
        resolution: str,
        closed_at: dt.datetime | None,
        *,
        reason: str = "delay",
        action: str = "none",
        spd: bool | None = None,
        warranty: bool | None = None,
    ) -> Contact:
        t = self.ticket(ticket)
        return Contact.objects.create(
            id=f"con_{name}",
            case=self.case(f"CON-2026-{next(_seq):06d}", t.customer),
            ticket=t,
            customer=t.customer,
            channel="CALL",
            reason=reason,
            tag=tag,
            resolution=resolution,
            action=action,
            spd_breached=spd,
            within_warranty=warranty,
            status="CLOSED" if closed_at else "OPEN",
            opened_at=(closed_at or NOW) - dt.timedelta(minutes=10),
            closed_at=closed_at,
        )


@pytest.fixture
def desk(service_desk: Any) -> Desk:
    return Desk(service_desk.version)


@pytest.fixture
def contacts(desk: Desk) -> None:
    c = desk.contact
    # The first minute of the period (30 Sep 21:00 UTC): counted, and on 1 Oct.
    c("c1", "T1", A, "unresolved", local(10, 1, 0, 0), action="escalate", spd=True)
    # Unresolved, but a contact closed resolved on 1 Nov (after the period) settles T2.
    c("c2", "T2", A, "unresolved", local(10, 30, 15), action="reschedule", spd=True)
    c("c3", "T3", A, "resolved", local(10, 10, 10), action="reopen", spd=False, warranty=True)
    # The last minute of the period.
    c(
        "c4",
        "T4",
        B,
        "unresolved",
        local(10, 31, 23, 59),
        reason="behaviour",
        action="reopen",
        warranty=True,
    )
    # T5: unresolved, then resolved by a later contact: no longer an open complaint.
    c("c5", "T5", B, "unresolved", local(10, 27, 20), reason="behaviour", spd=False, warranty=True)
    c("c6", "T5", C, "resolved", local(10, 29, 11), reason="status", action="reopen", warranty=True)
    # T6: a later contact closed unresolved does not settle the complaint.
    c("c7", "T6", A, "unresolved", local(10, 27, 8), action="escalate", spd=True, warranty=False)
    c(
        "c8",
        "T6",
        C,
        "unresolved",
        local(10, 29, 14),
        reason="status",
        action="reopen",
        spd=True,
        warranty=True,
    )
    # T1's later contact has no resolution: c1 stays unresolved.
    c(
        "c9",
        "T1",
        D,
        "",
        local(10, 15),
        reason="followup",
        action="reschedule",
        spd=False,
        warranty=True,
    )
    c("c11", "T7", B, "unresolved", local(10, 30, 6), reason="behaviour", action="escalate")
    c("c14", "T8", A, "unresolved", local(10, 5, 10), action="escalate", spd=True)
    # Not counted: closed at 00:00 the day after the period, closed the minute before
    # it, and still open.
    c("c10", "T2", C, "resolved", local(11, 1, 0, 0), action="reopen", spd=True, warranty=True)
    c("c13", "T9", A, "unresolved", local(9, 30, 23, 59), action="reopen", spd=True, warranty=True)
    c("c12", "T7", A, "", None, action="reopen", spd=True, warranty=True)


@pytest.fixture
def at_now() -> Iterator[None]:
    with clock.frozen(NOW.astimezone(dt.UTC)):
        yield


def rows(tags: list[TagRow]) -> list[tuple[str, int, int, int]]:
    return [(r.tag, r.contacts, r.resolved, r.unresolved) for r in tags]


# --- the figures ------------------------------------------------------------------------


def test_contacts_by_disposition_path(contacts: None) -> None:
    report = dispositions(FIRST, LAST, IST)
    assert report.contacts == 11
    assert rows(report.paths) == [(A, 5, 1, 4), (B, 3, 0, 3), (C, 2, 1, 1), (D, 1, 0, 0)]
    assert rows(report.groups) == [
        ("Inbound >> Complaint", 8, 1, 7),
        ("Inbound >> Query", 2, 1, 1),
        ("Outbound >> Follow-up", 1, 0, 0),
    ]


def test_unresolved_complaints_by_age(contacts: None) -> None:
    ageing = complaint_ageing(FIRST, LAST, IST, NOW)
    assert [(b.key, b.count) for b in ageing.buckets] == [
        ("0-1d", 1),
        ("1-3d", 1),
        ("3-7d", 1),
        ("7d+", 2),
    ]
    assert ageing.total == 5
    assert [(c.contact_id, c.ticket, c.customer, c.tag, c.age) for c in ageing.oldest] == [
        ("con_c1", "SO-2026-000001", "Elif Kaya", A, dt.timedelta(days=31, hours=12)),
        ("con_c14", "SO-2026-000008", "Mehmet Demir", A, dt.timedelta(days=27, hours=2)),
        ("con_c7", "SO-2026-000006", "Ayşe Yılmaz", A, dt.timedelta(days=5, hours=4)),
        ("con_c11", "SO-2026-000007", "Elif Kaya", B, dt.timedelta(days=2, hours=6)),
        ("con_c4", "SO-2026-000004", "Elif Kaya", B, dt.timedelta(hours=12, minutes=1)),
    ]


def test_a_later_resolution_only_counts_once_it_has_happened(contacts: None) -> None:
    # Before 1 Nov 00:00, T2's complaint (c2, 30 Oct 15:00) was still open.
    ageing = complaint_ageing(FIRST, LAST, IST, local(10, 31, 23, 59))
    assert [(b.key, b.count) for b in ageing.buckets] == [
        ("0-1d", 1),  # c4, closed this minute
        ("1-3d", 2),  # c11 and c2
        ("3-7d", 1),
        ("7d+", 2),
    ]


def test_age_bucket_edges(desk: Desk) -> None:
    for i, hours in enumerate((0, 23, 24, 71, 72, 167, 168)):
        desk.contact(f"e{i}", f"E{i}", B, "unresolved", NOW - dt.timedelta(hours=hours))
    ageing: ComplaintAgeing = complaint_ageing(FIRST, dt.date(2026, 11, 1), IST, NOW)
    assert [b.count for b in ageing.buckets] == [2, 2, 2, 1]


def test_spd_breaches_per_day(contacts: None) -> None:
    spd = spd_breaches(FIRST, LAST, IST)
    assert (spd.breached, spd.with_promise, spd.share) == (5, 8, 0.625)
    assert spd.days == [
        SpdDay(dt.date(2026, 10, 1), 1, 1),
        SpdDay(dt.date(2026, 10, 5), 1, 1),
        SpdDay(dt.date(2026, 10, 10), 0, 1),
        SpdDay(dt.date(2026, 10, 15), 0, 1),
        SpdDay(dt.date(2026, 10, 27), 1, 2),
        SpdDay(dt.date(2026, 10, 29), 1, 1),
        SpdDay(dt.date(2026, 10, 30), 1, 1),
    ]
    assert spd.days[4].share == 0.5


def test_reopen_rate_within_warranty(contacts: None) -> None:
    warranty = warranty_reopens(FIRST, LAST, IST)
    assert (warranty.within_warranty, warranty.reopened) == (6, 4)
    assert warranty.rate == pytest.approx(4 / 6)
    assert [(r.reason, r.within_warranty, r.reopened, r.rate) for r in warranty.reasons] == [
        ("behaviour", 2, 1, 0.5),
        ("status", 2, 2, 1.0),
        ("delay", 1, 1, 1.0),
        ("followup", 1, 0, 0.0),
    ]


def test_the_periods_edges(contacts: None) -> None:
    # 31 Oct 23:59 counts on the last day; 1 Nov 00:00 is the next day's.
    assert rows(dispositions(LAST, LAST, IST).paths) == [(B, 1, 0, 1)]
    nov = dt.date(2026, 11, 1)
    assert rows(dispositions(nov, nov, IST).paths) == [(C, 1, 1, 0)]
    # 1 Oct 00:00 counts on the first day; 30 Sep 23:59 does not.
    assert rows(dispositions(FIRST, FIRST, IST).paths) == [(A, 1, 0, 1)]
    sep = dt.date(2026, 9, 30)
    assert rows(dispositions(sep, sep, IST).paths) == [(A, 1, 0, 1)]
    # The open contact counts nowhere, even on today.
    report = contact_report(nov, nov, IST, NOW)
    assert report.dispositions.contacts == 1
    assert (report.spd.breached, report.spd.with_promise) == (1, 1)
    assert (report.warranty.within_warranty, report.warranty.reopened) == (1, 1)
    assert report.ageing.total == 0


def test_an_empty_period(contacts: None) -> None:
    report = contact_report(dt.date(2026, 12, 1), dt.date(2026, 12, 31), IST, NOW)
    assert (report.dispositions.paths, report.dispositions.groups) == ([], [])
    assert [b.count for b in report.ageing.buckets] == [0, 0, 0, 0]
    assert (report.spd.days, report.spd.share, report.warranty.rate) == ([], None, None)


def test_a_fixed_number_of_queries(contacts: None, desk: Desk) -> None:
    with CaptureQueriesContext(connection) as few:
        contact_report(FIRST, LAST, IST, NOW)
    for i in range(10):
        desk.contact(f"x{i}", f"X{i}", A, "unresolved", local(10, 20), spd=True, warranty=True)
    with CaptureQueriesContext(connection) as more:
        report = contact_report(FIRST, LAST, IST, NOW)
    # One query per figure; the ageing's oldest rows are a fifth.
    assert len(few.captured_queries) == len(more.captured_queries) == 5
    assert (report.dispositions.contacts, report.ageing.total, report.spd.breached) == (21, 15, 15)


# --- the page, the CSV and the API ------------------------------------------------------


def test_the_page_shows_every_figure_and_the_charts(
    contacts: None, boss: Any, at_now: None
) -> None:
    from tests.web.test_views import text

    response = client_of(boss.user).get("/reports/contacts/" + PERIOD)
    assert response.status_code == 200
    page = text(response)
    assert "Contacts closed from 1 Oct 2026 to 31 Oct 2026 (days in Europe/Istanbul): 11." in page
    assert (
        "Disposition Contacts Resolved Unresolved "
        "Inbound >> Complaint 8 1 7 Inbound >> Query 2 1 1 Outbound >> Follow-up 1 0 0 "
        f"{A} 5 1 4 {B} 3 0 3 {C} 2 1 1 {D} 1 0 0"
    ) in page
    assert (
        "by age since they were closed: 5. 0–1 day 1–3 days 3–7 days Over 7 days 1 1 1 2 "
        "Oldest Ticket Customer Disposition Age "
        f"SO-2026-000001 Elif Kaya {A} 31 d 12 h "
        f"SO-2026-000008 Mehmet Demir {A} 27 d 2 h "
        f"SO-2026-000006 Ayşe Yılmaz {A} 5 d 4 h "
        f"SO-2026-000007 Elif Kaya {B} 2 d 6 h "
        f"SO-2026-000004 Elif Kaya {B} 12 h 01 min"
    ) in page
    assert (
        "those whose ticket had one: 5 of 8 (62.5 %). Day Breached With a promise date Share "
        "Thu 1 Oct 2026 1 1 100.0 % Mon 5 Oct 2026 1 1 100.0 % Sat 10 Oct 2026 0 1 0.0 % "
        "Thu 15 Oct 2026 0 1 0.0 % Tue 27 Oct 2026 1 2 50.0 % Thu 29 Oct 2026 1 1 100.0 % "
        "Fri 30 Oct 2026 1 1 100.0 %"
    ) in page
    assert (
        "closed with a reopen: 4 of 6 (66.7 %). Reason Within warranty Reopened Rate "
        "behaviour 2 1 50.0 % status 2 2 100.0 % delay 1 1 100.0 % followup 1 0 0.0 %"
    ) in page
    html = response.content.decode()
    assert html.count('<svg class="chart"') == 3
    assert 'id="chart-tags"' in html and 'id="chart-ageing"' in html and 'id="chart-spd"' in html
    assert "<title>Unresolved: 7</title>" in html and "<title>Over 7 days: 2</title>" in html
    assert "<title>With a promise date: 2</title>" in html
    assert "style=" not in html and "<script>" not in html
    assert 'href="/reports/contacts.csv?since=2026-10-01&amp;until=2026-10-31"' in html
    assert 'href="/reports/contacts/" aria-current="page">Contact report</a>' in html


def test_the_default_period_is_the_last_30_days(contacts: None, boss: Any, at_now: None) -> None:
    from tests.web.test_views import text

    page = text(client_of(boss.user).get("/reports/contacts/"))
    # 3 Oct to 1 Nov, today included: c10 (1 Nov 00:00) counts, c1 (1 Oct) does not.
    assert "from 3 Oct 2026 to 1 Nov 2026 (days in Europe/Istanbul): 11." in page


def test_bad_dates(contacts: None, boss: Any, at_now: None) -> None:
    from tests.web.test_views import text

    response = client_of(boss.user).get("/reports/contacts/?since=2026-10-31&until=2026-10-01")
    assert response.status_code == 422
    assert "To on or after the start date Show" in text(response)
    response = client_of(boss.user).get("/reports/contacts.csv?since=yesterday")
    assert (response.status_code, response.content) == (422, b"since: a date (YYYY-MM-DD)")


def test_the_csv_has_one_row_per_disposition_path(contacts: None, boss: Any) -> None:
    response = client_of(boss.user).get("/reports/contacts.csv" + PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="contacts-2026-10-01-2026-10-31.csv"'
    )
    assert response.content.decode().split("\r\n") == [
        "tag,group,since,until,contacts,resolved,unresolved",
        f"{A},Inbound >> Complaint,2026-10-01,2026-10-31,5,1,4",
        f"{B},Inbound >> Complaint,2026-10-01,2026-10-31,3,0,3",
        f"{C},Inbound >> Query,2026-10-01,2026-10-31,2,1,1",
        f"{D},Outbound >> Follow-up,2026-10-01,2026-10-31,1,0,0",
        "",
    ]


def test_csv_cells_are_never_formulas(desk: Desk, boss: Any) -> None:
    desk.contact("f1", "F1", '=HYPERLINK("http://x") >> Complaint', "resolved", local(12, 2))
    desk.contact("f2", "F2", "@SUM(A1) >> x", "", local(12, 2))
    response = client_of(boss.user).get("/reports/contacts.csv?since=2026-12-01&until=2026-12-31")
    assert response.content.decode().split("\r\n")[1:] == [
        '"\'=HYPERLINK(""http://x"") >> Complaint",'
        '"\'=HYPERLINK(""http://x"") >> Complaint",2026-12-01,2026-12-31,1,1,0',
        "'@SUM(A1) >> x,'@SUM(A1) >> x,2026-12-01,2026-12-31,1,0,0",
        "",
    ]


API = "/api/v1/reports/contacts"


def test_the_api_gives_every_figure(contacts: None, boss: Any, at_now: None) -> None:
    response = Client().get(
        API, {"since": "2026-10-01", "until": "2026-10-31"}, **bearer(boss.user)
    )
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "since": "2026-10-01",
        "until": "2026-10-31",
        "timezone": "Europe/Istanbul",
        "contacts": 11,
        "paths": [
            {"tag": A, "contacts": 5, "resolved": 1, "unresolved": 4},
            {"tag": B, "contacts": 3, "resolved": 0, "unresolved": 3},
            {"tag": C, "contacts": 2, "resolved": 1, "unresolved": 1},
            {"tag": D, "contacts": 1, "resolved": 0, "unresolved": 0},
        ],
        "groups": [
            {"tag": "Inbound >> Complaint", "contacts": 8, "resolved": 1, "unresolved": 7},
            {"tag": "Inbound >> Query", "contacts": 2, "resolved": 1, "unresolved": 1},
            {"tag": "Outbound >> Follow-up", "contacts": 1, "resolved": 0, "unresolved": 0},
        ],
        "unresolved_complaints": {
            "as_of": "2026-11-01T09:00:00+00:00",
            "total": 5,
            "buckets": [
                {"bucket": "0-1d", "count": 1},
                {"bucket": "1-3d", "count": 1},
                {"bucket": "3-7d", "count": 1},
                {"bucket": "7d+", "count": 2},
            ],
            "oldest": [
                {
                    "contact": "con_c1",
                    "ticket": "SO-2026-000001",
                    "customer": "Elif Kaya",
                    "tag": A,
                    "closed_at": "2026-09-30T21:00:00+00:00",
                    "age_seconds": (31 * 24 + 12) * 3600,
                },
                {
                    "contact": "con_c14",
                    "ticket": "SO-2026-000008",
                    "customer": "Mehmet Demir",
                    "tag": A,
                    "closed_at": "2026-10-05T07:00:00+00:00",
                    "age_seconds": (27 * 24 + 2) * 3600,
                },
                {
                    "contact": "con_c7",
                    "ticket": "SO-2026-000006",
                    "customer": "Ayşe Yılmaz",
                    "tag": A,
                    "closed_at": "2026-10-27T05:00:00+00:00",
                    "age_seconds": (5 * 24 + 4) * 3600,
                },
                {
                    "contact": "con_c11",
                    "ticket": "SO-2026-000007",
                    "customer": "Elif Kaya",
                    "tag": B,
                    "closed_at": "2026-10-30T03:00:00+00:00",
                    "age_seconds": (2 * 24 + 6) * 3600,
                },
                {
                    "contact": "con_c4",
                    "ticket": "SO-2026-000004",
                    "customer": "Elif Kaya",
                    "tag": B,
                    "closed_at": "2026-10-31T20:59:00+00:00",
                    "age_seconds": 12 * 3600 + 60,
                },
            ],
        },
        "spd_breaches": {
            "breached": 5,
            "with_promise_date": 8,
            "share": 0.625,
            "days": [
                {"day": "2026-10-01", "breached": 1, "with_promise_date": 1},
                {"day": "2026-10-05", "breached": 1, "with_promise_date": 1},
                {"day": "2026-10-10", "breached": 0, "with_promise_date": 1},
                {"day": "2026-10-15", "breached": 0, "with_promise_date": 1},
                {"day": "2026-10-27", "breached": 1, "with_promise_date": 2},
                {"day": "2026-10-29", "breached": 1, "with_promise_date": 1},
                {"day": "2026-10-30", "breached": 1, "with_promise_date": 1},
            ],
        },
        "warranty_reopens": {
            "within_warranty": 6,
            "reopened": 4,
            "rate": 0.6667,
            "reasons": [
                {"reason": "behaviour", "within_warranty": 2, "reopened": 1, "rate": 0.5},
                {"reason": "status", "within_warranty": 2, "reopened": 2, "rate": 1.0},
                {"reason": "delay", "within_warranty": 1, "reopened": 1, "rate": 1.0},
                {"reason": "followup", "within_warranty": 1, "reopened": 0, "rate": 0.0},
            ],
        },
    }


def test_an_admin_reads_the_api_with_the_session(contacts: None, at_now: None) -> None:
    admin = get_user_model().objects.create_superuser("root", password="pw")
    response = client_of(admin).get(API, {"since": "2026-10-31", "until": "2026-10-31"})
    assert response.status_code == 200
    assert response.json()["paths"] == [{"tag": B, "contacts": 1, "resolved": 0, "unresolved": 1}]


def test_the_api_refuses_bad_dates_and_anonymous(contacts: None, boss: Any) -> None:
    response = Client().get(API, {"since": "1 Oct"}, **bearer(boss.user))
    assert response.status_code == 422
    assert Client().get(API).status_code == 401


@pytest.mark.parametrize("path", ["/reports/contacts/", "/reports/contacts.csv", API])
def test_only_managers_and_admins_see_the_report(
    contacts: None, service_desk: Any, boss: Any, path: str
) -> None:
    for agent in (service_desk.retention_agent, service_desk.cobo_agent):
        assert client_of(agent.user).get(path).status_code == 403
    assert client_of(service_desk.channel.user).get(path).status_code == 403
    assert client_of(boss.user).get(path).status_code == 200
    admin = get_user_model().objects.create_superuser("root", password="pw")
    assert client_of(admin).get(path).status_code == 200


def test_agents_with_a_token_get_403_from_the_api(contacts: None, service_desk: Any) -> None:
    forbidden = {"detail": f"not allowed: {VIEW_ACTION}"}
    for agent in (service_desk.retention_agent, service_desk.cobo_agent):
        response = Client().get(API, **bearer(agent.user))
        assert (response.status_code, response.json()) == (403, forbidden)
    response = Client().get(API, HTTP_AUTHORIZATION=f"Bearer {service_desk.token}")
    assert (response.status_code, response.json()) == (403, forbidden)


def test_agents_do_not_see_the_nav_link(contacts: None, service_desk: Any, boss: Any) -> None:
    assert (
        "Contact report"
        not in client_of(service_desk.cobo_agent.user).get("/tasks/").content.decode()
    )
    assert "Contact report</a>" in client_of(boss.user).get("/tasks/").content.decode()
