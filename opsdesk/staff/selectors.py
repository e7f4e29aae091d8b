"""Read queries about staff shared by the entry points (UI, API)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from opsdesk.staff.calendars import agent_calendar_row
from opsdesk.staff.models import Agent, Role, UserPreference

DEFAULT_TIMEZONE = "Europe/Istanbul"


def user_timezone(user: Any) -> zoneinfo.ZoneInfo:
    """The agent's calendar time zone, else the team's, else Istanbul."""
    name = DEFAULT_TIMEZONE
    agent = (
        Agent.objects.filter(user=user).select_related("calendar", "team__calendar").first()
        if user.is_authenticated
        else None
    )
    if agent is not None:
        row = agent_calendar_row(agent)
        if row is not None and row.timezone:
            name = row.timezone
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TIMEZONE)


def teams_with_active_agents(names: Iterable[str]) -> set[str]:
    """Those of the team `names` that exist and have at least one active agent or manager
    (who assignment may choose; an integration account takes no work)."""
    return set(
        Agent.objects.filter(
            team__name__in=set(names), active=True, role__in=(Role.AGENT, Role.MANAGER)
        )
        .values_list("team__name", flat=True)
        .distinct()
    )


def ui_languages() -> dict[str, str]:
    """The agent UI's languages: code -> name in that language."""
    return dict(settings.LANGUAGES)


def user_language(user: Any) -> str:
    """The user's chosen language code, or "" (none chosen: follow the browser)."""
    if user is None or not user.is_authenticated:
        return ""
    code = UserPreference.objects.filter(user_id=user.pk).values_list("language", flat=True)
    return next(iter(code), "")
