"""`post: {channel, text}`: a rendered text for an internal chat channel, in the decision."""

from __future__ import annotations

import datetime as dt

from opsdesk.engine.decide import decide
from opsdesk.engine.types import CaseSnapshot, ChatPostToSend, Event, TimelineEntry
from opsdesk.playbook.loader import load, problems_in

PLAYBOOK = """
key: inquiries
version: 1
title: Inquiries
case_prefix: INQ
languages: [en]
default_language: en
trigger:
  events: [customer.created]
states:
  new:
    initial: true
    on_enter:
      - post:
          channel: "#inquiries"
          text: "New inquiry {{ case.number }} from {{ customer.given_name }}"
    transitions:
      - on: agent.assigned
        to: done
  done:
    final: true
"""
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def snap() -> CaseSnapshot:
    return CaseSnapshot(
        id="case_1",
        number="INQ-2026-000001",
        state=None,
        fields={},
        customer={"language": "en", "given_name": "Elif"},
    )


def test_post_renders_the_text_into_the_decision() -> None:
    assert problems_in(PLAYBOOK) == []
    d = decide(load(PLAYBOOK), snap(), Event("case.opened"), NOW)
    assert d.refused == []
    assert d.chat_posts == [ChatPostToSend("#inquiries", "New inquiry INQ-2026-000001 from Elif")]
    assert [e for e in d.timeline if e.type == "CHAT_POSTED"] == [
        TimelineEntry("CHAT_POSTED", {"channel": "#inquiries"})
    ]
    assert d.messages == []


def test_an_unknown_variable_in_the_text_is_a_problem() -> None:
    text = PLAYBOOK.replace("customer.given_name", "custmer.given_name")
    assert [str(p) for p in problems_in(text)] == [
        "states.new.on_enter[0].post.text (line 16): unknown variable 'custmer'"
    ]


def test_a_channel_name_must_start_with_a_hash() -> None:
    text = PLAYBOOK.replace('channel: "#inquiries"', "channel: inquiries")
    assert [str(p) for p in problems_in(text)] == [
        "states.new.on_enter[0].post.post.channel (line 15): "
        "String should match pattern '^#[a-z0-9][a-z0-9_-]{0,79}$'"
    ]
