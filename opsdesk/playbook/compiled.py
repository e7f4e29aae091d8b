"""Playbook expressions compiled to Python closures, with Jinja's sandbox semantics.

`evaluate` ran every guard through Jinja: a new `Context` (a copy of the ~30
names plus the globals), a generator, and the sandbox's attribute lookup that
raises and catches an AttributeError for every `event.intent` on a dict. That
was about a fifth of a simulated year. Here each expression is parsed once,
by Jinja's own parser, and its tree turned into nested closures that do what
the code Jinja generates for it does (jinja2/compiler.py), step for step:

- names: the context, then the environment's globals, else
  `StrictUndefined(name=...)`, which fails on use exactly as in Jinja;
- `a.b` and `a[b]` through the environment's `getattr`/`getitem` (the
  sandbox's `is_safe_attribute` and unsafe-attribute checks); the only
  shortcut is a plain `dict` read by a name that is not a dict attribute, where
  the sandbox would end up doing `obj[name]` anyway (same value, same
  undefined when the key is missing);
- calls through the sandbox's `call` (`is_safe_callable`), filters and tests
  from the environment with the argument Jinja passes them (context, eval
  context or environment);
- operators, comparisons, `and`/`or`/`not`, `~`, literals: the Python ones, as
  Jinja writes them (the sandbox intercepts no operator).

`compile_closure` returns None for a construct it does not know; `evaluate`
then runs Jinja as before, so a rare construct costs speed, never behaviour.
tests/playbook/test_expression_compiler.py checks every shipped playbook's
expressions against Jinja on many contexts, and hostile ones against the
sandbox.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.nodes import EvalContext
from jinja2.parser import Parser
from jinja2.runtime import Context, Undefined, str_join
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import _PassArg

# A compiled node: (the context's names, the evaluation's scope) -> value.
Node = Callable[[Mapping[str, Any], "Scope | None"], Any]
Compiled = Callable[[Mapping[str, Any]], Any]

_MISSING = object()

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gteq": operator.ge,
    "lt": operator.lt,
    "lteq": operator.le,
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}
_BINARY: dict[type[nodes.BinExpr], Callable[[Any, Any], Any]] = {
    nodes.Add: operator.add,
    nodes.Sub: operator.sub,
    nodes.Mul: operator.mul,
    nodes.Div: operator.truediv,
    nodes.FloorDiv: operator.floordiv,
    nodes.Mod: operator.mod,
    nodes.Pow: operator.pow,
}
_UNARY: dict[type[nodes.UnaryExpr], Callable[[Any], Any]] = {
    nodes.Neg: operator.neg,
    nodes.Pos: operator.pos,
}
# Methods of exact builtin types that read and never change: the sandbox lets
# them through (public, not a known mutation, not str.format) and calls them as
# they are. Only for `type(obj) is ...`: a subclass may override them.
_PURE: dict[type, frozenset[str]] = {
    dict: frozenset({"get", "keys", "values", "items"}),
    str: frozenset(
        {
            "startswith",
            "endswith",
            "removeprefix",
            "removesuffix",
            "lower",
            "upper",
            "strip",
            "lstrip",
            "rstrip",
            "split",
            "title",
            "capitalize",
            "replace",
            "isdigit",
        }
    ),
}
_STOP_ITERATION = "value was undefined because a callable raised a StopIteration exception"


class LazyContext(dict[str, Any]):
    """An expression context that computes a name when it is first read
    (`__missing__`); `complete()` computes them all, for Jinja, which copies
    the names it is given (templates, and expressions the closures leave to it)."""

    def complete(self) -> dict[str, Any]:
        raise NotImplementedError


def complete(names: Mapping[str, Any]) -> Mapping[str, Any]:
    return names.complete() if isinstance(names, LazyContext) else names


class Unsupported(Exception):
    """A construct the compiler leaves to Jinja."""


class Scope:
    """What Jinja's `Context` gives calls and filters during one evaluation.
    The real Context (a copy of every name) is built only for the rare
    callable that asks for it (`pass_context`)."""

    __slots__ = ("_context", "_eval_ctx", "names", "template")

    def __init__(self, names: Mapping[str, Any], template: Any) -> None:
        self.names, self.template = names, template
        self._context: Context | None = None
        self._eval_ctx: EvalContext | None = None

    @property
    def context(self) -> Context:
        if self._context is None:
            self._context = self.template.new_context(complete(self.names))
        return self._context

    @property
    def eval_ctx(self) -> EvalContext:
        if self._context is not None:
            return self._context.eval_ctx
        if self._eval_ctx is None:
            self._eval_ctx = EvalContext(self.template.environment, self.template.name)
        return self._eval_ctx

    @property
    def environment(self) -> SandboxedEnvironment:
        return self.template.environment

    def call(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """`Context.call`: callables that take the context get the real one."""
        if (
            hasattr(obj, "__call__")  # noqa: B004 (as Context.call tests it)
            and _PassArg.from_obj(obj.__call__) is not None
        ) or _PassArg.from_obj(obj) is not None:
            return self.context.call(obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return obj(*args, **kwargs)
        except StopIteration:
            return self.template.environment.undefined(_STOP_ITERATION)


def compile_closure(source: str, template: Any) -> Compiled | None:
    """The closure for `source` (an expression `template` was compiled from by
    `Environment.compile_expression`), or None when Jinja must run it."""
    env = template.environment
    try:
        parser = Parser(env, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            return None
        expr.set_environment(env)
        builder = _Builder(env, template)
        node = builder.build(expr)
    except Unsupported:
        return None
    except Exception:
        return None  # whatever Jinja itself makes of it
    if builder.needs_scope:

        def run(names: Mapping[str, Any]) -> Any:
            return node(names, Scope(names, template))

    else:

        def run(names: Mapping[str, Any]) -> Any:
            return node(names, None)

    return run


class _Builder:
    def __init__(self, env: SandboxedEnvironment, template: Any) -> None:
        self.env, self.template, self.globals = env, template, template.globals
        self.needs_scope = False

    def build(self, node: nodes.Node) -> Node:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise Unsupported(type(node).__name__)
        return method(node)

    # --- names and literals -------------------------------------------------------

    def _Name(self, node: nodes.Name) -> Node:
        if node.ctx != "load" or node.name == "self":
            # Jinja binds `self` to a reference to the template, whatever the context says.
            raise Unsupported(node.name)
        name, globals_, undefined = node.name, self.globals, self.env.undefined

        def load(names: Mapping[str, Any], sc: Scope | None) -> Any:
            # names[...] rather than .get: a LazyContext computes the name on read.
            try:
                return names[name]
            except KeyError:
                value = globals_.get(name, _MISSING)
                if value is _MISSING:
                    return undefined(name=name)
                return value

        return load

    def _Const(self, node: nodes.Const) -> Node:
        value = node.value
        return lambda names, sc: value

    def _List(self, node: nodes.List) -> Node:
        items = [self.build(i) for i in node.items]
        return lambda names, sc: [f(names, sc) for f in items]

    def _Tuple(self, node: nodes.Tuple) -> Node:
        if node.ctx != "load":
            raise Unsupported("store")
        items = [self.build(i) for i in node.items]
        return lambda names, sc: tuple([f(names, sc) for f in items])

    def _Dict(self, node: nodes.Dict) -> Node:
        pairs = [(self.build(p.key), self.build(p.value)) for p in node.items]

        def build_dict(names: Mapping[str, Any], sc: Scope | None) -> Any:
            # Key before value, pair after pair: Python's order for a dict display.
            out = {}
            for key, value in pairs:
                k = key(names, sc)
                out[k] = value(names, sc)
            return out

        return build_dict

    # --- attributes and items -----------------------------------------------------

    def _Getattr(self, node: nodes.Getattr) -> Node:
        target, attr, env = self.build(node.node), node.attr, self.env
        getattr_, undefined = env.getattr, env.undefined
        if hasattr(dict, attr):
            # `get`, `items`, `__class__`...: the sandbox decides, as in Jinja.
            return lambda names, sc: getattr_(target(names, sc), attr)

        def get(names: Mapping[str, Any], sc: Scope | None) -> Any:
            obj = target(names, sc)
            if type(obj) is dict:
                # The sandbox's getattr finds no such attribute on a dict and
                # reads the key; a missing key gives its undefined.
                try:
                    return obj[attr]
                except KeyError:
                    return undefined(obj=obj, name=attr)
            return getattr_(obj, attr)

        return get

    def _Getitem(self, node: nodes.Getitem) -> Node:
        if node.ctx != "load":
            raise Unsupported("store")
        target = self.build(node.node)
        if isinstance(node.arg, nodes.Slice):
            # Jinja writes obj[start:stop:step] for a slice, past getitem.
            s = node.arg
            parts = [self.build(p) if p is not None else None for p in (s.start, s.stop, s.step)]

            def sliced(names: Mapping[str, Any], sc: Scope | None) -> Any:
                obj = target(names, sc)
                start, stop, step = (p(names, sc) if p is not None else None for p in parts)
                return obj[slice(start, stop, step)]

            return sliced
        arg, getitem = self.build(node.arg), self.env.getitem

        def item(names: Mapping[str, Any], sc: Scope | None) -> Any:
            obj, key = target(names, sc), arg(names, sc)
            if type(obj) is dict:
                # The sandbox's getitem tries obj[key] first; only a miss goes on.
                try:
                    return obj[key]
                except (TypeError, LookupError):
                    pass
            return getitem(obj, key)

        return item

    # --- calls, filters, tests ----------------------------------------------------

    def _arguments(self, node: nodes.Call | nodes.Filter | nodes.Test) -> tuple[list[Node], list]:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise Unsupported("*args or **kwargs")
        args = [self.build(a) for a in node.args]
        kwargs = [(k.key, self.build(k.value)) for k in node.kwargs]
        return args, kwargs

    def _Call(self, node: nodes.Call) -> Node:
        target = node.node
        if isinstance(target, nodes.Getattr) and any(target.attr in m for m in _PURE.values()):
            return self._method_call(node, target)
        func = self.build(target)
        args, kwargs = self._arguments(node)
        call = self.env.call
        self.needs_scope = True

        def invoke(names: Mapping[str, Any], sc: Scope | None) -> Any:
            f = func(names, sc)
            values = [a(names, sc) for a in args]
            given = {k: v(names, sc) for k, v in kwargs}
            return call(sc, f, *values, **given)

        return invoke

    def _method_call(self, node: nodes.Call, target: nodes.Getattr) -> Node:
        """`event.get('x')`, `text.startswith('y')`: on a plain dict or str the
        sandbox allows these methods and calls them as they are (nothing to
        check, no context to pass), so they are called directly; anything else
        goes through the sandbox's getattr and call."""
        obj_of, attr = self.build(target.node), target.attr
        args, kwargs = self._arguments(node)
        getattr_, call, template = self.env.getattr, self.env.call, self.template

        def invoke(names: Mapping[str, Any], sc: Scope | None) -> Any:
            obj = obj_of(names, sc)
            if attr in _PURE.get(type(obj), ()):
                method = getattr(obj, attr)
                return method(*[a(names, sc) for a in args], **{k: v(names, sc) for k, v in kwargs})
            f = getattr_(obj, attr)
            values = [a(names, sc) for a in args]
            given = {k: v(names, sc) for k, v in kwargs}
            return call(sc or Scope(names, template), f, *values, **given)

        return invoke

    def _filter_or_test(self, node: nodes.Filter | nodes.Test, table: Mapping[str, Any]) -> Node:
        if node.node is None:
            raise Unsupported("filter block")
        func = table.get(node.name)
        if func is None:
            raise Unsupported(f"no filter or test {node.name!r}")  # Jinja says so at run time
        target = self.build(node.node)
        args, kwargs = self._arguments(node)
        pass_arg = _PassArg.from_obj(func)
        if pass_arg is not None:
            self.needs_scope = True
        env = self.env

        def apply(names: Mapping[str, Any], sc: Scope | None) -> Any:
            if pass_arg is None:
                first: tuple[Any, ...] = ()
            elif pass_arg is _PassArg.context:
                first = (sc.context,)  # type: ignore[union-attr]
            elif pass_arg is _PassArg.eval_context:
                first = (sc.eval_ctx,)  # type: ignore[union-attr]
            else:
                first = (env,)
            value = target(names, sc)
            values = [a(names, sc) for a in args]
            given = {k: v(names, sc) for k, v in kwargs}
            return func(*first, value, *values, **given)

        return apply

    def _Filter(self, node: nodes.Filter) -> Node:
        return self._filter_or_test(node, self.env.filters)

    def _Test(self, node: nodes.Test) -> Node:
        return self._filter_or_test(node, self.env.tests)

    # --- operators ----------------------------------------------------------------

    def _Compare(self, node: nodes.Compare) -> Node:
        first = self.build(node.expr)
        ops = []
        for op in node.ops:
            if op.op not in _COMPARE:
                raise Unsupported(op.op)
            ops.append((_COMPARE[op.op], self.build(op.expr)))
        if len(ops) == 1:
            (compare, right), left = ops[0], first
            return lambda names, sc: compare(left(names, sc), right(names, sc))

        def chained(names: Mapping[str, Any], sc: Scope | None) -> Any:
            # a < b < c: Python's chain, as Jinja writes it; stops at the first false.
            left = first(names, sc)
            result: Any = True
            for compare, right in ops:
                value = right(names, sc)
                result = compare(left, value)
                if not result:
                    return result
                left = value
            return result

        return chained

    def _And(self, node: nodes.And) -> Node:
        left, right = self.build(node.left), self.build(node.right)
        return lambda names, sc: left(names, sc) and right(names, sc)

    def _Or(self, node: nodes.Or) -> Node:
        left, right = self.build(node.left), self.build(node.right)
        return lambda names, sc: left(names, sc) or right(names, sc)

    def _Not(self, node: nodes.Not) -> Node:
        inner = self.build(node.node)
        return lambda names, sc: not inner(names, sc)

    def _CondExpr(self, node: nodes.CondExpr) -> Node:
        test, then = self.build(node.test), self.build(node.expr1)
        if node.expr2 is not None:
            otherwise = self.build(node.expr2)
            return lambda names, sc: then(names, sc) if test(names, sc) else otherwise(names, sc)
        # Jinja's implicit else: a plain Undefined (not the environment's), with its hint.
        hint = (
            f"the inline if-expression on line {node.lineno} evaluated to false and"
            " no else section was defined."
        )
        return lambda names, sc: then(names, sc) if test(names, sc) else Undefined(hint)

    def _Concat(self, node: nodes.Concat) -> Node:
        if self.env.autoescape:
            raise Unsupported("autoescape")
        parts = [self.build(n) for n in node.nodes]
        return lambda names, sc: str_join([p(names, sc) for p in parts])

    def _binary(self, node: nodes.BinExpr) -> Node:
        if node.operator in self.env.intercepted_binops:  # type: ignore[attr-defined]
            raise Unsupported("intercepted operator")
        op, left, right = _BINARY[type(node)], self.build(node.left), self.build(node.right)
        return lambda names, sc: op(left(names, sc), right(names, sc))

    _Add = _Sub = _Mul = _Div = _FloorDiv = _Mod = _Pow = _binary

    def _unary(self, node: nodes.UnaryExpr) -> Node:
        if node.operator in self.env.intercepted_unops:  # type: ignore[attr-defined]
            raise Unsupported("intercepted operator")
        op, inner = _UNARY[type(node)], self.build(node.node)
        return lambda names, sc: op(inner(names, sc))

    _Neg = _Pos = _unary
