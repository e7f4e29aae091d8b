"""Read queries on the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from opsdesk.privacy.models import AuditEntry


def audit_entries(customer_id: str) -> QuerySet[AuditEntry]:
    """The customer's audit log, newest first."""
    return AuditEntry.objects.filter(customer_id=customer_id).order_by("-id")
