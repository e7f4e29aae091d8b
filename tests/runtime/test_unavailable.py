"""A request that loses the database gets 503 with Retry-After, not a bare 500.

The database refuses here by `connection.cursor` raising what Django raises for
a refused or cut connection; tests/runtime/test_db_restart.py cuts a real
PostgreSQL connection under a running server.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client

from tests.conftest import Staff

pytestmark = pytest.mark.django_db


def refuse_with(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    def cursor(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(connection, "cursor", cursor)


@pytest.mark.parametrize(
    "error",
    [OperationalError("connection refused"), InterfaceError("connection already closed")],
)
def test_a_page_without_its_database_asks_to_come_back(
    staff: Staff, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(staff.ayse.user)
    refuse_with(monkeypatch, error)
    response = client.get("/tasks/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = response.content.decode()
    assert "Back in a moment" in body
    assert "cannot reach its database" in body
    assert "connection" not in body.replace("cannot reach its database", "")  # no error text


def test_an_api_call_without_its_database_gets_json_503(
    staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_with(monkeypatch, OperationalError("could not connect to server: 10.0.0.7"))
    response = Client(raise_request_exception=False).get(
        "/api/v1/customers/cus_zzzzzzzzzzzzzzzz", headers={"Authorization": f"Bearer {staff.token}"}
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "The database is not reachable right now; try again shortly."
    }


def test_the_outage_is_logged_with_its_traceback_for_the_operator(
    staff: Staff, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(staff.ayse.user)
    refuse_with(monkeypatch, OperationalError("connection refused"))
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/tasks/")
    assert response.status_code == 503
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Service Unavailable: /tasks/"
    assert record.exc_info is not None and record.exc_info[0] is OperationalError


def test_any_other_failure_stays_a_500_without_retry_after(
    staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(staff.ayse.user)
    refuse_with(monkeypatch, RuntimeError("a bug"))
    for path in ("/tasks/", "/api/v1/customers/cus_zzzzzzzzzzzzzzzz"):
        response = client.get(path, headers={"Authorization": f"Bearer {staff.token}"})
        assert response.status_code == 500
        assert "Retry-After" not in response
