"""What a failed form post tells the page: which form, the HTTP status, the errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class Feedback:
    """The outcome of a refused or invalid post, shown next to the form it came from.

    `key` names that form ("profile", "flag:<id>", "task:<id>", "comms.log", ...),
    so a section with many forms shows the message at the right one.
    """

    key: str
    status: int  # 422 invalid input, 409 refused or conflict, 403 not allowed
    errors: dict[str, list[str]] = field(default_factory=dict)  # ValidationFailed.errors
    reasons: list[str] = field(default_factory=list)  # Refused.reasons
    message: str = ""  # Conflict / NotAllowed
    values: Mapping[str, str] = field(default_factory=dict)  # what was posted, to refill
    section: str = ""  # the workspace section the form is in
    shown: bool = False  # set while rendering, once the form's alert is on the page

    def field_errors(self, name: str) -> list[str]:
        return self.errors.get(name, [])

    def other_errors(self, placed: set[str]) -> list[tuple[str, list[str]]]:
        """Errors of fields the form has no input for (shown at the top of the form)."""
        return [(k, v) for k, v in self.errors.items() if k not in placed]
