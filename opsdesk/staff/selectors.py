"""Read queries about staff shared by the entry points (UI, API)."""

from __future__ import annotations

import zoneinfo
from typing import Any

from opsdesk.staff.calendars import agent_calendar_row
from opsdesk.staff.models import Agent

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
