"""Who may read a customer's audit log, export their data or erase it.

Built on opsdesk.access.policy's roles: exporting and erasing are admins' (a
request under KVKK/GDPR is handled by the data controller's administrator);
the audit log is readable by admins, and by managers for the customers their
team may see (a manager answers for the team's conduct). Agents do not read
the log: it names their colleagues.
"""

from __future__ import annotations

from typing import Any

from opsdesk.access.policy import can, role_of
from opsdesk.common.errors import NotAllowed
from opsdesk.customers.models import Customer
from opsdesk.staff.models import Role


def may_read_audit(user: Any, customer: Customer) -> bool:
    role = role_of(user)
    if role == Role.ADMIN:
        return True
    return role == Role.MANAGER and can(user, "customer.view", customer)


def may_export_or_erase(user: Any) -> bool:
    return role_of(user) == Role.ADMIN


def restrict_audit(user: Any, customer: Customer) -> None:
    if not may_read_audit(user, customer):
        raise NotAllowed("not allowed: privacy.audit")


def restrict_admin(user: Any, action: str) -> None:
    if not may_export_or_erase(user):
        raise NotAllowed(f"not allowed: {action}")
