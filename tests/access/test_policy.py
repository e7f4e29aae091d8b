"""Who may see and do what: one table of personas against `opsdesk.access.policy`."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AnonymousUser

from opsdesk import settings as production_settings
from opsdesk.access.policy import can, visible_customers, visible_tasks
from opsdesk.cases.models import Case
from opsdesk.cases.services import case_assign
from opsdesk.common.actors import Actor
from opsdesk.customers.services import CustomerInput, customer_create

pytestmark = pytest.mark.django_db

ACTIONS = (
    "customer.view",
    "customer.create",
    "customer.edit",
    "case.act",
    "case.assign",
    "playbook.manage",
)
# persona -> the actions allowed on a customer of the Istanbul team
EXPECTED = {
    "admin": set(ACTIONS),
    "manager": set(ACTIONS),
    "teammate": {"customer.view", "customer.create", "customer.edit", "case.act", "case.assign"},
    "outsider": set(),
    "integration": {"customer.view", "customer.create"},  # it created this customer
    "anonymous": set(),
}


@pytest.fixture
def personas(staff: Any) -> dict[str, Any]:
    admin = get_user_model().objects.create_superuser("root", password="pw-root-123")
    return {
        "admin": admin,
        "manager": staff.manager.user,
        "teammate": staff.john.user,
        "outsider": staff.outsider.user,
        "integration": staff.integration.user,
        "anonymous": AnonymousUser(),
    }


@pytest.fixture
def customer(onboarding: Any, staff: Any) -> Any:
    c = customer_create(
        CustomerInput(
            given_name="Mehmet",
            family_name="Kaya",
            phone="+905321234567",
            whatsapp=True,
            email="m@example.com",
            nationality="TR",
            language="tr",
            fields={"service_type": "immigration"},
        ),
        Actor.of_user(staff.integration.user, "api"),
    )
    assert Case.objects.get(customer=c).team_id == staff.team.pk  # assigned to Ayşe, Istanbul
    return c


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_actions_on_a_customer_of_the_istanbul_team(
    persona: str, personas: dict[str, Any], customer: Any
) -> None:
    user = personas[persona]
    allowed = {action for action in ACTIONS if can(user, action, customer)}
    assert allowed == EXPECTED[persona]
    visible = set(visible_customers(user).values_list("pk", flat=True))
    assert visible == ({customer.pk} if "customer.view" in EXPECTED[persona] else set())
    tasks = visible_tasks(user).count()
    assert tasks == (1 if persona in ("admin", "manager", "teammate") else 0)


def test_unassigned_customers_are_visible_to_every_team(
    personas: dict[str, Any], onboarding: Any, staff: Any
) -> None:
    c = customer_create(
        CustomerInput(
            given_name="ayse", family_name="Kaya", fields={"service_type": "immigration"}
        ),
        Actor("test"),
    )
    assert Case.objects.get(customer=c).team_id is None  # held in profile review, no agent yet
    assert can(personas["outsider"], "case.act", c)
    case_assign(Case.objects.get(customer=c).pk, staff.john.pk, Actor("test"))
    assert not can(personas["outsider"], "case.act", c)
    assert can(personas["teammate"], "case.act", c)


def test_an_open_task_lets_an_agent_of_another_team_see_that_customer(
    personas: dict[str, Any], customer: Any, staff: Any
) -> None:
    from opsdesk.tasks.models import Task
    from opsdesk.tasks.services import task_complete, task_create

    outsider = personas["outsider"]
    task = task_create(
        case_id=Case.objects.get(customer=customer).pk,
        actor=Actor("test"),
        title="Quality review",
        assignee_id=staff.outsider.pk,
    )
    assert can(outsider, "case.act", customer)
    assert set(visible_customers(outsider).values_list("pk", flat=True)) == {customer.pk}
    assert task.pk in set(visible_tasks(outsider).values_list("pk", flat=True))
    task_complete(task.pk, Actor.of_user(outsider))
    assert Task.objects.get(pk=task.pk).status == "DONE"
    # Done: the customer is the other team's again.
    assert not can(outsider, "customer.view", customer)
    assert not visible_customers(outsider).exists()


def test_inactive_user_may_do_nothing(personas: dict[str, Any], customer: Any) -> None:
    user = personas["teammate"]
    user.is_active = False
    user.save()
    assert not any(can(user, action, customer) for action in ACTIONS)


def test_production_hashes_passwords_with_argon2(settings: Any) -> None:
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS  # tests use a fast one
    assert make_password("correct horse").startswith("argon2$argon2id$")


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("admin", True),
        ("manager", True),
        ("teammate", False),
        ("outsider", False),
        ("integration", False),
        ("anonymous", False),
    ],
)
def test_only_managers_and_admins_see_reports(
    persona: str, allowed: bool, personas: dict[str, Any]
) -> None:
    assert can(personas[persona], "report.view") is allowed
