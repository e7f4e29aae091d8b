""" "No service begins without confirmed payment or deposit": the travel-concierge
playbook's gate refuses every way into the service (the API, the workspace
button, a task's transition) and changes nothing; the payment lets it through."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import Client

from opsdesk.access.tokens import token_create
from opsdesk.billing.models import Quote
from opsdesk.billing.services import payment_record
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.staff.models import Agent
from opsdesk.tasks.models import Task
from tests.concierge.conftest import Desk, complete, quoted

REFUSAL = (
    "No service begins without confirmed payment or deposit: the deposit of the "
    "case's quote is not paid yet"
)


def state_of(case: Case) -> tuple[str, int, int]:
    """The state, the number of tasks and of timeline rows: all unchanged by a refusal."""
    case.refresh_from_db()
    return (
        case.state,
        Task.objects.filter(case=case).count(),
        TimelineEvent.objects.filter(case=case).count(),
    )


def pay(case: Case, desk: Desk, amount: str, ref: str, kind: str = "PAYMENT") -> None:
    quote = Quote.objects.get(case=case)
    payment_record(
        quote.pk,
        amount=Decimal(amount),
        kind=kind,
        actor=desk.actor(desk.coordinator),
        reference=ref,
        method="bank_transfer",
    )


def test_the_api_transition_is_refused_until_the_deposit_is_paid(desk: Desk) -> None:
    case = quoted(desk, "relocation", net="1000.00")  # 1,200.00 with tax; 600.00 deposit
    before = state_of(case)
    assert before[0] == "awaiting_payment"
    agent = Agent.objects.get(pk=case.agent_id)
    _, secret = token_create(agent.user, "desk")
    response = Client().post(
        f"/api/v1/cases/{case.pk}/transitions",
        {"to": "in_service"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "refused by the playbook", "reasons": [REFUSAL]}
    assert state_of(case) == before
    # A partial payment below the deposit changes nothing either.
    pay(case, desk, "599.99", "BANK-1")
    case.refresh_from_db()
    assert case.state == "awaiting_payment"
    response = Client().post(
        f"/api/v1/cases/{case.pk}/transitions",
        {"to": "in_service"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 409
    # The last cent of the deposit confirms the service at once.
    pay(case, desk, "0.01", "BANK-2")
    case.refresh_from_db()
    assert case.state == "confirmed"


def test_the_workspace_button_is_refused_with_the_reason_and_nothing_changes(desk: Desk) -> None:
    case = quoted(desk, "airport_transfer", net="80.00")
    before = state_of(case)
    agent = Agent.objects.get(pk=case.agent_id)
    client = Client()
    client.force_login(agent.user)
    response = client.post(
        f"/customers/{case.customer_id}/cases/{case.pk}/transition/",
        {"to": "in_service", "case": case.pk},
    )
    assert response.status_code == 409
    assert REFUSAL in response.content.decode().replace("&#x27;", "'")
    assert state_of(case) == before


def test_a_refund_below_the_deposit_closes_the_gate_again(desk: Desk) -> None:
    case = quoted(desk, "airport_transfer", net="80.00")  # 96.00, paid in full up front
    pay(case, desk, "96.00", "BANK-9")
    case.refresh_from_db()
    assert case.state == "confirmed"
    pay(case, desk, "50.00", "REFUND-1", kind="REFUND")
    before = state_of(case)
    agent: Any = Agent.objects.get(pk=case.agent_id)
    from opsdesk.common.errors import Refused

    try:
        complete(case, "confirm_details", agent, confirmation_notes="pickup 06:30")
    except Refused as exc:
        assert exc.reasons == [REFUSAL]
    else:  # pragma: no cover - the gate must hold
        raise AssertionError("the service started after a refund")
    assert state_of(case) == before
