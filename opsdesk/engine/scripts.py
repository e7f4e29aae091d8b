"""Guided scripts: walk a playbook's decision tree for one contact.

Pure: the facts come from the context (expressions over the ticket), the
customer's answers from the caller. The same answers on the same facts always
give the same path, which is what makes every branch of a desk's SOP testable
from a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opsdesk.playbook.expressions import evaluate, render
from opsdesk.playbook.model import Playbook, ScriptEnd, ScriptNode


class ScriptError(ValueError):
    """The answers do not fit the script (an unknown script, step or answer)."""


@dataclass(frozen=True)
class Step:
    """One step on the path: a fact checked (with the branch taken), a question
    answered, or the end."""

    node: str
    kind: str  # "check", "ask", "end"
    say: str = ""
    branch: str = ""  # check: the `when` that held ("otherwise" for the last)
    answer: str = ""  # ask: the answer's key


@dataclass(frozen=True)
class ScriptRun:
    """Where the contact stands: the path so far, and either the question the agent
    asks next (`waiting`, with its answers) or the `end`."""

    script: str
    path: tuple[Step, ...]
    waiting: str | None = None  # the step whose question is open
    question: str = ""
    answers: dict[str, str] = field(default_factory=dict)  # key -> label
    end: ScriptEnd | None = None

    @property
    def finished(self) -> bool:
        return self.end is not None


def run_script(
    pb: Playbook, script_key: str, context: Mapping[str, Any], answers: Mapping[str, str]
) -> ScriptRun:
    """From the start, check facts and take the given answers (step -> answer key)
    until a question nobody has answered yet, or the end. Raises ScriptError for
    an answer that is not one of the step's."""
    script = pb.scripts.get(script_key)
    if script is None:
        raise ScriptError(f"no script {script_key!r}")
    ctx = dict(context)
    path: list[Step] = []
    name = script.start
    # The checks guarantee no loops; the bound keeps a bad document from hanging.
    for _ in range(len(script.nodes) + 1):
        node = script.nodes[name]
        say = render(node.say, ctx) if node.say else ""
        if node.end is not None:
            path.append(Step(name, "end", say))
            return ScriptRun(script_key, tuple(path), end=node.end)
        if node.check:
            target, branch = _branch(node, ctx)
            path.append(Step(name, "check", say, branch=branch))
            name = target
            continue
        given = answers.get(name)
        if given is None:
            return ScriptRun(
                script_key,
                tuple(path),
                waiting=name,
                question=render(node.ask, ctx),
                answers={k: a.label for k, a in node.answers.items()},
            )
        if given not in node.answers:
            raise ScriptError(
                f"{name}: {given!r} is not an answer (one of {', '.join(node.answers)})"
            )
        path.append(Step(name, "ask", say, answer=given))
        name = node.answers[given].next
    raise ScriptError(f"script {script_key!r} does not end")


def _branch(node: ScriptNode, ctx: Mapping[str, Any]) -> tuple[str, str]:
    for check in node.check:
        if check.when is None:
            return check.next, "otherwise"
        if evaluate(check.when, ctx):
            return check.next, check.when
    raise AssertionError("unreachable: the last check has no `when`")  # model guarantees
