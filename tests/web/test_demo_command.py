"""`opsdesk demo --no-serve`: migrate, install the playbooks, seed once, print the logins."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count

from tests.conftest import BEFORE_REPUBLIC_DAY

KEY = "customer-onboarding"


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    return out.getvalue()


def counts() -> dict[str, Any]:
    """Everything the seed writes, as plain numbers and sorted tuples."""
    from opsdesk.access.models import ApiToken
    from opsdesk.cases.models import Case, Flag, PlaybookVersion, TimelineEvent
    from opsdesk.comms.models import Message
    from opsdesk.customers.models import Customer, Document, Order
    from opsdesk.runtime.models import OutboxItem, Timer
    from opsdesk.staff.models import Agent, BusinessCalendar, Team
    from opsdesk.tasks.models import Task

    def grouped(qs: Any, *fields: str) -> dict[Any, int]:
        rows = qs.values(*fields).annotate(n=Count("pk")).order_by(*fields)
        return {
            tuple(r[f] for f in fields) if len(fields) > 1 else r[fields[0]]: r["n"] for r in rows
        }

    # The demo also seeds service orders (tests/orders/test_demo_orders.py counts those):
    # here, only the onboarding side (and the visa desk's applications, below).
    cases = Case.objects.filter(playbook__key=KEY)
    onboarding = Customer.objects.filter(
        service_orders__isnull=True, applications__isnull=True, requests__isnull=True
    ).distinct()
    return {
        "users": get_user_model().objects.count(),
        "agents": grouped(Agent.objects, "role"),
        "teams": Team.objects.count(),
        "calendars": BusinessCalendar.objects.count(),
        "tokens": ApiToken.objects.count(),
        "playbooks": PlaybookVersion.objects.filter(key=KEY).count(),
        "customers": onboarding.count(),
        "customers_by_source": grouped(onboarding, "source"),
        "cases_by_state": grouped(cases, "state"),
        "cases_by_status": grouped(cases, "status"),
        "cases_without_agent": cases.filter(agent__isnull=True).count(),
        "flags": grouped(Flag.objects, "code", "status"),
        "orders": Order.objects.count(),
        "orders_reviewed": Order.objects.filter(reviewed_at__isnull=False).count(),
        "documents": Document.objects.count(),
        "tasks": grouped(Task.objects.filter(case__in=cases), "key", "status"),
        "tasks_by_priority": grouped(Task.objects.filter(case__in=cases), "priority"),
        "messages": grouped(
            Message.objects.filter(customer__in=onboarding), "template", "channel", "status"
        ),
        "outbox": OutboxItem.objects.filter(message__case__in=cases).count(),
        "timers": grouped(Timer.objects.filter(case__in=cases), "status"),
        "timeline": TimelineEvent.objects.filter(customer__in=onboarding).count(),
    }


@pytest.mark.django_db
def test_demo_seeds_every_onboarding_state_once(frozen_clock: Any) -> None:
    from opsdesk.access.tokens import token_user
    from opsdesk.common import clock
    from opsdesk.tasks.models import Task

    out = run_demo()

    seeded = counts()
    # Onboarding: admin, manager, four agents, the integration user; service
    # orders: six agents and the three sales channels' integration users; four
    # field technicians; the visa desk's two agents and the partner platform's user;
    # the travel concierge's four agents and its guest services manager.
    assert seeded["users"] == 28
    assert seeded["agents"] == {"admin": 1, "agent": 20, "integration": 5, "manager": 2}
    assert (seeded["teams"], seeded["calendars"], seeded["tokens"]) == (14, 1, 5)
    assert seeded["playbooks"] == 1
    assert seeded["customers"] == 15
    assert seeded["customers_by_source"] == {"API": 2, "APP_WEB": 7, "STAFF": 6}
    assert seeded["cases_by_state"] == {
        "collecting_documents": 1,
        "intake": 7,
        "onboarded": 2,
        "profile_review": 4,
        "withdrawn": 1,
    }
    assert seeded["cases_by_status"] == {"CLOSED": 3, "OPEN": 12}
    assert seeded["cases_without_agent"] == 4  # the four still in profile review
    assert seeded["flags"] == {
        ("email_missing", "OPEN"): 1,
        ("name_not_passport_like", "OPEN"): 1,
        ("nationality_missing", "OPEN"): 1,
        ("nationality_missing", "OVERRIDDEN"): 1,
        ("phone_no_country_code", "OPEN"): 1,
        ("phone_not_whatsapp", "OPEN"): 1,
    }
    assert (seeded["orders"], seeded["orders_reviewed"]) == (4, 2)
    # Uploaded through app-web 2 + 3 + 1, received by staff later 2 + 4 + 3.
    assert seeded["documents"] == 15
    assert seeded["tasks"] == {
        ("follow_up", "DONE"): 2,
        ("follow_up", "OPEN"): 1,
        ("intake", "DONE"): 3,
        ("intake", "OPEN"): 7,
        # Withdrawing closes the case and cancels its open task.
        ("intake", "CANCELLED"): 1,
    }
    assert seeded["tasks_by_priority"] == {"HIGH": 1, "MEDIUM": 13}
    # Nothing is sent until the worker runs: every playbook message is still queued.
    assert seeded["messages"] == {
        ("", "PHONE", "LOGGED"): 1,
        ("expectations", "WHATSAPP", "QUEUED"): 11,
        ("missing_documents", "WHATSAPP", "QUEUED"): 10,
        ("welcome", "WHATSAPP", "QUEUED"): 11,
    }
    assert seeded["outbox"] == 32
    assert seeded["timers"] == {"CANCELLED": 3, "PENDING": 7}  # two onboarded, one withdrawn

    # Cases were opened over the past days, so some intake tasks are overdue now.
    overdue = Task.objects.filter(
        status="OPEN", due_at__lt=BEFORE_REPUBLIC_DAY, case__playbook__key=KEY
    )
    assert sorted(overdue.values_list("key", flat=True)) == ["follow_up"] + ["intake"] * 4
    # The seed moved the clock back and put it back where the test had it.
    assert clock.now() == BEFORE_REPUBLIC_DAY

    assert "Demo data: created 15 customers and 17 service orders." in out
    for key in ("telesales", "partner-portal", "email-desk"):
        assert any(line.startswith(f"Channel:   {key} ") for line in out.splitlines())
    assert "URL:       http://127.0.0.1:8000/   (not started: --no-serve)" in out
    assert "Login:     admin / opsdesk-demo   (administrator)" in out
    for username in ("selin", "ayse", "mehmet", "john", "elif"):
        assert f"  {username} " in out
    token = next(line.split()[2] for line in out.splitlines() if line.startswith("API token: ods_"))
    assert token_user(token).username == "app-web"


@pytest.mark.django_db
def test_demo_twice_changes_nothing(frozen_clock: Any) -> None:
    run_demo()
    before = counts()

    out = run_demo()

    assert counts() == before
    assert "customer-onboarding v1 unchanged" in out
    assert "Demo data: not created: the demo data is already there." in out
    assert "URL:       http://127.0.0.1:8000/" in out
    assert "Login:     admin / opsdesk-demo   (administrator)" in out
    assert "API token: ods_" not in out  # only its hash is stored
    assert "opsdesk token create app-web --name demo" in out  # how to make a new one


@pytest.mark.django_db
def test_demo_does_not_seed_a_database_with_staff(staff: Any) -> None:
    from opsdesk.customers.models import Customer

    users = get_user_model().objects.count()

    out = run_demo()

    assert "Demo data: not created: this database already has customers or staff" in out
    assert Customer.objects.count() == 0
    assert get_user_model().objects.count() == users
    assert "Login:" not in out  # no demo logins exist to print
