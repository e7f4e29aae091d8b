"""Read queries on the audit log."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from opsdesk.privacy.models import AuditAction, AuditEntry

# Kept whatever their age: the proof that a customer's request was honoured.
KEPT_FOR_GOOD = (AuditAction.DATA_EXPORT, AuditAction.ERASE)


def audit_entries(customer_id: str) -> QuerySet[AuditEntry]:
    """The customer's audit log, newest first."""
    return AuditEntry.objects.filter(customer_id=customer_id).order_by("-id")


def audit_prunable(before: dt.datetime) -> QuerySet[AuditEntry]:
    """The views and exports recorded before `before`: what retention deletes."""
    return AuditEntry.objects.filter(at__lt=before).exclude(action__in=KEPT_FOR_GOOD)
