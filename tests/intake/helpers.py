"""Counting what a request writes, for the refusal tests."""

from __future__ import annotations

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer
from opsdesk.intake.models import Request


def counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "cases": Case.objects.count(),
        "requests": Request.objects.count(),
        "messages": Message.objects.count(),
        "timeline": TimelineEvent.objects.count(),
    }
