"""Who did something: a signed-in person, an integration, the worker or the system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    label: str  # written to the timeline: "user:ayse", "api:app-web", "worker", "system"
    user: Any = None  # the Django user, when a person or token acts

    @classmethod
    def of_user(cls, user: Any, via: str = "user") -> Actor:
        return cls(f"{via}:{user.get_username()}", user)


SYSTEM = Actor("system")
WORKER = Actor("worker")
