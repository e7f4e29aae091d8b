"""Sandboxed Jinja2 for playbook guards (expressions) and message texts (templates).

A playbook is data written by operations staff, so it runs in Jinja's sandbox
with StrictUndefined: a misspelt name fails loudly instead of rendering empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import consume

from opsdesk.playbook.compiled import compile_closure, complete

# Names every guard and template may use; see docs/user-guide.md "Context".
CONTEXT_NAMES: frozenset[str] = frozenset(
    {
        "case",
        "customer",
        "agent",
        "fields",
        "catalogs",
        "flags_open",
        "sent",
        "tasks",
        "order",
        "application",  # a partner's application and its travellers (applications app)
        "billing",  # the latest open quote's balance (billing app), or none
        "intake",  # how a request came in (intake app): channel, reply_channel, text
        "ticket",  # a contact's service ticket (contacts app): state, dates, money
        "contact",  # the contact itself (contacts app): channel, reason, answers
        "documents",
        "timers",
        "team",
        "milestones",
        "appointment",
        "link",
        "today",
        "now",
        "event",
    }
)

# The keys of `customer` and `agent` in the context (see opsdesk.cases.snapshot).
CUSTOMER_KEYS: frozenset[str] = frozenset(
    {
        "id",
        "given_name",
        "middle_name",
        "family_name",
        "full_name",
        "phone",
        "whatsapp",
        "priority_tier",
        "personal_agent_id",
        "email",
        "nationality",
        "language",
        "source",
    }
)
AGENT_KEYS: frozenset[str] = frozenset({"id", "name", "languages"})


def _days_until(day: dt.date | None, today: dt.date) -> int | None:
    return None if day is None else (day - today).days


def _make_env() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,  # messages are plain text; HTML escaping happens at display
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["days_until"] = _days_until
    env.filters["bullet_lines"] = lambda items: "\n".join(f"- {i}" for i in items)
    return env


ENV = _make_env()


class ExpressionError(ValueError):
    pass


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> Callable[..., Any]:
    """Compile a guard once; the cache makes repeated playbook loads cheap."""
    try:
        compiled = ENV.compile_expression(source, undefined_to_none=False)
    except Exception as exc:  # jinja2 raises TemplateSyntaxError and friends
        raise ExpressionError(f"invalid expression {source!r}: {exc}") from exc
    _flatten_globals(compiled._template)
    return compiled


@lru_cache(maxsize=4096)
def compile_template(source: str) -> Any:
    try:
        template = ENV.from_string(source)
    except Exception as exc:
        raise ExpressionError(f"invalid template: {exc}") from exc
    _flatten_globals(template)
    return template


def _flatten_globals(template: Any) -> None:
    """Jinja keeps a template's globals as a ChainMap over ENV.globals and copies
    it (in Python, key by key) into a fresh context on every call: a fifth of
    the simulator's time. ENV.globals is fixed once `_make_env` returns, so a
    plain dict with the same names and values renders the same, much faster."""
    template.globals = dict(template.globals)


@lru_cache(maxsize=4096)
def _closure(source: str) -> Callable[[dict[str, Any]], Any] | None:
    """The expression as Python closures (opsdesk.playbook.compiled), or None
    for a construct only Jinja runs. Compiled by Jinja first: a syntax error is
    reported as before."""
    return compile_closure(source, compile_expression(source)._template)


def evaluate_with_jinja(source: str, context: dict[str, Any]) -> Any:
    """What calling the compiled expression does (jinja2's TemplateExpression,
    undefined_to_none off), without copying the context twice first (keyword
    arguments, then dict()): new_context copies it into its own dict anyway.
    The reference the closures are tested against; errors are Jinja's own."""
    template = compile_expression(source)._template
    ctx = template.new_context(context)
    consume(template.root_render_func(ctx))
    return ctx.vars["result"]


def evaluate(source: str, context: dict[str, Any]) -> Any:
    try:
        run = _closure(source)
        if run is not None:
            return run(context)
        return evaluate_with_jinja(source, complete(context))
    except ExpressionError:
        raise
    except Exception as exc:
        raise ExpressionError(f"{source!r} failed: {exc}") from exc


@lru_cache(maxsize=4096)
def _plain_text(source: str) -> str | None:
    """What a text without Jinja syntax (every tag, variable and comment opens
    with "{") renders to, whatever the context: rendered once, by Jinja, so
    newlines are handled as before. None for a real template. Task
    descriptions and many messages are plain text, rendered on every event."""
    return None if "{" in source else compile_template(source).render()


def render(source: str, context: dict[str, Any]) -> str:
    try:
        plain = _plain_text(source)
        if plain is not None:
            return plain
        return compile_template(source).render(complete(context))
    except ExpressionError:
        raise
    except Exception as exc:
        raise ExpressionError(f"template failed: {exc}") from exc


def _parse(source: str, expression: bool) -> nodes.Template:
    text = "{{ (" + source + ") }}" if expression else source
    return ENV.parse(text)


@lru_cache(maxsize=4096)
def names_in(source: str) -> frozenset[str]:
    """The top-level names an expression reads (what a computed value depends on)."""
    return frozenset(meta.find_undeclared_variables(_parse(source, True)))


def unknown_names(source: str, known: Iterable[str], *, expression: bool) -> list[str]:
    """Top-level names used by `source` that the context will not have."""
    tree = _parse(source, expression)
    known_set = set(known) | set(ENV.globals)
    return sorted(meta.find_undeclared_variables(tree) - known_set)


def attributes_of(source: str, name: str, *, expression: bool) -> list[str]:
    """Attributes read from `name` (`fields.deadline` -> "deadline"), for reference checks."""
    tree = _parse(source, expression)
    found: list[str] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        if isinstance(target, nodes.Name) and target.name == name:
            if isinstance(node, nodes.Getattr):
                found.append(node.attr)
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                found.append(node.arg.value)
    return found
