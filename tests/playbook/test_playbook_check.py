"""`opsdesk playbook check`: every problem, with its YAML path and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.playbook.loader import load, problems_in

SHIPPED = Path(__file__).resolve().parents[2] / "playbooks"

BROKEN = """\
key: broken
version: 1
title: Broken
case_prefix: BRK
languages: [tr, en]
default_language: de
trigger:
  events: [customer.created]
fields:
  service_type: {type: choice, choices: [a]}
templates:
  hello:
    channels: [WHATSAPP]
    text:
      en: "Hi {{ customer.given_name }} {{ customr.family_name }}"
tasks:
  intake:
    title: "Check {{ fields.servce_type }}"
    priority: SOMETIMES
states:
  start:
    initial: true
    on_enter:
      - send: helo
      - open_task: intake
      - explode: now
    transitions:
      - to: nowhere
        on: task.completed
      - to: done
        on: manual
  done:
    final: true
  orphan:
    transitions:
      - to: done
        when: "true"
"""


def test_every_shipped_playbook_is_clean() -> None:
    files = sorted(SHIPPED.glob("*.yaml"))
    assert files, "no shipped playbooks found"
    for path in files:
        assert problems_in(path.read_text()) == [], path


def test_type_errors_are_all_listed_with_path_and_line() -> None:
    problems = [str(p) for p in problems_in(BROKEN)]
    assert problems == [
        "tasks.intake.priority (line 19): Input should be 'LOW', 'MEDIUM', 'HIGH' or 'URGENT'",
        "states.start.on_enter[2] (line 26): an action is one of raise_flags, assign, send, "
        "open_task, set_timer, cancel_timer, set_field, note, start_cadence, stop_cadence, "
        "wait (in a cadence), hand_back, sync_status, post, milestone, testimonial, "
        "priority_client, book_appointment, cancel_appointment, or if/then/else",
    ]


def test_reference_and_template_errors_are_all_listed() -> None:
    # Without the two type errors the document parses, so the semantic checks run
    # (two lines fewer, hence the line numbers).
    text = BROKEN.replace("    priority: SOMETIMES\n", "").replace("      - explode: now\n", "")
    problems = [str(p) for p in problems_in(text)]
    assert problems == [
        "default_language (line 6): 'de' is not in languages",
        "states.start.transitions[0].to (line 26): no state 'nowhere'",
        "states.start.transitions[1].label (line 28): a manual transition needs a label",
        "states.start.on_enter[0].send (line 23): no template 'helo'",
        "states.orphan (line 33): unreachable from the initial state 'start'",
        "templates.hello.text (line 15): no text in language 'tr'",
        "templates.hello.text.en (line 15): unknown variable 'customr'",
        "tasks.intake.title (line 18): no field 'servce_type' (fields: service_type)",
    ]


def test_on_is_a_key_not_a_yaml_boolean() -> None:
    pb = load((SHIPPED / "customer-onboarding.yaml").read_text())
    assert pb.states["intake"].transitions[0].on == "agent.assigned"


def test_invalid_yaml_is_one_clear_problem() -> None:
    assert [str(p) for p in problems_in("key: [unclosed\n")] == [
        "<document> (line 2): not valid YAML: expected ',' or ']', but got '<stream end>'"
    ]


def test_cli_check_ok_and_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("playbook", "check", str(SHIPPED / "customer-onboarding.yaml"))
    assert capsys.readouterr().out.strip().endswith("customer-onboarding.yaml: ok")
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    with pytest.raises(CommandError, match="1 playbook\\(s\\) with problems"):
        call_command("playbook", "check", str(bad))
    err = capsys.readouterr().err
    assert "bad.yaml: 2 problem(s)" in err
    assert "tasks.intake.priority (line 19)" in err


def test_cli_check_missing_file() -> None:
    with pytest.raises(CommandError, match="No such file or directory"):
        call_command("playbook", "check", "/nonexistent/playbook.yaml")


def _with(old: str, new: str) -> list[str]:
    text = (SHIPPED / "customer-onboarding.yaml").read_text()
    assert old in text
    return [p.message for p in problems_in(text.replace(old, new, 1))]


def test_misspelt_customer_attribute_is_caught() -> None:
    problems = _with("{{ customer.given_name }}, Ikamet", "{{ customer.given_nme }}, Ikamet")
    assert problems == [
        "customer has no 'given_nme' (email, family_name, full_name, given_name, id, language, "
        "middle_name, nationality, personal_agent_id, phone, priority_tier, source, whatsapp)"
    ]


def test_automatic_transition_needs_a_target() -> None:
    problems = _with(
        '      - when: "not missing_documents"\n        to: onboarded\n',
        '      - when: "not missing_documents"\n',
    )
    assert problems == ["Value error, an automatic transition (no `on`) needs `when` and `to`"]


def test_assign_without_the_service_type_field_is_caught() -> None:
    problems = _with("      - assign: {}", "      - assign: {service_type_field: product}")
    assert problems == [
        "matches on service type, but there is no field 'product' (set service_type_field)"
    ]
