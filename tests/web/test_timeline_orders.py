"""Timeline lines for the service-order events."""

from __future__ import annotations

from opsdesk.cases.models import EventType, TimelineEvent
from opsdesk.web.timeline import _DESCRIBE, describe


def line(type_: str, **payload: object) -> str:
    return describe(TimelineEvent(type=type_, payload=payload, actor="system"), None)


def test_every_event_type_has_its_own_line() -> None:
    assert set(EventType.values) - set(_DESCRIBE) == set()


def test_order_and_reply_lines() -> None:
    assert (
        line(
            "ORDER_RECEIVED",
            external_ref="TS-9",
            channel="telesales",
            status="INELIGIBLE",
            failed_checks=[{"check": "a", "message": "Missing documents: id_card"}],
        )
        == "Order TS-9 received from telesales: not eligible — Missing documents: id_card"
    )
    assert line("HANDED_BACK", reason="No answer") == (
        "Handed back to the sales channel: No answer"
    )
    assert line("CUSTOMER_REPLIED", channel="WHATSAPP", intent=None, proposed_at=None) == (
        "Customer answered on WHATSAPP: not read for sure, for a person"
    )
    assert line("MILESTONE", name="not_responding") == "Milestone: not responding"
