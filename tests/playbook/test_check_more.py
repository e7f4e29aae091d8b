"""`opsdesk playbook check`: guards on event data, waits that may never end, SLAs that
reach no one or never stop, and (with the database) teams without an active agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.playbook.loader import load, problems_in

BASE = """\
key: waits
version: 1
title: Waits
case_prefix: WAI
languages: [en]
default_language: en
trigger:
  events: [customer.created]
templates:
  ask:
    channels: [WHATSAPP]
    text:
      en: "Still there?"
tasks:
  call:
    title: "Call the customer"
states:
  start:
    initial: true
    on_enter:
      - open_task: call
    transitions:
      - on: task.completed
        when: "event.key == 'call'"
        to: waiting
  waiting:
    on_enter:
      - send: ask
    transitions:
      - on: customer.replied
        when: "event.intent == 'confirm'"
        to: done
      - on: payment.received
        to: done
  done:
    final: true
"""


def _problems(text: str) -> list[str]:
    return [str(p) for p in problems_in(text)]


def _edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text
    return text.replace(old, new, 1)


WAITS_FOREVER = (
    "states.waiting (line 27): warning: may wait forever: nothing but customer.replied, "
    "payment.received moves it on (add a timer, a cadence, an SLA or a manual transition)"
)


# --- 1. guards reading event keys the event never has -------------------------


def test_guard_reading_a_key_the_event_does_not_have() -> None:
    text = _edit("event.key == 'call'", "event.amount > 0 and event.key == 'call'")
    assert _problems(text) == [
        "states.start.transitions[0].when (line 24): event task.completed has no amount "
        "(it has: by, checklist_open, fields, key, task_id)",
        WAITS_FOREVER,
    ]


def test_guard_on_a_timer_reads_nothing_from_the_event() -> None:
    text = _edit(
        "      - on: payment.received\n        to: done\n",
        "      - on: payment.received\n        to: done\n"
        '      - on: timer.nudge\n        when: "event.intent"\n        to: done\n',
    )
    text = _edit(
        "      - send: ask\n",
        "      - send: ask\n      - set_timer: {name: nudge, after: {days: 2}}\n",
        text,
    )
    assert _problems(text) == [
        "states.waiting.transitions[2].when (line 37): event timer.nudge has no intent "
        "(it has: nothing)",
    ]


def test_event_get_type_and_known_keys_pass() -> None:
    text = _edit(
        "event.intent == 'confirm'",
        "event.type == 'customer.replied' and event.get('payload') and event['text']",
    )
    assert _problems(text) == [WAITS_FOREVER]


def test_a_reply_carries_no_message_id() -> None:
    text = _edit("event.intent == 'confirm'", "event.message_id")
    assert _problems(text) == [
        "states.waiting.transitions[0].when (line 31): event customer.replied has no message_id "
        "(it has: channel, intent, payload, proposed_at, text)",
        WAITS_FOREVER,
    ]


def test_payment_guard_keys() -> None:
    text = _edit(
        "      - on: payment.received\n",
        '      - on: payment.received\n        when: "event.fully_paid and event.paid"\n',
    )
    assert _problems(text) == [
        "states.waiting.transitions[1].when (line 34): event payment.received has no paid "
        "(it has: amount, currency, deposit_paid, fully_paid, net_paid, quote, total)",
        WAITS_FOREVER,
    ]


# --- 2. states only an outside party can move on -------------------------------


def test_state_waiting_only_for_the_customer_is_a_warning() -> None:
    assert _problems(BASE) == [WAITS_FOREVER]
    # A warning does not stop the playbook from loading.
    assert load(BASE).key == "waits"


REMINDER = (
    "    transitions:\n      - on: timer.nudge\n        do: [send: ask]\n      - on: customer"
)
NUDGE = "{name: nudge, after: {days: 2}}"


@pytest.mark.parametrize(
    "edits",
    [
        # a timer set on entering, with a transition on it (a reminder is enough)
        [
            ("      - send: ask\n", f"      - send: ask\n      - set_timer: {NUDGE}\n"),
            ("    transitions:\n      - on: customer", REMINDER),
        ],
        # a timer set by the transition into the state
        [
            ("        to: waiting\n", f"        to: waiting\n        do: [set_timer: {NUDGE}]\n"),
            ("    transitions:\n      - on: customer", REMINDER),
        ],
        # a manual way out
        [
            (
                "        to: done\n  done:",
                "        to: done\n      - on: manual\n        label: Give up\n"
                "        to: done\n  done:",
            )
        ],
        # a task's completion also moves it on
        [("      - on: payment.received\n", "      - on: task.completed\n")],
    ],
    ids=["timer-on-enter", "timer-on-the-way-in", "manual", "staff-event"],
)
def test_state_with_another_way_on_is_not_flagged(edits: list[tuple[str, str]]) -> None:
    text = BASE
    for old, new in edits:
        text = _edit(old, new, text)
    assert _problems(text) == []


def test_a_cadence_or_an_sla_keeps_it_moving() -> None:
    cadence = _edit(
        "states:\n",
        "cadences:\n  nudge:\n    steps:\n      - send: ask\n      - wait: {days: 1}\n"
        "      - open_task: call\nstates:\n",
    )
    assert (
        _problems(
            _edit(
                "      - send: ask\n    transitions:",
                "      - start_cadence: nudge\n    transitions:",
                cadence,
            )
        )
        == []
    )
    sla = _edit(
        "states:\n",
        "slas:\n  reply:\n    starts: [waiting]\n    stops: [done]\n    target: {days: 2}\n"
        "    on_breach: [open_task: call]\nstates:\n",
    )
    assert _problems(sla) == []


def test_cli_prints_ok_with_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "waits.yaml"
    path.write_text(BASE)
    call_command("playbook", "check", str(path))
    out = capsys.readouterr().out
    assert out == f"{path}: ok, 1 warning(s)\n  {WAITS_FOREVER}\n"


# --- 3. cadences nobody listens to -----------------------------------------------


CADENCE = _edit(
    "states:\n",
    "cadences:\n  nudge:\n    steps:\n      - send: ask\n      - wait: {days: 1}\n"
    "      - send: ask\nstates:\n",
)
CADENCE = _edit(
    "      - send: ask\n    transitions:", "      - start_cadence: nudge\n    transitions:", CADENCE
)


def test_cadence_that_only_waits_and_sends_with_nobody_listening() -> None:
    assert _problems(CADENCE) == [
        "cadences.nudge (line 19): warning: nobody listens for cadence.nudge.done"
    ]


def test_cadence_done_with_a_listener_or_a_last_step_is_fine() -> None:
    listened = _edit(
        "      - on: payment.received\n",
        "      - on: cadence.nudge.done\n        to: done\n      - on: payment.received\n",
        CADENCE,
    )
    assert _problems(listened) == []
    last_step = _edit("      - send: ask\nstates:", "      - open_task: call\nstates:", CADENCE)
    assert _problems(last_step) == []


# --- 4. SLAs: a breach must reach someone, the clock must be able to stop ------


def _sla(on_breach: str, stops: str = "[done]") -> str:
    return _edit(
        "states:\n",
        f"slas:\n  reply:\n    starts: [waiting]\n    stops: {stops}\n    target: {{days: 2}}\n"
        f"    on_breach: {on_breach}\nstates:\n",
    )


def test_sla_breach_that_reaches_no_one() -> None:
    assert _problems(_sla("[note: 'late']")) == [
        "slas.reply.on_breach (line 22): a breach must reach someone: "
        "assign, open_task, post or send"
    ]


@pytest.mark.parametrize(
    "on_breach",
    [
        "[assign: {match: [language]}]",
        "[open_task: call]",
        "[send: ask]",
        "[post: {channel: '#ops', text: late}]",
        "[{if: 'true', then: [note: late], else: [open_task: call]}]",
    ],
)
def test_sla_breach_that_reaches_someone(on_breach: str) -> None:
    assert _problems(_sla(on_breach)) == []


def test_sla_that_never_stops() -> None:
    text = _sla("[open_task: call]", stops="[start]")
    assert _problems(text) == [
        "slas.reply.starts[0] (line 19): never stops: no path from waiting reaches start"
    ]
    # A stop reached through another state is fine.
    text = _edit(
        "        to: done\n      - on: payment.received\n        to: done\n",
        "        to: done\n      - on: payment.received\n        to: paid\n"
        "  paid:\n    transitions:\n"
        "      - on: manual\n        label: Restart\n        to: start\n",
        text,
    )
    assert _problems(text) == []


# --- 5. teams without an active agent (the database) -------------------------------


TEAMS = _edit(
    '    title: "Call the customer"\n',
    '    title: "Call the customer"\n    assignee: {team: QA}\n',
)
TEAMS = _edit(
    "      - open_task: call\n    transitions:",
    "      - assign: {team: Istanbul, match: [language]}\n"
    "      - open_task: call\n    transitions:",
    TEAMS,
)


def _check_with_staff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    path = tmp_path / "teams.yaml"
    path.write_text(
        TEAMS.replace(
            "        to: done\n  done:",
            "        to: done\n      - on: manual\n        label: Done\n        to: done\n  done:",
        )
    )
    try:
        call_command("playbook", "check", "--with-staff", str(path))
    except CommandError as exc:
        assert str(exc) == "1 playbook(s) with problems"
    captured = capsys.readouterr()
    return captured.out.replace(str(path), "FILE"), captured.err.replace(str(path), "FILE")


def test_with_staff_reports_teams_without_an_active_agent(
    staff: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from opsdesk.staff.models import Agent, Team

    # QA does not exist; Istanbul has active agents.
    out, err = _check_with_staff(tmp_path, capsys)
    assert (out, err) == (
        "",
        "FILE: 1 problem(s)\n  tasks.call.assignee.team (line 17): no active agent in team QA\n",
    )
    # QA exists, with only an inactive agent; Istanbul's agents all leave.
    qa = Team.objects.create(name="QA")
    Agent.objects.filter(pk=staff.ayse.pk).update(team=qa, active=False)
    Agent.objects.filter(team__name="Istanbul").update(active=False)
    out, err = _check_with_staff(tmp_path, capsys)
    assert err == (
        "FILE: 2 problem(s)\n"
        "  states.start.on_enter[0].assign.team (line 22): no active agent in team Istanbul\n"
        "  tasks.call.assignee.team (line 17): no active agent in team QA\n"
    )
    # Both staffed again.
    Agent.objects.filter(pk=staff.ayse.pk).update(active=True)
    Agent.objects.filter(pk=staff.john.pk).update(active=True)
    assert _check_with_staff(tmp_path, capsys) == ("FILE: ok\n", "")


def test_without_the_flag_teams_are_not_looked_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text(TEAMS)
    call_command("playbook", "check", str(path))
    assert capsys.readouterr().out.startswith(f"{path}: ok, 1 warning(s)\n")
