"""Choose an agent: by service type, then language, then workload. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from opsdesk.engine.types import AgentInfo


def _load(agent: AgentInfo) -> tuple[float, int, str]:
    # Relative load first so a part-timer with capacity 5 is not buried under
    # the same count as a full-timer; then absolute count; then id, so ties
    # resolve the same way on every run (replays and the simulator rely on it).
    capacity = max(agent.capacity, 1)
    return (agent.open_work / capacity, agent.open_work, agent.id)


def choose_agent(
    candidates: Sequence[AgentInfo],
    *,
    service_type: str | None,
    language: str,
    match: Sequence[str],
) -> tuple[AgentInfo | None, str]:
    """The chosen agent (or None) and the reason, written to the timeline."""
    pool = list(candidates)
    reasons: list[str] = []
    if not pool:
        return None, "no active agent in the pool"
    if "service_type" in match:
        if not service_type:
            return None, "the case has no service type yet"
        pool = [a for a in pool if service_type in a.service_types]
        if not pool:
            return None, f"no active agent handles service type {service_type!r}"
        reasons.append(f"handles {service_type}")
    if "language" in match:
        speakers = [a for a in pool if language in a.languages]
        if speakers:
            pool = speakers
            reasons.append(f"speaks {language}")
        else:
            reasons.append(f"nobody speaks {language}, so any language")
    chosen = min(pool, key=_load)
    load = f"workload {chosen.open_work}/{chosen.capacity}"
    if len(pool) > 1:
        load += f", lowest of {len(pool)} candidates"
    if chosen.open_work >= chosen.capacity:
        load += " (over capacity: every candidate is full)"
    reasons.append(load)
    return chosen, "; ".join(reasons)
