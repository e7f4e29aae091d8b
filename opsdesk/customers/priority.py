"""The priority client list: repeat and corporate clients with a personal concierge.

A playbook's `priority_client` action puts the case's customer on the list
(`priority_client_set`); staff add, change and remove clients by hand
(`priority_client_update`, `priority_client_remove`). The engine's `assign`
gives a priority client's requests to their personal concierge.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from opsdesk.access.policy import visible_customers
from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case, CaseStatus
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.customers.models import Customer, PriorityTier
from opsdesk.staff.models import Agent, Role

# Who can be a personal concierge: people who work cases, not integrations.
CONCIERGE_ROLES = (Role.AGENT, Role.MANAGER, Role.ADMIN)


def priority_client_set(case: Case, tier: str, now: dt.datetime) -> None:
    """Put the case's customer on the list with `tier` (the playbook's `priority_client`).
    The case's agent becomes their personal concierge unless they already have one."""
    customer = Customer.objects.select_for_update().get(pk=case.customer_id)
    customer.priority_tier = PriorityTier(tier)
    customer.priority_since = customer.priority_since or now
    if customer.personal_agent_id is None:
        customer.personal_agent_id = case.agent_id
    customer.updated_at = now
    customer.save(update_fields=["priority_tier", "priority_since", "personal_agent", "updated_at"])


def priority_client_update(
    customer_id: str, *, tier: str, personal_agent_id: str | None, actor: Actor
) -> Customer:
    """Add a customer to the list, or change their tier or concierge (None or "": no
    concierge). Raises ValidationFailed (unknown tier, no such active agent) or
    Customer.DoesNotExist; an update that changes nothing writes nothing."""
    errors: dict[str, list[str]] = {}
    if tier not in PriorityTier.values:
        errors["tier"] = [f"Unknown tier {tier!r}: one of {', '.join(PriorityTier.values)}."]
    agent_id = personal_agent_id or None
    if agent_id is not None and not _active_concierge(agent_id):
        errors["personal_agent_id"] = ["No active agent with this id."]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        if (customer.priority_tier, customer.personal_agent_id) == (tier, agent_id):
            return customer
        now = clock.now()
        customer.priority_tier = tier
        customer.priority_since = customer.priority_since or now
        customer.personal_agent_id = agent_id
        customer.updated_at = now
        customer.save(
            update_fields=["priority_tier", "priority_since", "personal_agent", "updated_at"]
        )
        timeline_row(
            None, customer.pk, "PRIORITY_CLIENT", actor, now, tier=tier, personal_agent_id=agent_id
        ).save()
    return customer


def priority_client_remove(customer_id: str, actor: Actor) -> Customer:
    """Take a customer off the list (their concierge too). Raises Conflict when they
    are not on it, or Customer.DoesNotExist."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        if not customer.priority_tier:
            raise Conflict(f"{customer.full_name} is not on the priority client list.")
        now = clock.now()
        customer.priority_tier = ""
        customer.priority_since = None
        customer.personal_agent_id = None
        customer.updated_at = now
        customer.save(
            update_fields=["priority_tier", "priority_since", "personal_agent", "updated_at"]
        )
        # tier "" reads as "taken off the list".
        timeline_row(
            None, customer.pk, "PRIORITY_CLIENT", actor, now, tier="", personal_agent_id=None
        ).save()
    return customer


def _active_concierge(agent_id: str) -> bool:
    return Agent.objects.filter(
        pk=agent_id, active=True, role__in=CONCIERGE_ROLES, user__is_active=True
    ).exists()


def concierges() -> QuerySet[Agent]:
    """The agents a client can be given as personal concierge, by name."""
    return Agent.objects.filter(
        active=True, role__in=CONCIERGE_ROLES, user__is_active=True
    ).order_by("name")


def priority_clients(user: Any, tier: str = "") -> QuerySet[Customer]:
    """The priority clients `user` may see (optionally of one tier), with their
    concierge, their open cases and their last case's number and date."""
    last = Case.objects.filter(customer=OuterRef("pk")).order_by("-opened_at")
    qs = (
        visible_customers(user)
        .exclude(priority_tier="")
        .select_related("personal_agent")
        .annotate(
            open_cases=Count("cases", filter=Q(cases__status=CaseStatus.OPEN)),
            last_case_number=Subquery(last.values("number")[:1]),
            last_case_at=Subquery(last.values("opened_at")[:1]),
        )
    )
    if tier:
        qs = qs.filter(priority_tier=tier)
    return qs.order_by("family_name", "given_name", "id")
