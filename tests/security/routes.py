"""Every route the project serves, as (method, pattern) keys.

Walks Django's URL resolver (patterns and included resolvers, recursively). A
django-ninja route is one URL pattern for all the operations on that path, so
its methods come from the ninja PathView behind the pattern; a function view's
methods come from its `require_http_methods` decorator (found by unwrapping the
view); a class-based view's from the handlers the class defines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# HEAD and OPTIONS answer like GET (or with nothing); they are not separate rows.
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
# Framework routes left out of the matrix, each with the reason:
EXCLUDED_PREFIXES = (
    # The Django admin: Django's own `is_staff` gate, no opsdesk view behind it;
    # test_admin_is_for_superusers_only covers it separately.
    "admin/",
)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # the full pattern, e.g. "api/v1/customers/<customer_id>"
    name: str  # namespaced URL name, e.g. "api:get_customer"
    view: str  # dotted path of the function behind it

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.pattern)


def _declared_methods(view: Callable[..., Any], depth: int = 0) -> list[str] | None:
    """The methods a `require_http_methods` decorator allows, found by unwrapping."""
    if depth > 8 or view is None:
        return None
    code = getattr(view, "__code__", None)
    cells = getattr(view, "__closure__", None) or ()
    names = code.co_freevars if code is not None else ()
    inner: list[Any] = []
    for name, cell in zip(names, cells, strict=False):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if name == "request_method_list":
            return [m.upper() for m in value]
        if callable(value):
            inner.append(value)
    wrapped = getattr(view, "__wrapped__", None)
    if wrapped is not None:
        inner.insert(0, wrapped)
    for candidate in inner:
        found = _declared_methods(candidate, depth + 1)
        if found is not None:
            return found
    return None


def _ninja_path_view(callback: Any) -> Any:
    """The django-ninja PathView a URL pattern's view closes over, if any."""
    for cell in getattr(callback, "__closure__", None) or ():
        value = cell.cell_contents
        if hasattr(value, "operations") and hasattr(value, "get_view"):
            return value
    return None


def _view_name(view: Any) -> str:
    target = getattr(view, "__wrapped__", view)
    while hasattr(target, "__wrapped__"):
        target = target.__wrapped__
    func = getattr(target, "func", target)  # functools.partial
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


def _pattern_routes(pattern: URLPattern, prefix: str, namespace: str) -> Iterator[Route]:
    full = prefix + str(pattern.pattern)
    name = namespace + (pattern.name or "")
    callback = pattern.callback
    path_view = _ninja_path_view(callback)
    if path_view is not None:  # django-ninja: one pattern per path, named per operation
        for op in path_view.operations:
            func = op.view_func
            view = f"{func.__module__}.{func.__qualname__}"
            for method in op.methods:
                if method not in IGNORED_METHODS:
                    yield Route(method, full, name, view)
        return
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        methods = [
            m.upper()
            for m in view_class.http_method_names
            if hasattr(view_class, m) and m.upper() not in IGNORED_METHODS
        ]
        view = f"{view_class.__module__}.{view_class.__qualname__}"
    else:
        declared = _declared_methods(callback)
        # A view without a method decorator answers every method; GET is its row.
        methods = [m for m in (declared or ["GET"]) if m not in IGNORED_METHODS]
        view = _view_name(callback)
    for method in methods:
        yield Route(method, full, name, view)


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        else:
            yield from _pattern_routes(entry, prefix, namespace)


def all_routes() -> list[Route]:
    """Every (method, pattern) the project answers, the framework exclusions removed.
    django-ninja gives a path with two operations two URL patterns (one name each)
    on the same view, so the same (method, pattern) comes twice: kept once."""
    seen: dict[tuple[str, str], Route] = {}
    for r in _walk(get_resolver(), "", ""):
        if not r.pattern.startswith(EXCLUDED_PREFIXES):
            seen.setdefault(r.key, r)
    return list(seen.values())


def excluded_routes() -> list[Route]:
    return [r for r in _walk(get_resolver(), "", "") if r.pattern.startswith(EXCLUDED_PREFIXES)]
