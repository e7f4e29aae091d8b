"""Cadences: steps with durable waits, quiet hours, stopped by a reply."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from opsdesk.engine.decide import decide
from opsdesk.engine.types import CaseSnapshot, Event
from opsdesk.playbook.loader import load, problems_in

PLAYBOOK = (Path(__file__).resolve().parents[1] / "data" / "confirmation-playbook.yaml").read_text()
PB = load(PLAYBOOK)
# Wednesday 28 October 2026; Thursday 29 October is Republic Day.
WED_10 = dt.datetime(2026, 10, 28, 7, 0, tzinfo=dt.UTC)  # 10:00 Istanbul
WED_21 = dt.datetime(2026, 10, 28, 18, 0, tzinfo=dt.UTC)  # 21:00 Istanbul


def snap(**changes: object) -> CaseSnapshot:
    base = {
        "id": "case_1",
        "number": "CNF-2026-000001",
        "state": None,
        "fields": {},
        "customer": {"phone": "+905321234567", "whatsapp": True, "language": "en"},
    }
    return CaseSnapshot(**{**base, **changes})  # type: ignore[arg-type]


def test_start_sends_the_first_step_and_waits_in_business_hours() -> None:
    d = decide(PB, snap(), Event("case.opened"), WED_10)
    assert [m.template for m in d.messages] == ["ask"]
    # 4 business hours from Wed 10:00 end Wed 14:00 Istanbul.
    assert [(t.name, t.due_at) for t in d.timers_to_set] == [
        ("cadence__confirmation__2", dt.datetime(2026, 10, 28, 11, 0, tzinfo=dt.UTC))
    ]
    assert [e.type for e in d.timeline] == ["CADENCE_STARTED", "MESSAGE_QUEUED", "CADENCE_WAITING"]


def test_started_after_hours_the_first_message_waits_for_the_morning() -> None:
    d = decide(PB, snap(), Event("case.opened"), WED_21)
    assert d.messages == []
    # Thursday is Republic Day: the next working moment is Friday 09:00 Istanbul.
    assert [(t.name, t.due_at) for t in d.timers_to_set] == [
        ("cadence__confirmation__0", dt.datetime(2026, 10, 30, 6, 0, tzinfo=dt.UTC))
    ]


def test_the_wait_resumes_with_the_call_and_then_hands_back() -> None:
    waiting = snap(state="waiting", timers=frozenset())
    at_14 = dt.datetime(2026, 10, 28, 11, 0, tzinfo=dt.UTC)
    d = decide(PB, waiting, Event("timer.cadence__confirmation__2"), at_14)
    assert [(m.template, m.channel) for m in d.messages] == [("call", "VOICE")]
    # 24 clock hours later is Thursday 14:00, a holiday: quiet hours move it to Friday 09:00.
    assert [(t.name, t.due_at) for t in d.timers_to_set] == [
        ("cadence__confirmation__4", dt.datetime(2026, 10, 30, 6, 0, tzinfo=dt.UTC))
    ]
    friday = dt.datetime(2026, 10, 30, 6, 0, tzinfo=dt.UTC)
    d = decide(PB, waiting, Event("timer.cadence__confirmation__4"), friday)
    assert d.state_to == "handed_back"
    assert [e.type for e in d.timeline] == ["NOTE", "CADENCE_FINISHED", "STATE_CHANGED"]


def test_any_reply_stops_the_cadence_at_once() -> None:
    waiting = snap(state="waiting", timers=frozenset({"cadence__confirmation__2"}))
    d = decide(PB, waiting, Event("message.received"), WED_10)
    assert d.timers_to_cancel == ["cadence__confirmation__2"]
    assert d.state_to == "answered"
    assert [e.type for e in d.timeline] == ["CADENCE_STOPPED", "STATE_CHANGED"]
    assert d.messages == []


def test_cadence_mistakes_are_reported_with_their_path() -> None:
    broken = (
        PLAYBOOK.replace("      - start_cadence: confirmation", "      - start_cadence: confirm")
        .replace("          - stop_cadence: confirmation", "          - wait: {hours: 1}")
        .replace('      - note: "No answer: handed back to the sales channel."\n', "")
        .replace("on: cadence.confirmation.done", "on: cadence.confirmaton.done")
    )
    assert [str(p) for p in problems_in(broken)] == [
        "states.waiting.transitions[1].on (line 36): no cadence 'confirmaton'",
        "states.waiting.on_enter[0] (line 30): no cadence 'confirm'",
        "states.waiting.transitions[0].do[0] (line 35): "
        "`wait` is a step of a cadence, not an action elsewhere",
        "cadences.confirmation.steps (line 22): a cadence ends with a step, not a `wait`",
    ]
