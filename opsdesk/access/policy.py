"""The one place that decides who may see and do what.

Views, the API and the CLI ask `can(user, action, obj)` or call
`restrict(user, action, obj)`, which raises NotAllowed. Querysets that list
things go through `visible_customers` / `visible_tasks`, so a list never shows
what the detail page would refuse.

Roles (opsdesk.staff.models.Role):
- admin: everything.
- manager and agent: customers with no case yet, or whose cases belong to their
  team or to no team; managers may also change playbooks.
- integration: creates customers through the API and reads the ones it created.

Field work: `dispatch.manage` (plan routes, move jobs between technicians,
record a technician out) is for managers and admins; `field.work` on a work
order is for the technician it is planned on (and managers and admins);
`field.view` (reading a work order, its events and charges) adds staff who
may see the customer of the work order's case (the desk answering a call).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from opsdesk.cases.models import Case
from opsdesk.common.errors import NotAllowed
from opsdesk.customers.models import Customer
from opsdesk.staff.models import Agent, Role
from opsdesk.tasks.models import Task

STAFF_ACTIONS = frozenset(
    {
        "customer.view",
        "customer.create",
        "customer.edit",
        "case.act",  # transitions, flags, messages, orders, documents, tasks
        "case.assign",
    }
)
MANAGER_ACTIONS = frozenset({"playbook.manage", "staff.manage", "report.view", "dispatch.manage"})
FIELD_WORK = "field.work"
FIELD_VIEW = "field.view"
INTEGRATION_ACTIONS = frozenset({"customer.create", "customer.view"})


def agent_of(user: Any) -> Agent | None:
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_opsdesk_agent", False)
    if cached is False:
        cached = (
            Agent.objects.filter(user=user, active=True)
            .select_related("team", "technician")
            .first()
        )
        user._opsdesk_agent = cached
    return cached


def role_of(user: Any) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    agent = agent_of(user)
    return agent.role if agent else None


def _customer_filter(user: Any) -> Q | None:
    """None means every customer; a Q limits them."""
    role = role_of(user)
    if role == Role.ADMIN:
        return None
    if role == Role.INTEGRATION:
        return Q(created_by=user)
    agent = agent_of(user)
    if role not in (Role.AGENT, Role.MANAGER) or agent is None:
        return Q(pk__in=[])
    foreign = Case.objects.filter(customer=OuterRef("pk")).exclude(team__isnull=True)
    if agent.team_id:
        foreign = foreign.exclude(team_id=agent.team_id)
    # Work given to someone outside the case's team (a manager's quality review, an
    # escalation) lets them see that customer while the task is open.
    assigned = Task.objects.filter(customer=OuterRef("pk"), assignee=agent, status="OPEN")
    return ~Q(Exists(foreign)) | Q(Exists(assigned))


def visible_customers(user: Any) -> QuerySet[Customer]:
    limit = _customer_filter(user)
    qs = Customer.objects.all()
    return qs if limit is None else qs.filter(limit)


def visible_via(user: Any, customer_field: str = "customer_id") -> Q:
    """`visible_customers` as a condition on rows of another table that point at
    a customer. A correlated EXISTS checks only the rows asked for; `customer_id
    IN (visible customers)` made SQLite list all of them first (half a second
    with 100,000 customers)."""
    limit = _customer_filter(user)
    if limit is None:
        return Q()
    return Q(Exists(Customer.objects.filter(limit, pk=OuterRef(customer_field))))


def visible_tasks(user: Any) -> QuerySet[Task]:
    if role_of(user) == Role.INTEGRATION:
        return Task.objects.none()  # integrations create customers; tasks are staff work
    return Task.objects.filter(visible_via(user))


def _customer_of(obj: Any) -> Customer | None:
    if isinstance(obj, Customer):
        return obj
    return getattr(obj, "customer", None)


def can(user: Any, action: str, obj: Any = None) -> bool:
    role = role_of(user)
    if role is None:
        return False
    if role == Role.ADMIN:
        return True
    if action == FIELD_WORK:
        return role == Role.MANAGER or _own_work_order(user, obj)
    if action == FIELD_VIEW:
        if role == Role.MANAGER or _own_work_order(user, obj):
            return True
        case = getattr(obj, "case", None)
        return case is not None and can(user, "customer.view", case.customer)
    if role == Role.INTEGRATION:
        allowed = action in INTEGRATION_ACTIONS
    elif role == Role.MANAGER:
        allowed = action in STAFF_ACTIONS or action in MANAGER_ACTIONS
    else:
        allowed = action in STAFF_ACTIONS
    if not allowed:
        return False
    customer = _customer_of(obj)
    if customer is None:
        return True
    limit = _customer_filter(user)
    return limit is None or Customer.objects.filter(limit, pk=customer.pk).exists()


def _own_work_order(user: Any, work_order: Any) -> bool:
    agent = agent_of(user)
    technician = getattr(work_order, "technician", None)
    return agent is not None and technician is not None and technician.agent_id == agent.pk


def restrict(user: Any, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        raise NotAllowed(f"not allowed: {action}")
