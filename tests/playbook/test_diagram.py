"""`opsdesk.playbook.diagram`: the Mermaid text and the SVG of a playbook."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from opsdesk.playbook.diagram import layers, mermaid, svg
from opsdesk.playbook.loader import load
from opsdesk.playbook.model import Playbook

SHIPPED = Path(__file__).resolve().parents[2] / "playbooks"
NS = "{http://www.w3.org/2000/svg}"

SMALL = """\
key: small
version: 1
title: "Small <&> playbook"
case_prefix: SML
languages: [en]
default_language: en
trigger:
  events: [customer.created]
fields:
  give_up: {type: text}
templates:
  nudge:
    channels: [SMS]
    text:
      en: "Still there?"
cadences:
  nudging:
    steps:
      - send: nudge
      - wait: {days: 2}
      - send: nudge
slas:
  first_touch:
    starts: [new]
    stops: [working]
    target: {business_hours: 4}
    on_breach:
      - send: nudge
states:
  new:
    label: "New <&> fresh"
    initial: true
    on_enter:
      - set_timer: {name: chase, after: {business_days: 3}}
      - start_cadence: nudging
    transitions:
      - to: working
        on: manual
        label: "Start work"
      - to: working
        on: agent.assigned
      - on: timer.chase
        do:
          - send: nudge
      - to: lost
        on: cadence.nudging.done
      - to: lost
        on: timer.chase
        when: "fields.give_up == 'yes' and customer.language == 'en' and true"
  working:
    transitions:
      - to: done
        when: "fields.give_up == 'no'"
      - to: new
        on: customer.updated
        when: "customer.language == 'en'"
  done:
    final: true
  lost:
    final: true
    label: Lost
"""

LONG_GUARD = "fields.give_up == 'yes' and customer.language == 'en' and true"


@pytest.fixture(scope="module")
def small() -> Playbook:
    return load(SMALL)


def test_mermaid_text(small: Playbook) -> None:
    assert mermaid(small) == (
        "stateDiagram-v2\n"
        '    state "New #lt;#amp;#gt; fresh" as new\n'
        '    state "Lost" as lost\n'
        "    [*] --> new\n"
        "    new --> working : Start work\n"
        "    new --> working : agent.assigned\n"
        "    new --> new : after 3 business days\n"
        "    new --> lost : cadence.nudging.done\n"
        f"    new --> lost : after 3 business days [{LONG_GUARD}]\n"
        "    working --> done : [fields.give_up == 'no']\n"
        "    working --> new : customer.updated [customer.language == 'en']\n"
        "    done --> [*]\n"
        "    lost --> [*]\n"
        "    note right of new\n"
        "        starts SLA first_touch (4 business hours)\n"
        "        starts cadence nudging\n"
        "    end note\n"
        "    note right of working\n"
        "        stops SLA first_touch\n"
        "    end note\n"
    )


def test_a_timer_set_with_different_durations_shows_its_event(small: Playbook) -> None:
    text = SMALL.replace(
        "      - on: timer.chase\n        do:\n          - send: nudge\n",
        "      - on: timer.chase\n        do:\n"
        "          - set_timer: {name: chase, after: {hours: 2}}\n",
    )
    out = mermaid(load(text))
    assert "    new --> new : timer.chase\n" in out
    assert f"    new --> lost : timer.chase [{LONG_GUARD}]\n" in out


def test_layers_are_breadth_first_from_the_initial_state(small: Playbook) -> None:
    assert layers(small) == [["new"], ["working", "lost"], ["done"]]


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


def test_svg_is_well_formed_with_every_state_and_escaped_labels(small: Playbook) -> None:
    out = svg(small)
    root = ET.fromstring(out)
    assert root.tag == f"{NS}svg"
    texts = _texts(root)
    for label in ("New <&> fresh", "working", "done", "Lost"):
        assert label in texts
    assert "New &lt;&amp;&gt; fresh" in out
    assert "<script" not in out and "href" not in out and "@import" not in out
    # Edge labels: the event or the label; a long guard is cut, its full text in a title.
    assert "Start work" in texts
    assert "customer.updated [customer.language == &#x27;en&#x27;]" in out
    cut = next(t for t in texts if t.startswith("after 3 business days ["))
    assert cut.endswith("…]") and len(cut) < len(f"after 3 business days [{LONG_GUARD}]")
    titles = ["".join(t.itertext()) for t in root.iter(f"{NS}title")]
    assert f"New <&> fresh → Lost: after 3 business days [{LONG_GUARD}]" in titles
    # The transition without `to` is counted on its state, not drawn.
    assert "↻ 1" in texts
    assert "stays in New <&> fresh on: after 3 business days" in titles
    # The initial state is marked; final states have a double border.
    assert "initial state" in titles
    finals = [g for g in root.iter(f"{NS}g") if g.get("id") in ("state-done", "state-lost")]
    assert [len(g.findall(f"{NS}rect")) for g in finals] == [2, 2]
    working = next(g for g in root.iter(f"{NS}g") if g.get("id") == "state-working")
    assert len(working.findall(f"{NS}rect")) == 1
    assert not [t for t in texts if t.endswith(" open")]


def test_svg_shows_counts(small: Playbook) -> None:
    root = ET.fromstring(svg(small, {"new": 3, "lost": 1}))
    counts = {
        g.get("id"): "".join(g.find(f"{NS}text[@class='count']").itertext())  # type: ignore[union-attr]
        for g in root.iter(f"{NS}g")
        if g.get("class") == "state"
    }
    assert counts == {
        "state-new": "3 open",
        "state-working": "0 open",
        "state-done": "0 open",
        "state-lost": "1 open",
    }


def test_same_playbook_same_bytes(small: Playbook) -> None:
    again = load(SMALL)
    assert svg(small, {"new": 2}) == svg(again, {"new": 2})
    assert mermaid(small) == mermaid(again)


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_playbook_draws(path: Path) -> None:
    pb = load(path.read_text(encoding="utf-8"))
    out = svg(pb, {pb.initial_state: 1})
    root = ET.fromstring(out)
    texts = _texts(root)
    for name, spec in pb.states.items():
        assert (spec.label or name) in texts
    text = mermaid(pb)
    assert text.startswith("stateDiagram-v2\n")
    assert f"    [*] --> {pb.initial_state}\n" in text
