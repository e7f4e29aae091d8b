"""What a failed form post tells the page: which form, the HTTP status, the errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, NotAllowed, Refused, ValidationFailed


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


def attempt(
    request: HttpRequest,
    key: str,
    call: Callable[[Actor], Any],
    *,
    section: str,
    conflict_reasons: Callable[[Conflict], list[str]] = lambda exc: [],
) -> Feedback | None:
    """Run one domain call as the signed-in user; the form's feedback if it was
    refused. `conflict_reasons` turns a Conflict into reasons (one per line)."""
    fb: Feedback | None = None
    try:
        call(Actor.of_user(request.user))
    except ValidationFailed as exc:
        fb = Feedback(key, 422, errors=exc.errors)
    except Refused as exc:
        fb = Feedback(key, 409, reasons=exc.reasons)
    except Conflict as exc:
        reasons = conflict_reasons(exc)
        fb = Feedback(key, 409, reasons=reasons, message="" if reasons else str(exc))
    except NotAllowed:
        fb = Feedback(key, 403, message=_("You are not allowed to do this."))
    if fb is not None:
        fb.values, fb.section = request.POST, section
    return fb
