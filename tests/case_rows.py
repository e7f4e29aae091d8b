"""A case row written directly (no engine run): for tests of what hangs off a
case (status pushes, chat posts) rather than of the playbook."""

from __future__ import annotations

from typing import Any

from opsdesk.cases.models import Case
from opsdesk.common import clock
from opsdesk.customers.models import Customer


def case_row(version: Any, number: str, state: str = "documents") -> Case:
    """Elif Kaya's case `number` under playbook `version`, in `state`."""
    now = clock.now()
    customer = Customer.objects.create(
        given_name="Elif",
        family_name="Kaya",
        phone="+905321234567",
        whatsapp=True,
        language="tr",
        created_at=now,
        updated_at=now,
    )
    return Case.objects.create(
        number=number,
        customer=customer,
        playbook=version,
        state=state,
        opened_at=now,
        updated_at=now,
    )
