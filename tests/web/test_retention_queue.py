"""The retention queue: why each case is there, the retention call with its root
cause, the playbook's buttons (won back, close as lost); and the workspace's task
form asking for a task's fields."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from opsdesk.cases.models import Case, CaseMilestone, TimelineEvent
from opsdesk.common.actors import Actor
from opsdesk.orders.intake import orders_receive
from opsdesk.orders.models import HandBack
from opsdesk.staff.services import agent_create
from opsdesk.tasks.models import Task, TaskStatus
from opsdesk.tasks.services import task_complete, task_create
from tests.orders.test_intake import order
from tests.web.conftest import HTMX, login
from tests.web.test_views import text

pytestmark = pytest.mark.django_db

CHANNEL = Actor("api:channel-telesales")


def to_retention(desk: Any, ref: str, outcome: str, phone: str, given_name: str) -> Case:
    """An order routed to Istanbul; Cem's confirmation call ends with `outcome`
    (reject: the case is `rejected`; no_answer: `not_responding` and handed back)."""
    (result,) = orders_receive(
        desk.channel, [order(ref, phone=phone, given_name=given_name)], CHANNEL
    )
    case_id = result.order.case_id
    cem = Actor.of_user(desk.cobo_agent.user)
    call = task_create(case_id=case_id, key="confirmation_call", actor=cem)
    task_complete(call.pk, cem, values={"call_outcome": outcome})
    return Case.objects.get(pk=case_id)


@pytest.fixture
def retention(service_desk: Any, frozen_clock: Any) -> dict[str, Case]:
    rejected = to_retention(service_desk, "TS-1", "reject", "+905321110001", "Ahmet")
    silent = to_retention(service_desk, "TS-2", "no_answer", "+905321110002", "Elif")
    return {"rejected": rejected, "silent": silent}


def call_task(case: Case) -> Task:
    return Task.objects.get(case=case, key="retention_call")


def state(case: Case) -> tuple[str, str, dict[str, Any]]:
    """The state, the status and the fields the retention call records."""
    case.refresh_from_db()
    keys = ("call_outcome", "rejection_cause", "retention_notes")
    return case.state, case.status, {k: case.fields.get(k) for k in keys}


def test_cases_wait_in_retention_with_the_reason(
    retention: dict[str, Case],
    service_desk: Any,
) -> None:
    rejected, silent = retention["rejected"], retention["silent"]
    assert (rejected.state, rejected.team.name, rejected.agent.name) == (
        "retention",
        "Retention",
        "Rana Retention",
    )
    assert HandBack.objects.filter(order__case=silent).count() == 1
    response = login(service_desk.retention_agent).get("/retention/")
    assert response.status_code == 200
    page = text(response)
    assert (
        f"Ahmet Demir {rejected.number} Rejected Channel Telesales · TS-1 Service fiber_install "
        "Phone +905321110001 Agent Rana Retention Rejected Wed 28 Oct 2026, 10:00 "
        "Retention: call Ahmet Demir (telesales order TS-1)"
    ) in page
    assert (
        f"Elif Demir {silent.number} Not responding Channel Telesales · TS-2 "
        "Service fiber_install Phone +905321110002 Agent Rana Retention "
        "Stopped answering Wed 28 Oct 2026, 10:00"
    ) in page
    assert page.count("Root cause * Choose… Price Timing Competitor No longer needed") == 2
    assert page.count("Retention notes") == 2
    assert page.count("Record the call Won back — book a visit Close as lost") == 2


def test_who_sees_the_queue(retention: dict[str, Case], service_desk: Any) -> None:
    # Cem's team is not Retention (and the customers are out of his view now).
    assert "No case is waiting in retention." in text(
        login(service_desk.cobo_agent).get("/retention/")
    )
    # A manager sees every retention case the policy lets them see.
    boss = agent_create(
        username="mete",
        name="Mete Manager",
        password="pw",
        team=service_desk.teams["Retention"],
        role="manager",
    )
    page = text(login(boss).get("/retention/"))
    assert "Ahmet Demir" in page and "Elif Demir" in page
    admin = get_user_model().objects.create_superuser("root", password="pw")
    client = Client()
    client.force_login(admin)
    page = text(client.get("/retention/"))
    assert "Ahmet Demir" in page and "Elif Demir" in page
    integration = Client()
    integration.force_login(service_desk.channel.user)
    assert integration.get("/retention/").status_code == 403


def test_the_root_cause_is_required_and_shown_at_its_field(
    retention: dict[str, Case],
    service_desk: Any,
) -> None:
    case = retention["rejected"]
    task = call_task(case)
    events = TimelineEvent.objects.count()
    response = login(service_desk.retention_agent).post(
        f"/retention/tasks/{task.pk}/complete/",
        {"values.rejection_cause": "", "values.retention_notes": "Too expensive"},
    )
    assert response.status_code == 422
    article = text(response).split("Ahmet Demir", 1)[1].split("Elif Demir", 1)[0]
    assert "Root cause * Choose… Price" in article
    assert "Other this field is required Retention notes Too expensive Record the call" in article
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert state(case) == (
        "retention",
        "OPEN",
        {"call_outcome": "reject", "rejection_cause": None, "retention_notes": None},
    )
    assert TimelineEvent.objects.count() == events


def test_a_cause_outside_the_list_is_refused(
    retention: dict[str, Case],
    service_desk: Any,
) -> None:
    task = call_task(retention["rejected"])
    response = login(service_desk.retention_agent).post(
        f"/retention/tasks/{task.pk}/complete/", {"values.rejection_cause": "weather"}
    )
    assert response.status_code == 422
    assert (
        "must be one of price, timing, competitor, no_longer_needed, service_quality, "
        "unreachable, other"
    ) in text(response)


def test_record_the_call_then_close_as_lost(
    retention: dict[str, Case],
    service_desk: Any,
) -> None:
    client = login(service_desk.retention_agent)
    case = retention["silent"]
    # Not before the call is recorded: the playbook says why.
    response = client.post(f"/retention/cases/{case.pk}/transition/", {"to": "lost"})
    assert response.status_code == 409
    assert "Not yet — these checks are not met:" in text(response)
    assert state(case)[:2] == ("retention", "OPEN")

    task = call_task(case)
    response = client.post(
        f"/retention/tasks/{task.pk}/complete/",
        {
            "values.rejection_cause": "unreachable",
            "values.retention_notes": "Three calls, no answer",
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/retention/")
    page = text(client.get("/retention/"))
    assert f"Retention call of case {case.number} recorded." in page
    assert "Call done" in page and "Root cause: unreachable" in page
    assert state(case) == (
        "retention",
        "OPEN",
        {
            "call_outcome": "no_answer",
            "rejection_cause": "unreachable",
            "retention_notes": "Three calls, no answer",
        },
    )
    response = client.post(f"/retention/cases/{case.pk}/transition/", {"to": "lost"})
    assert response.status_code == 302
    assert state(case)[:2] == ("lost", "CLOSED")
    assert CaseMilestone.objects.filter(case=case, name="lost").exists()
    page = text(client.get("/retention/"))
    assert f"Case {case.number}: Close as lost. Now: Lost." in page
    assert "Elif Demir" not in page.split(f"Case {case.number}", 1)[1]


def test_won_back_books_a_visit_and_leaves_the_queue(
    retention: dict[str, Case],
    service_desk: Any,
) -> None:
    client = login(service_desk.retention_agent)
    case = retention["rejected"]
    task = call_task(case)
    response = client.post(
        f"/retention/tasks/{task.pk}/complete/",
        {"values.rejection_cause": "timing", "values.retention_notes": ""},
        **HTMX,
    )
    assert response.status_code == 302  # htmx follows it and picks #main from the page
    response = client.post(
        f"/retention/cases/{case.pk}/transition/", {"to": "scheduling"}, follow=True, **HTMX
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.state, case.fields["rejection_cause"]) == ("scheduled", "timing")
    assert CaseMilestone.objects.filter(case=case, name="won_back").exists()
    page = text(response)
    assert f"Case {case.number}: Won back — book a visit. Now: Visit scheduled." in page
    assert "Ahmet Demir" not in page.split("Now: Visit scheduled.", 1)[1]
    assert "Elif Demir" in page


def test_the_workspace_task_form_asks_for_the_tasks_fields(
    retention: dict[str, Case],
    service_desk: Any,
) -> None:
    client = login(service_desk.retention_agent)
    case = retention["rejected"]
    task = call_task(case)
    ws = f"/customers/{case.customer_id}/"
    tasks = text(client.get(ws)).split("Tasks", 1)[1]
    assert "Retention: call Ahmet Demir (telesales order TS-1) High" in tasks
    assert "Root cause * Choose… Price Timing" in tasks
    assert "Retention notes Complete" in tasks
    url = f"{ws}tasks/{task.pk}/complete/"
    response = client.post(url, {"values.retention_notes": "Called"}, **HTMX)
    assert response.status_code == 422
    assert "Root cause * Choose… Price" in text(response)
    assert "this field is required" in text(response)
    assert "Called" in text(response)  # what was typed stays
    response = client.post(
        url, {"values.rejection_cause": "competitor", "values.retention_notes": "Called"}
    )
    assert response.status_code == 302
    assert state(case)[2]["rejection_cause"] == "competitor"
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
