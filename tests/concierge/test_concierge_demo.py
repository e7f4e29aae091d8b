"""The demo's travel concierge: its teams and a request at every stage."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count


@pytest.mark.django_db
def test_the_demo_seeds_the_concierge_at_every_stage(frozen_clock: Any) -> None:
    from opsdesk.billing.models import Payment, Quote
    from opsdesk.cases.models import Case
    from opsdesk.customers.models import Customer
    from opsdesk.intake.models import Request

    call_command("demo", "--no-serve", stdout=io.StringIO())

    cases = Case.objects.filter(playbook__key="travel-concierge")
    by_state = dict(cases.values_list("state").annotate(n=Count("pk")).order_by("state"))
    assert by_state == {
        "awaiting_payment": 1,  # the relocation quoted, waiting for its deposit
        "in_service": 1,  # the transfer, paid, checklist under way
        "intake": 1,  # the WhatsApp request whose sheet the CSR completes
        "quoting": 1,  # the corporate relocation
        "review": 1,  # the business trip taken by phone two hours ago
    }
    assert dict(
        Request.objects.values_list("channel").annotate(n=Count("pk")).order_by("channel")
    ) == {"PHONE": 3, "WEB": 1, "WHATSAPP": 1}
    assert Quote.objects.filter(case__in=cases).count() == 2
    assert Payment.objects.filter(quote__case__in=cases).count() == 1
    vip = Customer.objects.get(priority_tier="corporate")
    assert (vip.full_name, vip.personal_agent.user.username) == ("Lena Fischer", "defne")
