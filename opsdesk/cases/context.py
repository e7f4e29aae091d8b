"""Contexts other apps add to a case's snapshot.

An app that keeps more about a case (the applications app: the partner's
application and its travellers) registers a loader in its `AppConfig.ready()`:
`register_case_context("application", loader)`, where `loader(case_ids)` reads
the rows of many cases at once and returns `{case_id: value}`. The value is what
playbook expressions and templates see under that name (the name must be one of
`opsdesk.playbook.expressions.CONTEXT_NAMES`); a case without one sees `none`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Loader = Callable[[list[str]], dict[str, Any]]
_LOADERS: dict[str, Loader] = {}


def register_case_context(name: str, loader: Loader) -> None:
    _LOADERS[name] = loader


def load_case_contexts(case_ids: list[str]) -> dict[str, dict[str, Any]]:
    """`{case_id: {name: value}}` for every registered context (one read per context)."""
    out: dict[str, dict[str, Any]] = {cid: {} for cid in case_ids}
    if not case_ids:
        return out
    for name, loader in _LOADERS.items():
        for case_id, value in loader(case_ids).items():
            out[case_id][name] = value
    return out
