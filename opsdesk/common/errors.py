"""Errors the domain functions raise; the API and UI turn them into 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """Base: a request that cannot be carried out as asked. Nothing was changed."""


class ValidationFailed(DomainError):
    """Bad input, with messages per field ({"phone": ["..."]})."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


class Refused(DomainError):
    """The playbook refuses (unmet quality checks, a guard that does not hold)."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


class Conflict(DomainError):
    """The object changed under the request (e.g. a task already completed)."""


class NotAllowed(DomainError):
    """The actor may not do this."""


def status_word(status: str) -> str:
    """A status value as a word for the domain's (English) messages: "ON_SITE" -> "on
    site". Not the choice's label: labels follow the user's language, and a
    Turkish word inside an English sentence helps nobody."""
    return status.lower().replace("_", " ")
