"""`opsdesk playbook check` on guided scripts and dispositions: every problem with
its YAML path."""

from __future__ import annotations

from opsdesk.playbook.loader import problems_in

HEAD = """
key: desk
version: 1
title: Desk
case_prefix: DSK
languages: [en]
default_language: en
trigger: {events: [contact.received]}
states:
  open: {initial: true, transitions: [{on: contact.closed, to: done}]}
  done: {final: true}
dispositions:
  Inbound:
    Enquiry:
      Status:
    Complaint:
      Delay:
"""


def problems(scripts: str) -> list[str]:
    return [f"{p.path}: {p.message}" for p in problems_in(HEAD + scripts)]


def test_a_sound_script_has_no_problems() -> None:
    assert (
        problems(
            """
scripts:
  status:
    label: Status
    start: late
    nodes:
      late:
        check:
          - {when: "today is none", next: delay}
          - {next: ask}
      ask:
        ask: Happy?
        answers:
          yes: {label: Yes, next: fine}
          no: {label: No, next: delay}
      fine: {end: {tag: "Inbound >> Enquiry >> Status", resolution: resolved}}
      delay:
        end: {tag: "Inbound >> Complaint >> Delay", resolution: unresolved, remarks: required}
"""
        )
        == []
    )


def test_tags_targets_loops_and_unreachable_steps_are_reported() -> None:
    found = problems(
        """
scripts:
  status:
    label: Status
    start: first
    nodes:
      first:
        ask: Again?
        answers:
          again: {label: Again, next: second}
          gone: {label: Gone, next: nowhere}
      second:
        check: [{next: first}]
      half: {end: {tag: "Inbound >> Complaint"}}
      typo: {end: {tag: "Inbound >> Enquiry >> Statsu"}}
"""
    )
    assert found == [
        "scripts.status.nodes.first: no step 'nowhere'",
        "scripts.status.nodes.half.end.tag: 'Inbound >> Complaint' is not a complete path "
        "of the dispositions",
        "scripts.status.nodes.typo.end.tag: 'Inbound >> Enquiry >> Statsu' is not a complete "
        "path of the dispositions",
        "scripts.status.nodes.first: a loop: the script could never end",
        "scripts.status.nodes.half: unreachable from 'first'",
        "scripts.status.nodes.typo: unreachable from 'first'",
    ]


def test_a_step_is_one_kind_and_checks_end_with_an_otherwise() -> None:
    found = problems(
        """
scripts:
  status:
    label: Status
    start: a
    nodes:
      a:
        check: [{when: "true", next: b}]
      b:
        ask: Why?
        end: {tag: "Inbound >> Enquiry >> Status"}
"""
    )
    assert [f.split(" (line")[0] for f in found] == [
        "scripts.status.nodes.a: Value error, the last check has no `when`: it is the otherwise",
        "scripts.status.nodes.b: Value error, a step is exactly one of check, ask (with "
        "answers), end",
    ]
