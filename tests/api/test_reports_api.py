"""GET /api/v1/reports/channels: the channel report for managers and admins."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from opsdesk.reports.selectors import VIEW_ACTION
from tests.reports.people import bearer
from tests.reports.test_channel_report import channels, orders  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/channels"
PERIOD = {"since": "2026-10-01", "until": "2026-10-31"}

TELESALES = {
    "channel": "telesales",
    "name": "Telesales",
    "received": 15,
    "eligible": 14,
    "confirmed": 3,
    "rejected": 9,
    "not_responding": 1,
    "handed_back": 1,
    "completed": 1,
    "median_to_confirm_seconds": 7200,
    "rejection_causes": [
        {"cause": "price", "count": 3},
        {"cause": "timing", "count": 2},
        {"cause": "competitor", "count": 1},
        {"cause": "other", "count": 1},
        {"cause": "service_quality", "count": 1},
    ],
}


def test_a_manager_reads_the_report_with_a_token(orders: None, boss: Any) -> None:  # noqa: F811
    response = Client().get(URL, PERIOD, **bearer(boss.user))
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("since", "until", "timezone")} == {
        "since": "2026-10-01",
        "until": "2026-10-31",
        "timezone": "Europe/Istanbul",
    }
    assert [c["channel"] for c in body["channels"]] == ["partner", "telesales", "webshop"]
    assert body["channels"][1] == TELESALES
    assert body["channels"][0] == {
        "channel": "partner",
        "name": "Partner portal",
        "received": 0,
        "eligible": 0,
        "confirmed": 0,
        "rejected": 0,
        "not_responding": 0,
        "handed_back": 0,
        "completed": 0,
        "median_to_confirm_seconds": None,
        "rejection_causes": [],
    }
    assert body["channels"][2]["median_to_confirm_seconds"] == 5400


def test_one_channel_with_the_session(orders: None, boss: Any) -> None:  # noqa: F811
    client = Client()
    client.force_login(boss.user)
    response = client.get(URL, {**PERIOD, "channel": "telesales"})
    assert response.status_code == 200
    assert response.json()["channels"] == [TELESALES]


def test_an_admin_may_read_it(orders: None) -> None:  # noqa: F811
    admin = get_user_model().objects.create_superuser("root", password="pw")
    response = Client().get(URL, PERIOD, **bearer(admin))
    assert response.status_code == 200
    assert response.json()["channels"][1] == TELESALES


def test_agents_and_integrations_may_not(orders: None, service_desk: Any) -> None:  # noqa: F811
    forbidden = {"detail": f"not allowed: {VIEW_ACTION}"}
    for user in (service_desk.cobo_agent.user, service_desk.retention_agent.user):
        response = Client().get(URL, PERIOD, **bearer(user))
        assert (response.status_code, response.json()) == (403, forbidden)
    response = Client().get(URL, PERIOD, HTTP_AUTHORIZATION=f"Bearer {service_desk.token}")
    assert (response.status_code, response.json()) == (403, forbidden)
    client = Client()
    client.force_login(service_desk.cobo_agent.user)
    assert client.get(URL, PERIOD).status_code == 403


def test_anonymous_is_401(orders: None) -> None:  # noqa: F811
    assert Client().get(URL, PERIOD).status_code == 401


def test_bad_dates_are_422(orders: None, boss: Any) -> None:  # noqa: F811
    auth = bearer(boss.user)
    response = Client().get(URL, {"since": "1 Oct", "until": "2026-13-01"}, **auth)
    assert (response.status_code, response.json()) == (
        422,
        {
            "detail": "invalid input",
            "errors": {"since": ["a date (YYYY-MM-DD)"], "until": ["a date (YYYY-MM-DD)"]},
        },
    )
    response = Client().get(URL, {"since": "2026-10-31", "until": "2026-10-01"}, **auth)
    assert (response.status_code, response.json()["errors"]) == (
        422,
        {"until": ["on or after the start date"]},
    )
