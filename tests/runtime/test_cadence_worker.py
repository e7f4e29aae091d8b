"""A cadence run by the shell and the worker: durable waits, then a reply stops it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.comms.services import message_receive
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.runtime.models import Timer
from opsdesk.runtime.worker import Worker

pytestmark = pytest.mark.django_db
PLAYBOOK = Path(__file__).resolve().parents[1] / "data" / "confirmation-playbook.yaml"


@pytest.fixture
def customer(frozen_clock: Any) -> Any:
    playbook_install(PLAYBOOK.read_text())
    return customer_create(
        CustomerInput(
            given_name="Mehmet",
            family_name="Kaya",
            phone="+905321234567",
            whatsapp=True,
            language="en",
        ),
        Actor("api:sales"),
    )


def test_the_wait_fires_the_next_step_and_a_reply_stops_the_rest(
    customer: Any, frozen_clock: Any
) -> None:
    case = Case.objects.get(customer=customer)
    assert case.state == "waiting"
    timer = Timer.objects.get(case=case, status="PENDING")
    assert (timer.name, timer.due_at) == (
        "cadence__confirmation__2",
        dt.datetime(2026, 10, 28, 11, 0, tzinfo=dt.UTC),  # 4 business hours after 10:00
    )

    frozen_clock.set_now(timer.due_at)
    Worker().run_once()
    assert list(
        Message.objects.filter(customer=customer)
        .order_by("created_at")
        .values_list("template", "channel")
    ) == [("ask", "WHATSAPP"), ("call", "VOICE")]
    nxt = Timer.objects.get(case=case, status="PENDING")
    assert nxt.name == "cadence__confirmation__4"

    message_receive(
        channel="WHATSAPP",
        from_address="+905321234567",
        body="Yes, confirmed",
        provider_message_id="wamid.reply1",
        at=frozen_clock.now(),
        actor=Actor("whatsapp"),
    )
    case.refresh_from_db()
    assert (case.state, case.status) == ("answered", "CLOSED")
    assert Timer.objects.get(pk=nxt.pk).status == "CANCELLED"
    assert customer.timeline.filter(type="CADENCE_STOPPED").count() == 1
    # Nothing more is sent when the cancelled wait would have ended.
    frozen_clock.set_now(nxt.due_at + dt.timedelta(hours=1))
    Worker().run_once()
    assert Message.objects.filter(customer=customer, direction="OUTBOUND").count() == 2
