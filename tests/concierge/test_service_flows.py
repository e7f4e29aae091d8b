"""Each service type of the travel-concierge playbook from the phone call to the
feedback, through the domain functions and the database: the receipt, routing to
the specialist team, the quote with the service's payment terms, payment through
the test provider's signed webhook, the checklist on the timeline, the balance,
quality review, the follow-up and feedback form, the testimonial, the chat posts
of each stage and the priority client list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from opsdesk.billing.models import PaymentLink, Quote
from opsdesk.billing.sandbox import sandbox_pay
from opsdesk.billing.services import payment_record
from opsdesk.cases.models import Case, CaseStatus, TimelineEvent
from opsdesk.chat.models import ChatPost
from opsdesk.comms.models import Direction, Message
from opsdesk.customers.models import Customer
from opsdesk.feedback import models as feedback_models
from opsdesk.feedback.services import feedback_submit
from opsdesk.staff.models import Agent
from opsdesk.tasks.models import Task
from opsdesk.tasks.services import task_check_item
from tests.concierge.conftest import Desk, complete, open_task, quoted


@pytest.fixture(autouse=True)
def _test_provider(settings: Any) -> None:
    settings.OPSDESK_TEST_PAYMENT_SECRET = "concierge-test-secret"
    settings.OPSDESK_PAYMENT_PROVIDER = "test"


def sent(case: Case) -> list[tuple[str, str]]:
    """(template, channel) of the outbound messages, sorted: the frozen clock gives
    them all the same time."""
    return sorted(
        Message.objects.filter(case=case, direction=Direction.OUTBOUND).values_list(
            "template", "channel"
        )
    )


def posted(case: Case) -> list[str]:
    return list(
        ChatPost.objects.filter(case=case)
        .order_by("created_at", "pk")
        .values_list("channel_name", flat=True)
    )


# service type, specialist, net price, amounts paid before the service and at the end
FLOWS = [
    ("visa_help", "ida", "150.00", "180.00", None),
    ("airport_transfer", "tarik", "80.00", "96.00", None),
    ("chauffeur", "tarik", "200.00", "240.00", None),
    ("hotel_verification", "selin", "40.00", "48.00", None),
    ("business_travel", "selin", "1000.00", "600.00", "600.00"),
    ("relocation", "selin", "2500.55", "1500.33", "1500.33"),  # 3,000.66: half up to the cent
]


@pytest.mark.parametrize(("service", "specialist", "net", "upfront", "balance"), FLOWS)
def test_a_service_from_the_phone_call_to_the_feedback(
    desk: Desk,
    service: str,
    specialist: str,
    net: str,
    upfront: str,
    balance: str | None,
) -> None:
    case = quoted(desk, service, net=net, client_type="corporate")
    agent = Agent.objects.get(pk=case.agent_id)
    assert agent.user.username == specialist
    assert case.state == "awaiting_payment"
    quote = Quote.objects.get(case=case)
    assert quote.deposit_percent == (50 if balance else 100)
    link = PaymentLink.objects.get(quote=quote)
    assert link.amount == Decimal(upfront)
    quote_message = Message.objects.get(case=case, template="quote")
    assert link.url in quote_message.body and upfront in quote_message.body

    sandbox_pay(link, succeed=True)
    case.refresh_from_db()
    assert case.state == "confirmed"
    complete(case, "confirm_details", agent, confirmation_notes="all confirmed by WhatsApp")
    case.refresh_from_db()
    assert case.state == "in_service"

    deliver = open_task(case, f"deliver_{service}")
    assert deliver.assignee_id == agent.pk
    for i in range(len(deliver.checklist)):
        task_check_item(deliver.pk, i, True, desk.actor(agent))
    ticks = TimelineEvent.objects.filter(case=case, type="CHECKLIST_ITEM")
    assert [t.payload["item"] for t in ticks.order_by("pk")] == [
        item["text"] for item in deliver.checklist
    ]
    complete(case, f"deliver_{service}", agent)
    case.refresh_from_db()
    assert case.state == "quality_review"
    assert open_task(case, "quality_review").assignee_id == desk.manager.pk

    complete(case, "quality_review", desk.manager, qc_outcome="approve", qc_notes="on time")
    complete(case, "follow_up", desk.coordinator, follow_up_notes="called, happy")
    case.refresh_from_db()
    assert case.state == "awaiting_feedback"
    if balance:
        payment_record(
            quote.pk,
            amount=Decimal(balance),
            kind="PAYMENT",
            actor=desk.actor(desk.coordinator),
            reference=f"BANK-{service}",
            method="bank_transfer",
        )
        case.refresh_from_db()
        assert case.state == "awaiting_feedback"  # still waiting for the feedback

    feedback = feedback_submit(case.pk, 5, "Flawless", True, "WEB", desk.actor(desk.coordinator))
    case.refresh_from_db()
    assert case.state == "closed" and case.status == CaseStatus.CLOSED
    testimonial = feedback_models.Testimonial.objects.get(feedback=feedback)
    assert (testimonial.text, testimonial.rating) == ("Flawless", 5)

    expected = [("receipt", "WHATSAPP"), ("quote", "EMAIL"), ("payment_received", "EMAIL")]
    if balance:
        expected.append(("balance_due", "EMAIL"))
    expected.append(("feedback_request", "WHATSAPP"))
    assert sent(case) == sorted(expected)
    assert posted(case) == [
        "#inquiries",
        "#concierge-assignments",
        "#concierge-assignments",
        "#quality-review",
        "#quality-review",
    ]
    customer = Customer.objects.get(pk=case.customer_id)
    assert (customer.priority_tier, customer.personal_agent_id) == ("corporate", agent.pk)
    assert not Task.objects.filter(case=case, status="OPEN").exists()


def test_the_next_request_of_a_priority_client_goes_to_their_personal_concierge(
    desk: Desk,
) -> None:
    from tests.concierge.conftest import phone_request

    first = quoted(desk, "airport_transfer", net="80.00", client_type="repeat")
    Customer.objects.filter(pk=first.customer_id).update(
        priority_tier="repeat", personal_agent=desk.liaison
    )
    again = phone_request(desk, "relocation")
    assert again.customer_id == first.customer_id
    assert again.agent_id == desk.liaison.pk
    assert posted(again) == ["#inquiries", "#vip-clients"]
    complete(again, "review_request", desk.liaison, service_type="relocation", client_type="repeat")
    again.refresh_from_db()
    assert again.agent_id == desk.liaison.pk  # not routed away from the concierge
