"""Fetch an object the caller may see, else 404: another team's id looks like no id."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from opsdesk.access.policy import restrict, visible_customers, visible_tasks
from opsdesk.cases.models import Case, Flag
from opsdesk.common.actors import Actor
from opsdesk.customers.models import Customer, Order
from opsdesk.tasks.models import Task


def actor(request: HttpRequest) -> Actor:
    return Actor.of_user(request.user, getattr(request, "api_via", "user"))


def customer(request: HttpRequest, customer_id: str, action: str) -> Customer:
    obj = visible_customers(request.user).get(pk=customer_id)
    restrict(request.user, action, obj)
    return obj


def case(request: HttpRequest, case_id: str, action: str) -> Case:
    obj = Case.objects.select_related("customer").get(
        pk=case_id, customer__in=visible_customers(request.user).values("pk")
    )
    restrict(request.user, action, obj)
    return obj


def task(request: HttpRequest, task_id: str, action: str) -> Task:
    obj = visible_tasks(request.user).select_related("customer").get(pk=task_id)
    restrict(request.user, action, obj)
    return obj


def flag(request: HttpRequest, flag_id: str, action: str) -> Flag:
    obj = Flag.objects.select_related("case__customer").get(
        pk=flag_id, case__customer__in=visible_customers(request.user).values("pk")
    )
    restrict(request.user, action, obj.case)
    return obj


def order(request: HttpRequest, order_id: str, action: str) -> Order:
    obj = Order.objects.select_related("customer").get(
        pk=order_id, customer__in=visible_customers(request.user).values("pk")
    )
    restrict(request.user, action, obj)
    return obj


# Past any table's end: a larger offset answers the same empty page instead of
# overflowing the database's 64-bit integer.
MAX_OFFSET = 10**12


def page(qs: Any, limit: int, offset: int) -> list[Any]:
    limit = max(1, min(limit, 200))
    offset = max(0, min(offset, MAX_OFFSET))
    return list(qs[offset : offset + limit])
