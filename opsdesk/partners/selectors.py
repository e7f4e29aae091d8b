"""Read queries for partner platforms and status pushes."""

from __future__ import annotations

from django.db.models import QuerySet

from opsdesk.partners.models import StatusPush


def case_pushes(case_id: str) -> QuerySet[StatusPush]:
    """The status pushes of a case, newest first (ties by id, which is random)."""
    return (
        StatusPush.objects.filter(case_id=case_id)
        .select_related("partner")
        .order_by("-created_at", "-pk")
    )
