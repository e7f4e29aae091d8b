"""The priority client list: repeat and corporate clients with a personal concierge."""

from __future__ import annotations

import datetime as dt

from opsdesk.cases.models import Case
from opsdesk.customers.models import Customer, PriorityTier


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
