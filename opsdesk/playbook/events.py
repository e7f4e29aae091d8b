"""The events a playbook transition can wait for (`on:`)."""

from __future__ import annotations

TIMER_EVENT_PREFIX = "timer."

KNOWN_EVENTS: frozenset[str] = frozenset(
    {
        "manual",  # a staff member pressed the transition's button
        "customer.updated",
        "agent.assigned",  # assigned or reassigned by staff
        "flag.resolved",
        "task.created",
        "task.completed",
        "order.reviewed",
        "document.received",
        "message.received",
        "message.logged",
    }
)
