"""The bulk path opens a case exactly as the single path does (only the writing differs)."""

from __future__ import annotations

from typing import Any

from opsdesk.cases.batch import NewCase, open_cases
from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_of
from opsdesk.cases.services import case_open, next_case_number
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer
from opsdesk.playbook.fields import coerce_fields, to_json
from opsdesk.runtime.models import OutboxItem, Timer

ACTOR = Actor("api:test")


def customer(name: str) -> Customer:
    now = clock.now()
    return Customer.objects.create(
        given_name=name,
        family_name="Kaya",
        phone=f"+9053212345{len(name):02d}",
        whatsapp=True,
        language="tr",
        created_at=now,
        updated_at=now,
    )


def outcome(case: Case) -> dict[str, Any]:
    case.refresh_from_db()
    return {
        "state": case.state,
        "status": case.status,
        "fields": case.fields,
        "team": case.team_id,
        "timers": list(Timer.objects.filter(case=case).values_list("name", "due_at", "status")),
        "messages": list(
            Message.objects.filter(case=case).values_list(
                "template", "channel", "body", "whatsapp_template", "whatsapp_params", "status"
            )
        ),
        "outbox": OutboxItem.objects.filter(message__case=case).count(),
        "timeline": [
            (t, {k: v for k, v in p.items() if not k.endswith("_id") and k != "number"})
            for t, p in case.timeline.order_by("id").values_list("type", "payload")
        ],
    }


def test_bulk_and_single_open_agree(service_desk: Any, frozen_clock: Any) -> None:
    fields = {"service_type": "modem_swap", "customer_type": "business"}
    single = case_open(
        customer=customer("Ali"), version=service_desk.version, fields=fields, actor=ACTOR
    )
    bulk = Case(
        number=next_case_number("SO", 2026),
        customer=customer("Can"),
        playbook=service_desk.version,
        state="",
        # As intake stores them: typed, every field of the playbook present.
        fields=to_json(coerce_fields(playbook_of(service_desk.version), fields)[0]),
        opened_at=clock.now(),
        updated_at=clock.now(),
    )
    open_cases([NewCase(bulk)], ACTOR, clock.now())
    a, b = outcome(single), outcome(bulk)
    # Bodies differ only by the customer's name.
    b["messages"] = [tuple(str(v).replace("Can", "Ali") for v in m) for m in b["messages"]]
    a["messages"] = [tuple(str(v) for v in m) for m in a["messages"]]
    assert a == b
    assert a["state"] == "confirming"
    assert [t for t, _ in a["timeline"]] == [
        "CASE_OPENED",
        "CADENCE_STARTED",
        "MESSAGE_QUEUED",
        "CADENCE_WAITING",
    ]
