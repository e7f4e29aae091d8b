"""The app-web trigger: the onboarding SOP walked through the REST API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.customers.models import Customer
from opsdesk.staff.models import Agent

pytestmark = pytest.mark.django_db

NEW_CUSTOMER = {
    "given_name": "Sarah",
    "middle_name": "Jane",
    "family_name": "Connor",
    "phone": "+44 7911 123456",
    "whatsapp": True,
    "email": "sarah.connor@example.com",
    "nationality": "GB",
    "language": "en",
    "fields": {"service_type": "immigration", "deadline": "2026-11-15"},
    "order": {"service_type": "immigration", "notes": "Work permit renewal"},
    "documents": ["Passport (all pages)"],
}


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def api(client: Client, staff: Any) -> Client:
    return client


def test_app_web_creates_a_customer_and_the_sop_runs(
    api: Client, onboarding: Any, staff: Any, frozen_clock: Any
) -> None:
    # Ayşe and John both handle immigration in English; Ayşe already has a case.
    Agent.objects.filter(pk=staff.ayse.pk).update(open_cases=1)
    r = api.post(
        "/api/v1/customers", NEW_CUSTOMER, content_type="application/json", **bearer(staff.token)
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["id"].startswith("cus_")
    assert body["phone"] == "+447911123456"
    assert body["source"] == "APP_WEB"
    (case,) = body["cases"]
    assert case["number"] == "ONB-2026-000001"
    assert case["state"] == "intake"
    assert case["agent_name"] == "John Carter"  # immigration, English, lowest workload
    assert case["flags"] == []
    assert case["fields"] == {
        "service_type": "immigration",
        "deadline": "2026-11-15",
        "intake_notes": None,
    }

    # The integration may read what it created.
    r = api.get(f"/api/v1/customers/{body['id']}", **bearer(staff.token))
    assert r.status_code == 200
    timeline = api.get(f"/api/v1/customers/{body['id']}/timeline?limit=3", **bearer(staff.token))
    assert [e["type"] for e in timeline.json()] == ["MESSAGE_QUEUED", "TIMER_SET", "MESSAGE_QUEUED"]

    # The agent works the case through the API with the session of the UI.
    api.force_login(staff.john.user)
    tasks = api.get("/api/v1/tasks").json()
    assert [(t["title"], t["priority"]) for t in tasks] == [
        ("Review Sarah Jane Connor — initial document check", "HIGH")  # deadline in 18 days
    ]
    assert tasks[0]["due_at"] == "2026-11-02T15:00:00Z"
    task_id = tasks[0]["id"]
    r = api.post(f"/api/v1/tasks/{task_id}/complete")
    assert r.status_code == 409
    assert r.json() == {
        "detail": "refused by the playbook",
        "reasons": ["Order reviewed and service type confirmed", "Next follow-up task created"],
    }
    order_id = Customer.objects.get(pk=body["id"]).orders.get().pk
    r = api.post(
        f"/api/v1/orders/{order_id}/review",
        {"service_type": "immigration", "notes": "Work permit renewal, employer letter ready"},
        content_type="application/json",
    )
    assert r.status_code == 200
    r = api.post(
        f"/api/v1/cases/{case['id']}/tasks", {"key": "follow_up"}, content_type="application/json"
    )
    assert r.status_code == 201
    r = api.post(f"/api/v1/tasks/{task_id}/complete")
    assert r.status_code == 200
    assert r.json()["status"] == "DONE"
    assert Case.objects.get(pk=case["id"]).state == "collecting_documents"


def test_bad_input_gets_field_messages_and_saves_nothing(
    api: Client, onboarding: Any, staff: Any
) -> None:
    bad = {**NEW_CUSTOMER, "nationality": "Turkey", "fields": {"service_type": "tourism"}}
    del bad["family_name"]
    r = api.post("/api/v1/customers", bad, content_type="application/json", **bearer(staff.token))
    assert r.status_code == 422
    assert r.json()["errors"] == {
        "family_name": ["Field required"],
        "nationality": ["String should have at most 2 characters"],
    }
    bad["family_name"] = "Connor"
    bad["nationality"] = "XX"
    r = api.post("/api/v1/customers", bad, content_type="application/json", **bearer(staff.token))
    assert r.status_code == 422
    assert r.json()["errors"] == {
        "nationality": ["'XX' is not an ISO 3166 country code (e.g. TR, GB)"],
        "fields.service_type": ["must be one of immigration, insurance"],
    }
    assert Customer.objects.count() == 0
    assert TimelineEvent.objects.count() == 0


def test_no_token_or_a_wrong_token_is_refused(api: Client, onboarding: Any, staff: Any) -> None:
    r = api.post("/api/v1/customers", NEW_CUSTOMER, content_type="application/json")
    assert r.status_code == 401
    r = api.post(
        "/api/v1/customers", NEW_CUSTOMER, content_type="application/json", **bearer("ods_forged")
    )
    assert r.status_code == 401
    assert Customer.objects.count() == 0


def test_integration_cannot_act_on_cases(api: Client, onboarding: Any, staff: Any) -> None:
    r = api.post(
        "/api/v1/customers", NEW_CUSTOMER, content_type="application/json", **bearer(staff.token)
    )
    case_id = r.json()["cases"][0]["id"]
    before = TimelineEvent.objects.count()
    r = api.post(
        f"/api/v1/cases/{case_id}/transitions",
        {"to": "withdrawn"},
        content_type="application/json",
        **bearer(staff.token),
    )
    assert r.status_code == 403
    assert TimelineEvent.objects.count() == before
    assert Case.objects.get(pk=case_id).state == "intake"


def test_another_teams_agent_sees_nothing(api: Client, onboarding: Any, staff: Any) -> None:
    r = api.post(
        "/api/v1/customers", NEW_CUSTOMER, content_type="application/json", **bearer(staff.token)
    )
    customer_id = r.json()["id"]
    api.force_login(staff.outsider.user)
    assert api.get(f"/api/v1/customers/{customer_id}").status_code == 404
    r = api.patch(
        f"/api/v1/customers/{customer_id}", {"given_name": "X"}, content_type="application/json"
    )
    assert r.status_code == 404
    assert Customer.objects.get(pk=customer_id).given_name == "Sarah"


def test_session_calls_need_the_csrf_token(onboarding: Any, staff: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff.john.user)
    r = client.post("/api/v1/customers", NEW_CUSTOMER, content_type="application/json")
    assert r.status_code == 403
    assert Customer.objects.count() == 0


def test_openapi_document_is_served(api: Client) -> None:
    r = api.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/customers" in paths
    assert "/api/v1/tasks/{task_id}/complete" in paths


def test_frozen_clock_is_wednesday(frozen_clock: Any) -> None:
    assert frozen_clock.now() == dt.datetime(2026, 10, 28, 7, 0, tzinfo=dt.UTC)
