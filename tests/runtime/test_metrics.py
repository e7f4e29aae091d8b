"""/metrics: who may scrape, the database's figures, the request counters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from opsdesk.cases.models import Case, CaseStatus, TimelineEvent
from opsdesk.customers.models import Customer
from opsdesk.runtime.metrics import DatabaseCollector
from opsdesk.runtime.models import OutboxItem, OutboxStatus, Timer, TimerStatus
from tests.conftest import BEFORE_REPUBLIC_DAY

pytestmark = pytest.mark.django_db

NOW = BEFORE_REPUBLIC_DAY


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(**extra: Any) -> Any:
    return Client().get("/metrics", **extra)


def test_metrics_refuse_a_remote_caller_without_the_token(settings: Any) -> None:
    settings.OPSDESK_METRICS_TOKEN = "s3cret-token"
    response = scrape(REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 403
    assert b"opsdesk_" not in response.content
    wrong = scrape(REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer wrong")
    assert wrong.status_code == 403


def test_metrics_without_a_configured_token_refuse_any_bearer(settings: Any) -> None:
    settings.OPSDESK_METRICS_TOKEN = ""
    response = scrape(REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


def test_metrics_answer_a_remote_caller_with_the_token(settings: Any) -> None:
    settings.OPSDESK_METRICS_TOKEN = "s3cret-token"
    response = scrape(REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"opsdesk_outbox_queue_depth" in response.content


def test_metrics_answer_loopback_but_not_through_a_local_proxy(settings: Any) -> None:
    settings.OPSDESK_METRICS_TOKEN = ""
    assert scrape(REMOTE_ADDR="127.0.0.1").status_code == 200
    assert scrape(REMOTE_ADDR="::1").status_code == 200
    # A reverse proxy on the same host connects from loopback for everyone.
    proxied = scrape(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert proxied.status_code == 403


def make_case(customer: Customer, version: Any, number: str, status: str) -> Case:
    return Case.objects.create(
        number=number,
        customer=customer,
        playbook=version,
        state="waiting",
        status=status,
        opened_at=NOW,
        updated_at=NOW,
    )


def test_database_figures_at_scrape_time(onboarding: Any, frozen_clock: Any) -> None:
    customer = Customer.objects.create(
        given_name="Mehmet", family_name="Kaya", created_at=NOW, updated_at=NOW
    )
    first = make_case(customer, onboarding, "ONB-2026-000001", CaseStatus.OPEN)
    second = make_case(customer, onboarding, "ONB-2026-000002", CaseStatus.OPEN)
    make_case(customer, onboarding, "ONB-2026-000003", CaseStatus.CLOSED)
    seconds = dt.timedelta(seconds=1)
    Timer.objects.create(case=first, name="late", due_at=NOW - 90 * seconds, created_at=NOW)
    Timer.objects.create(case=first, name="later", due_at=NOW - 30 * seconds, created_at=NOW)
    Timer.objects.create(case=second, name="soon", due_at=NOW + 60 * seconds, created_at=NOW)
    Timer.objects.create(
        case=second,
        name="fired",
        due_at=NOW - 3600 * seconds,
        status=TimerStatus.FIRED,
        created_at=NOW,
    )
    for status in ["PENDING", "PENDING", "SENDING", "DONE", "DEAD"]:
        OutboxItem.objects.create(
            kind="test.effect", status=status, next_attempt_at=NOW, created_at=NOW
        )
    for _ in range(2):
        TimelineEvent(
            customer=customer, case=first, type="SLA_BREACHED", actor="worker", at=NOW
        ).save()

    response = scrape()
    assert response.status_code == 200
    got = samples(response.content.decode())
    assert got[("opsdesk_metrics_database_up", ())] == 1
    assert got[("opsdesk_outbox_queue_depth", ())] == 3  # 2 PENDING + 1 SENDING
    assert got[("opsdesk_outbox_dead_items", ())] == 1
    assert got[("opsdesk_timers_pending", ())] == 3
    assert got[("opsdesk_timer_lag_seconds", ())] == 90.0
    assert got[("opsdesk_sla_breaches_total", ())] == 2
    assert got[("opsdesk_cases_open", (("playbook", onboarding.key),))] == 2
    assert OutboxItem.objects.filter(status=OutboxStatus.PENDING).count() == 2  # only read


def test_timer_lag_is_zero_when_no_timer_is_overdue(db: Any, frozen_clock: Any) -> None:
    got = samples(scrape().content.decode())
    assert got[("opsdesk_timer_lag_seconds", ())] == 0.0
    assert got[("opsdesk_timers_pending", ())] == 0
    assert got[("opsdesk_outbox_queue_depth", ())] == 0


def request_count(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("opsdesk_http_requests_total", labels) or 0.0


def test_requests_are_counted_by_route_pattern_not_by_path(db: Any) -> None:
    route = "customers/<str:customer_id>/"
    response = Client().get("/customers/cus_0123456789abcdef/")
    status = str(response.status_code)
    before = request_count(route, status) - 1  # the request above
    Client().get("/customers/cus_fedcba9876543210/")
    assert request_count(route, status) == before + 2

    text = scrape().content.decode()
    assert "cus_0123456789abcdef" not in text
    assert "cus_fedcba9876543210" not in text
    got = samples(text)
    key = ("method", "GET"), ("route", route), ("status", status)
    assert got[("opsdesk_http_requests_total", key)] == before + 2
    assert got[("opsdesk_http_request_duration_seconds_count", key[:2])] >= 2


def test_an_unknown_path_is_counted_as_unmatched(db: Any) -> None:
    before = request_count("<unmatched>", "404")
    assert Client().get("/no/such/page/42").status_code == 404
    assert request_count("<unmatched>", "404") == before + 1


def test_a_database_failure_leaves_the_request_metrics(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(self: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(DatabaseCollector, "figures", fail)
    Client().get("/healthz")
    response = scrape()
    assert response.status_code == 200
    got = samples(response.content.decode())
    assert got[("opsdesk_metrics_database_up", ())] == 0
    assert ("opsdesk_outbox_queue_depth", ()) not in got
    assert any(name == "opsdesk_http_requests_total" for name, _ in got)
