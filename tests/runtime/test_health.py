"""/healthz and /readyz: public, cheap, and exact about what is not ready."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client

from opsdesk.runtime import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_the_database(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "sessionid" not in response.cookies
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ready_on_a_migrated_database() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }
    assert "sessionid" not in response.cookies


def test_readyz_names_an_unapplied_migration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "unapplied_migrations", lambda: ["runtime.0099_later"])
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {"database": "ok", "migrations": "unapplied: runtime.0099_later"},
    }


def test_unapplied_migrations_reads_the_migration_table() -> None:
    assert health.unapplied_migrations() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = %s AND name = %s",
            ["runtime", "0001_initial"],
        )
    assert "runtime.0001_initial" in health.unapplied_migrations()


def test_readyz_when_the_database_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = Client().get("/readyz")
    assert response.status_code == 503
    # The error's class only: the anonymous caller learns no host or credentials.
    assert response.json() == {
        "status": "not ready",
        "checks": {"database": "error: OperationalError", "migrations": "not checked"},
    }


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_only_read(path: str) -> None:
    response = Client().post(path)
    assert response.status_code == 405
