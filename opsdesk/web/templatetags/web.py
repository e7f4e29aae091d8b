"""Template helpers for the agent UI: per-form feedback and small formatting."""

from __future__ import annotations

from typing import Any

from django import template

from opsdesk.web import formats
from opsdesk.web.feedback import Feedback

register = template.Library()


def _mine(fb: Feedback | None, key: str) -> Feedback | None:
    return fb if isinstance(fb, Feedback) and fb.key == key else None


@register.inclusion_tag("web/_field_errors.html")
def fb_errors(fb: Feedback | None, key: str, name: str) -> dict[str, Any]:
    """The errors of one input, placed right after it."""
    mine = _mine(fb, key)
    return {"messages": mine.field_errors(name) if mine else [], "name": name, "key": key}


@register.inclusion_tag("web/_alert.html")
def fb_alert(fb: Feedback | None, key: str, placed: str = "") -> dict[str, Any]:
    """Refusal reasons, a conflict or permission message, and errors of fields
    this form has no input for (`placed` lists the ones it has)."""
    mine = _mine(fb, key)
    if mine is None:
        return {"fb": None}
    mine.shown = True
    other = mine.other_errors(set(placed.split()))
    if not (mine.reasons or mine.message or other):
        return {"fb": None}  # every error sits at its input
    return {"fb": mine, "other": other}


@register.inclusion_tag("web/_alert.html")
def fb_fallback(fb: Feedback | None, section: str) -> dict[str, Any]:
    """At the end of a section: the feedback of a form that is no longer on the
    page (e.g. "already done" for a task that someone else just completed)."""
    if not isinstance(fb, Feedback) or fb.section != section or fb.shown:
        return {"fb": None}
    fb.shown = True
    return {"fb": fb, "other": fb.other_errors(set())}


@register.simple_tag
def fb_value(fb: Feedback | None, key: str, name: str, default: Any = "") -> Any:
    """What the user posted (after an error), else `default`."""
    mine = _mine(fb, key)
    if mine is not None and name in mine.values:
        return mine.values[name]
    return "" if default is None else default


@register.simple_tag
def fb_checked(fb: Feedback | None, key: str, name: str, default: bool = False) -> str:
    mine = _mine(fb, key)
    on = bool(mine.values.get(name)) if mine is not None else bool(default)
    return "checked" if on else ""


@register.filter
def fb_is(fb: Feedback | None, key: str) -> bool:
    """True when the feedback belongs to the form `key` (e.g. to open its <details>)."""
    return _mine(fb, key) is not None


@register.simple_tag
def fb_invalid(fb: Feedback | None, key: str, name: str) -> str:
    """For `aria-invalid="{% fb_invalid fb 'profile' 'phone' %}"`."""
    mine = _mine(fb, key)
    return "true" if mine and mine.field_errors(name) else "false"


@register.filter
def get(mapping: Any, key: str) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def field_names(inputs: Any) -> str:
    """The names of a form's field inputs, for fb_alert's `placed`."""
    return " ".join(getattr(f, "name", "") for f in inputs or ())


@register.filter
def when(value: Any, style: str = "long") -> str:
    """A date and time in the agent's zone: {{ t.due_at|when }}, {{ m.created_at|when:"short" }}."""
    return formats.when(value, style)


@register.filter
def iso(value: Any) -> str:
    return formats.iso(value)


@register.filter
def may_audit(user: Any, customer: Any) -> bool:
    """Whether the signed-in user may read the customer's audit log (the link to it)."""
    from opsdesk.privacy.access import may_read_audit

    return may_read_audit(user, customer)
