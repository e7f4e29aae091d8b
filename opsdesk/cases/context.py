"""Contexts other apps add to a case's snapshot.

An app that keeps more about a case (the applications app: the partner's
application and its travellers) registers a loader in its `AppConfig.ready()`:
`register_case_context("application", loader)`, where `loader(case_ids)` reads
the rows of many cases at once and returns `{case_id: value}`. The value is what
playbook expressions and templates see under that name (the name must be one of
`opsdesk.playbook.expressions.CONTEXT_NAMES`); a case without one sees `none`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from opsdesk.playbook.model import Playbook

Loader = Callable[[list[str]], dict[str, Any]]
# name -> (loader, the triggers of the playbooks whose cases have it; empty: all)
_LOADERS: dict[str, tuple[Loader, frozenset[str]]] = {}


def register_case_context(
    name: str, loader: Loader, *, triggers: frozenset[str] = frozenset()
) -> None:
    """`triggers`: only cases of playbooks with one of these triggers have the context
    (e.g. `ticket` for contact desks): others skip the read altogether."""
    _LOADERS[name] = (loader, triggers)


def load_case_contexts(
    case_ids: list[str], playbooks: Mapping[str, Playbook] | None = None
) -> dict[str, dict[str, Any]]:
    """`{case_id: {name: value}}` for every registered context (at most one read per
    context). `playbooks` (each case's, by case id) lets a context read only the cases
    whose playbook has its trigger."""
    out: dict[str, dict[str, Any]] = {cid: {} for cid in case_ids}
    if not case_ids:
        return out
    for name, (loader, triggers) in _LOADERS.items():
        wanted = case_ids
        if triggers and playbooks is not None:
            wanted = [
                cid
                for cid in case_ids
                if cid not in playbooks or triggers & set(playbooks[cid].trigger.events)
            ]
            if not wanted:
                continue
        for case_id, value in loader(wanted).items():
            out[case_id][name] = value
    return out
