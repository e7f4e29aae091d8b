"""No answer to the cadence: the order goes back to its channel by a signed webhook,
retried until acknowledged, and to the retention team."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from opsdesk.cases.models import Case, CaseMilestone
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.orders.intake import orders_receive
from opsdesk.orders.models import HandBack, OrderStatus, ServiceOrder
from opsdesk.runtime.models import OutboxItem, Timer
from opsdesk.runtime.worker import Worker
from opsdesk.tasks.models import Task
from tests.fakes.channel_webhook import FakeChannelWebhook
from tests.orders.test_intake import order

CHANNEL = Actor("api:channel-telesales")


@pytest.fixture
def webhook(service_desk: Any) -> Iterator[FakeChannelWebhook]:
    with FakeChannelWebhook(service_desk.channel.webhook_secret) as server:
        service_desk.channel.webhook_url = server.url
        service_desk.channel.save(update_fields=["webhook_url"])
        yield server


def run_timers_until_idle(clock: Any, case: Case) -> None:
    """Move the virtual clock to each pending timer of the case and let the worker fire it."""
    while timer := Timer.objects.filter(case=case, status="PENDING").order_by("due_at").first():
        clock.set_now(timer.due_at)
        Worker().run_once()


def test_no_answer_hands_back_and_the_webhook_is_retried_until_acknowledged(
    service_desk: Any, webhook: FakeChannelWebhook, frozen_clock: Any
) -> None:
    (result,) = orders_receive(service_desk.channel, [order("TS-10")], CHANNEL)
    case = Case.objects.get(pk=result.order.case_id)
    webhook.fail_next(503)
    run_timers_until_idle(frozen_clock, case)

    sent = list(
        Message.objects.filter(case=case).order_by("created_at").values_list("template", "channel")
    )
    assert sent == [("confirm_request", "WHATSAPP"), ("confirm_call", "VOICE")]
    case.refresh_from_db()
    assert case.state == "retention"
    assert case.team.name == "Retention"
    assert case.agent_id == service_desk.retention_agent.pk
    assert set(CaseMilestone.objects.filter(case=case).values_list("name", flat=True)) == {
        "not_responding"
    }
    task = Task.objects.get(case=case, key="retention_call")
    assert task.assignee_id == service_desk.retention_agent.pk

    (hand_back,) = HandBack.objects.filter(order=result.order)
    assert hand_back.reason == "No answer to the confirmation message or the call"
    assert ServiceOrder.objects.get(pk=result.order.pk).status == OrderStatus.HANDED_BACK
    # The first delivery met a 503: still pending, to be retried.
    assert len(webhook.received) == 1
    assert webhook.requests == []
    assert hand_back.status == "PENDING"
    item = OutboxItem.objects.get(kind="channel.hand_back")
    assert (item.status, item.attempts) == ("PENDING", 1)
    assert "HTTP 503" in item.last_error

    frozen_clock.set_now(item.next_attempt_at)
    Worker().run_once()
    hand_back.refresh_from_db()
    assert hand_back.status == "ACKNOWLEDGED"
    assert hand_back.acknowledged_at == item.next_attempt_at
    (delivered,) = webhook.requests
    assert delivered == {
        "event": "order.handed_back",
        "hand_back_id": hand_back.pk,
        "reason": "No answer to the confirmation message or the call",
        "at": hand_back.created_at.isoformat(),
        "order": {
            "id": result.order.pk,
            "external_ref": "TS-10",
            "status": "HANDED_BACK",
            "failed_checks": [],
        },
    }
    # Both deliveries carried the same delivery id and a valid signature.
    assert [r.headers["x-opsdesk-delivery"] for r in webhook.received] == [hand_back.pk] * 2
    assert all(webhook.signature_ok(r) for r in webhook.received)
    assert json.loads(webhook.received[1].body) == delivered


def test_a_forged_signature_is_refused_by_the_channel(
    service_desk: Any, webhook: FakeChannelWebhook, frozen_clock: Any
) -> None:
    """The fake checks signatures for real: a wrong secret is not acknowledged."""
    webhook.secret = "not-the-channel-secret"
    orders_receive(service_desk.channel, [order("TS-11", customer_type="business")], CHANNEL)
    Worker().run_once()
    hand_back = HandBack.objects.get()
    assert hand_back.status == "PENDING"
    assert webhook.requests == []
    assert "HTTP 401" in OutboxItem.objects.get(kind="channel.hand_back").last_error
