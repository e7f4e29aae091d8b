"""Playbook templates and guards are sandboxed (issue 9).

A playbook is written by operations staff, and its texts render what customers
send. Escapes from Jinja's sandbox (dunder attributes, the template's `self`,
Jinja's own globals, `str.format` reaching attributes, huge ranges) and names of
the host (`config`, `request`, `os`) are:

- reported by `opsdesk playbook check` with their YAML path and line, and refused
  by `load` (so `playbook load` and the UI never install them), wherever they
  stand: a message text, a task title, a guard;
- refused when they run anyway (`render`, `evaluate`: the engine's two entry
  points, whatever evaluates guards underneath), with an error naming the cause,
  never executed.

And a customer's value in the context is data: `{{ 7*7 }}` in a name stays as typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.playbook.expressions import ExpressionError, evaluate, render
from opsdesk.playbook.loader import PlaybookError, load, problems_in

SHIPPED = Path(__file__).resolve().parents[2] / "playbooks"
SOURCE = (SHIPPED / "service-order.yaml").read_text(encoding="utf-8")

# (expression, what `playbook check` says about it)
ATTACKS = [
    ("''.__class__.__mro__", "unsafe: unsafe attribute '__class__'"),
    ("customer.given_name.__class__.__mro__[1].__subclasses__()", "unsafe attribute '__class__'"),
    ("cycler.__init__.__globals__", "unsafe: unsafe attribute '__init__'"),
    ("self.__dict__", "unsafe: unsafe attribute '__dict__'"),
    ("self", "unsafe: 'self' is not available in a playbook"),
    ("range(10**9) | list | length", "unsafe: range of more than 100000 items"),
    ("lipsum(10**6)", "unsafe: 'lipsum' is not available in a playbook"),
    ("joiner()", "unsafe: 'joiner' is not available in a playbook"),
    ("config", "unknown variable 'config'"),
    ("request", "unknown variable 'request'"),
    ("os", "unknown variable 'os'"),
    ("'{0.__class__}'.format(customer)", "unsafe: format() is not allowed"),
    ("'{0.given_name}'.format_map(customer)", "unsafe: format_map() is not allowed"),
    ("customer | attr('__class__')", "unsafe: unsafe attribute '__class__'"),
    ("customer['__class__']", "unsafe: unsafe attribute '__class__'"),
]
# Where an attack stands: (YAML path, the shipped text, the text with `{}` = the attack)
PLACES = [
    (
        "templates.confirm_request.text.en",
        'en: "Hello {{ customer.given_name }}, we have received',
        'en: "Hello {{{{ {} }}}}, we have received',
    ),
    (
        "tasks.confirmation_call.title",
        'title: "Call {{ customer.full_name }} to confirm',
        'title: "Call {{{{ {} }}}} to confirm',
    ),
    (
        "states.confirming.transitions[1].when",
        "when: \"event.intent == 'reject'\"",
        "when: \"({}) and event.intent == 'reject'\"",
    ),
]
CASES = [
    pytest.param(attack, said, place, id=f"{attack} in {place[0]}")
    for attack, said in ATTACKS
    for place in PLACES
]


def with_attack(attack: str, place: tuple[str, str, str]) -> str:
    _, shipped, changed = place
    assert SOURCE.count(shipped) == 1, shipped
    return SOURCE.replace(shipped, changed.format(attack))


def line_of(text: str, part: str) -> int:
    return text[: text.index(part)].count("\n") + 1


def context() -> dict[str, Any]:
    return {
        "customer": {"given_name": "Mehmet", "family_name": "Demir", "full_name": "Mehmet Demir"},
        "event": {"type": "customer.replied", "intent": "reject"},
        "fields": {},
    }


def test_the_shipped_playbooks_are_clean() -> None:
    """The check's new rules refuse nothing the shipped playbooks use."""
    for path in sorted(SHIPPED.glob("*.yaml")):
        unsafe = [p for p in problems_in(path.read_text(encoding="utf-8")) if "unsafe" in p.message]
        assert unsafe == [], path.name


@pytest.mark.parametrize(("attack", "said", "place"), CASES)
def test_check_names_the_attack_at_its_path(
    attack: str, said: str, place: tuple[str, str, str]
) -> None:
    text = with_attack(attack, place)
    line = line_of(text, place[2].format(attack))
    found = [p for p in problems_in(text) if not p.warning]
    assert any(p.path == place[0] and said in p.message and p.line == line for p in found), found
    with pytest.raises(PlaybookError) as refused:
        load(text)
    assert f"{place[0]} (line {line}): " in str(refused.value)


def test_the_cli_check_reports_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(with_attack("''.__class__.__mro__", PLACES[0]), encoding="utf-8")
    with pytest.raises(CommandError, match="1 playbook"):
        call_command("playbook", "check", str(bad))
    err = capsys.readouterr().err
    line = line_of(bad.read_text(encoding="utf-8"), "__mro__")
    assert (
        f"  templates.confirm_request.text.en (line {line}): unsafe: unsafe attribute '__mro__'"
        in err
    )


# What the sandbox says when one runs anyway: (expression, part of the error)
AT_RUN = [
    ("''.__class__.__mro__", "access to attribute '__class__' of 'str' object is unsafe"),
    (
        "customer.given_name.__class__.__mro__[1].__subclasses__()",
        "access to attribute '__class__' of 'str' object is unsafe",
    ),
    ("cycler.__init__.__globals__", "access to attribute '__init__' of 'type' object is unsafe"),
    ("self.__dict__", "'__dict__' of 'TemplateReference' object is unsafe"),
    ("range(10**9) | list | length", "Range too big"),
    ("config", "'config' is undefined"),
    ("request", "'request' is undefined"),
    ("os", "'os' is undefined"),
    ("'{0.__class__}'.format(customer)", "access to attribute '__class__' of 'dict' object"),
    ("customer | attr('__class__')", "access to attribute '__class__' of 'dict' object"),
]


@pytest.mark.parametrize(("attack", "said"), AT_RUN, ids=[a for a, _ in AT_RUN])
def test_the_sandbox_refuses_it_at_run_time(attack: str, said: str) -> None:
    with pytest.raises(ExpressionError) as as_text:
        render("Hello {{ " + attack + " }}", context())
    assert said in str(as_text.value)
    # A guard's value is used (here: joined to a string); an undefined or refused
    # attribute is an error then, as when the engine tests it. In a guard `self` is
    # not even defined.
    with pytest.raises(ExpressionError, match=r"is unsafe|is undefined|Range too big"):
        evaluate(f"({attack}) ~ ''", context())


def test_a_customers_template_syntax_is_data() -> None:
    ctx = context()
    ctx["customer"]["given_name"] = "{{ 7*7 }}{% raw %}<script>"
    assert render("Hello {{ customer.given_name }}", ctx) == "Hello {{ 7*7 }}{% raw %}<script>"
    assert evaluate("customer.given_name", ctx) == "{{ 7*7 }}{% raw %}<script>"
