"""The compiled expressions (opsdesk.playbook.compiled) against Jinja itself.

Every expression of every shipped playbook and of the tests' playbooks, plus
constructs none of them uses yet, evaluated on many generated contexts (names
missing, None, strings, numbers, dates, nested mappings) must give the same
value, the same undefined, or the same error as Jinja's sandbox; hostile
expressions must be refused as the sandbox refuses them.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from jinja2 import nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import Undefined

from opsdesk.playbook.checks import _sources
from opsdesk.playbook.compiled import _PURE, LazyContext
from opsdesk.playbook.expressions import (
    ENV,
    ExpressionError,
    _closure,
    _parse,
    attributes_of,
    evaluate,
    evaluate_with_jinja,
    names_in,
)
from opsdesk.playbook.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yaml")) + sorted((ROOT / "tests").rglob("*.yaml"))


def _expressions_of(path: Path) -> list[str]:
    try:
        pb = load_file(path)
    except Exception:
        return []  # not a playbook (a scenario, a fixture of another kind)
    found = [source for _, source, is_expr in _sources(pb) if is_expr]
    found += [c.when for c in pb.eligibility] + [r.when for r in pb.classification]
    if pb.intake is not None:
        found += [c.when for c in pb.intake.checks]
    for script in pb.scripts.values():
        found += [c.when for node in script.nodes.values() for c in node.check if c.when]
    return found


PLAYBOOK_EXPRESSIONS = sorted({e for path in PLAYBOOKS for e in _expressions_of(path)})

# Constructs the playbooks may use one day: each compiled node type at least once.
MORE_EXPRESSIONS = [
    "1 + 2 * 3 - 4 / 2 // 1 % 3 ** 2",
    "-fields.rating + +fields.rating",
    "fields.a ~ '-' ~ fields.b",
    "fields.a < fields.b <= fields.c",
    "fields.a == fields.b != fields.c",
    "fields.a > 3 and fields.b >= 1 or not fields.c",
    "fields.a not in ['x', 'y']",
    "fields.a if fields.b",
    "fields.a if fields.b else fields.c",
    "(fields.a, fields.b)",
    "{'a': fields.a, fields.b: 2}",
    "fields.items[1:]",
    "fields.items[:2]",
    "fields.items[::2]",
    "fields.items[fields.a]",
    "fields['a']",
    "fields.get('a', 'none')",
    "fields.get('a') | default('d')",
    "fields.a | default('d', true)",
    "fields.a is defined",
    "fields.a is undefined",
    "fields.a is none",
    "fields.a is string",
    "fields.a is number",
    "fields.a is divisibleby(3)",
    "fields.items | length",
    "fields.items | join(', ')",
    "fields.items | sort | list",
    "fields.items | select('in', ['a', 'b']) | list",
    "fields.items | map('upper') | list",
    "fields.items | first",
    "fields.a | int + 1",
    "fields.a | float",
    "fields.a | string | upper",
    "fields.a | capitalize",
    "fields.a | replace('a', 'b')",
    "fields.a | round(1)",
    "fields.a.startswith('rating_')",
    "fields.a.removeprefix('rating_') | int",
    "fields.a.split('_')[0]",
    "days_until(fields.day, today)",
    "days_until(fields.day, today) < 3",
    "range(3) | list",
    "dict(a=1)",
    "tasks.get('review') == 'DONE'",
    "tasks.review == 'OPEN'",
    "customer.language if customer.language in ['tr', 'en'] else 'tr'",
    "event.get('payload', '').startswith('rating_')",
    "nothing_here",
    "nothing_here.at_all",
    "fields.a.b.c",
    "'%s-%s' % (fields.a, fields.b)",
    "fields.a in fields.items",
    "[fields.a, fields.b] | reject('none') | list",
]

# What a sandbox must refuse: attribute walks to Python internals, format
# strings that reach them, mutation of the context, huge ranges.
HOSTILE = [
    "fields.__class__",
    "fields.__class__.__mro__",
    "fields.__class__.__mro__[1].__subclasses__()",
    "().__class__.__bases__[0].__subclasses__()",
    "''.__class__.__mro__[1].__subclasses__()",
    "fields['__class__']",
    "fields.get.__self__",
    "fields.get.__globals__",
    "days_until.__globals__",
    "days_until.__code__",
    "days_until.__globals__['__builtins__']",
    "lipsum.__globals__",
    "cycler.__init__.__globals__",
    "range.__self__",
    "fields.items.__func__",
    "'{0.__class__}'.format(fields)",
    "'{0.__class__.__mro__}'.format(1)",
    "'{0.get.__globals__}'.format(fields)",
    "'{a.__class__}'.format_map({'a': fields})",
    "'{}'.format",
    "fields | attr('__class__')",
    "fields.update({'a': 1})",
    "fields.pop('a')",
    "fields.clear()",
    "fields.setdefault('a', 1)",
    "fields.items.append(1)",
    "[1, 2].append(3)",
    "range(1000000000) | list",
    "config",
    "self",
    "request",
    "namespace.__init__",
    "fields.a.__class__",
    "(1).__class__",
    "fields._private",
    "fields.__dict__",
]

_STRINGS = [
    "",
    "a",
    "b",
    "x",
    "confirm",
    "reschedule",
    "reject",
    "rating_5",
    "rating_",
    "DONE",
    "OPEN",
    "tr",
]
_SCALARS: list[Any] = [
    None,
    0,
    1,
    4,
    5,
    2.5,
    -3,
    True,
    False,
    dt.date(2026, 3, 1),
    dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
    *_STRINGS,
]
_MISSING = object()


def _constants(source: str) -> list[Any]:
    """The literals of the expression: keys and values worth putting in contexts."""
    tree = _parse(source, True)
    return [
        c.value
        for c in tree.find_all(nodes.Const)
        if isinstance(c.value, str | int | float) and not isinstance(c.value, bool)
    ]


def _value(rng: random.Random, keys: list[str], depth: int) -> Any:
    roll = rng.random()
    if depth > 0 and roll < 0.3:
        return {
            k: _value(rng, keys, depth - 1) for k in rng.sample(keys, rng.randint(0, len(keys)))
        }
    if roll < 0.4:
        return [rng.choice(keys) for _ in range(rng.randint(0, 3))]
    if roll < 0.5:
        return rng.choice(keys)
    return rng.choice(_SCALARS)


def contexts(source: str, count: int = 60, seed: int = 0) -> list[dict[str, Any]]:
    """Contexts for `source`: each name it reads missing or holding scalars,
    lists or mappings that have (or lack) the attributes it reads, keyed also
    by the strings it compares with."""
    rng = random.Random(f"{seed}:{source}")
    names = sorted(names_in(source) - set(ENV.globals) | {"fields"})
    literals = [c for c in _constants(source) if isinstance(c, str)]
    out = []
    for _ in range(count):
        ctx: dict[str, Any] = {"today": dt.date(2026, 3, 1)}
        for name in names:
            attrs = attributes_of(source, name, expression=True)
            keys = sorted(set(attrs + literals + ["a", "b", "c", "items", "day"]))
            roll = rng.random()
            if roll < 0.1:
                ctx.pop(name, None)  # missing
                continue
            if roll < 0.25:
                ctx[name] = rng.choice(_SCALARS)
                continue
            mapping = {}
            for key in keys:
                if rng.random() < 0.75:
                    mapping[key] = _value(rng, keys, 2)
            ctx[name] = mapping
        out.append(ctx)
    return out


def outcome(run: Any) -> tuple[Any, ...]:
    """What evaluating gives, comparable across the two paths: a value (with its
    type), an undefined (with what it says when used), or an error."""
    try:
        value = run()
    except Exception as exc:
        return ("error", type(exc), str(exc))
    if isinstance(value, Undefined):
        try:
            str(value)
            used: Any = "usable"
        except Exception as exc:
            used = (type(exc), str(exc))
        return ("undefined", type(value), _name(value._undefined_name), value._undefined_hint, used)
    if callable(value):
        return ("callable", type(value), getattr(value, "__name__", None))
    return ("value", type(value), repr(value))


def _name(name: Any) -> Any:
    # An undefined's name is what was looked up: itself undefined for x[undefined].
    if isinstance(name, Undefined):
        return ("undefined", _name(name._undefined_name), name._undefined_hint)
    return repr(name)


def _compare(source: str, ctx: dict[str, Any]) -> None:
    run = _closure(source)
    assert run is not None, f"not compiled: {source!r}"
    want = outcome(lambda: evaluate_with_jinja(source, ctx))
    got = outcome(lambda: run(ctx))
    assert got == want, f"{source!r} on {ctx!r}"
    # And through evaluate(), as the engine calls it: the same ExpressionError.
    assert outcome(lambda: evaluate(source, ctx)) == outcome(
        lambda: _jinja_evaluate(source, ctx)
    ), source


def _jinja_evaluate(source: str, ctx: dict[str, Any]) -> Any:
    try:
        return evaluate_with_jinja(source, ctx)
    except Exception as exc:
        raise ExpressionError(f"{source!r} failed: {exc}") from exc


def test_the_playbooks_have_expressions_to_compare() -> None:
    # The shipped service-order playbook alone has a dozen guards.
    assert len(PLAYBOOK_EXPRESSIONS) >= 30
    assert "event.intent in ['confirm', 'reschedule']" in PLAYBOOK_EXPRESSIONS


@pytest.mark.parametrize("source", PLAYBOOK_EXPRESSIONS)
def test_playbook_expressions_evaluate_as_jinja_does(source: str) -> None:
    for ctx in contexts(source):
        _compare(source, ctx)


@pytest.mark.parametrize("source", MORE_EXPRESSIONS)
def test_other_constructs_evaluate_as_jinja_does(source: str) -> None:
    for ctx in contexts(source, count=80):
        _compare(source, ctx)


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_expressions_are_refused_as_the_sandbox_refuses_them(source: str) -> None:
    fields = {"a": "x", "items": ["a", "b"]}
    ctx = {"fields": fields, "today": dt.date(2026, 3, 1)}
    before = repr(fields)
    want = outcome(lambda: evaluate_with_jinja(source, ctx))
    run = _closure(source)
    got = outcome(lambda: run(ctx)) if run is not None else want
    assert got == want
    assert repr(fields) == before  # nothing changed the context
    # Nothing reaches Python internals: an error (security or undefined), or an
    # undefined that fails when used, or a harmless value.
    kind = got[0]
    if kind == "error":
        assert issubclass(got[1], SecurityError | UndefinedError | OverflowError | TypeError), got
    elif kind == "undefined":
        assert got[4] != "usable", got
    else:
        text = got[2] if kind == "value" else ""
        assert "class" not in text and "module" not in text and "function" not in text, got


def test_a_format_string_cannot_reach_attributes() -> None:
    with pytest.raises(ExpressionError, match=r"unsafe|Security"):
        evaluate("'{0.__class__}'.format(fields)", {"fields": {}})


def test_unsupported_constructs_fall_back_to_jinja() -> None:
    # *args is not compiled: Jinja runs it, with the same result.
    source = "dict(*fields.pairs)"
    assert _closure(source) is None
    assert evaluate(source, {"fields": {"pairs": []}}) == {}


def test_the_engine_context_reads_names_lazily() -> None:
    class Counting(LazyContext):
        def __init__(self) -> None:
            super().__init__()
            self.built: list[str] = []

        def __missing__(self, name: str) -> Any:
            if name not in ("event", "fields"):
                raise KeyError(name)
            self.built.append(name)
            value = {"intent": "confirm"} if name == "event" else {"rating": 5}
            self[name] = value
            return value

        def complete(self) -> dict[str, Any]:
            self["event"], self["fields"]
            return self

    names = Counting()
    assert evaluate("event.intent in ['confirm', 'reschedule']", names) is True
    assert names.built == ["event"]  # fields was never built
    # A construct left to Jinja sees every name.
    assert evaluate("dict(*[]) == {} and fields.rating == 5", names) is True
    assert names.built == ["event", "fields"]


def test_methods_called_directly_are_those_the_sandbox_lets_through_unchanged() -> None:
    for kind, methods in _PURE.items():
        obj = kind()
        for name in methods:
            method = getattr(obj, name)
            assert ENV.is_safe_attribute(obj, name, method), (kind, name)
            assert ENV.is_safe_callable(method), (kind, name)
            assert ENV.wrap_str_format(method) is None, (kind, name)
            assert not hasattr(method, "jinja_pass_arg"), (kind, name)


def test_a_subclass_of_dict_goes_through_the_sandbox() -> None:
    class Sneaky(dict):  # type: ignore[type-arg]
        def get(self, *args: Any) -> Any:
            return "overridden"

    ctx = {"event": Sneaky(a=1)}
    source = "event.get('a')"
    assert outcome(lambda: _closure(source)(ctx)) == outcome(
        lambda: evaluate_with_jinja(source, ctx)
    )
