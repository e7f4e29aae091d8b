"""Shared fixtures: the shipped onboarding playbook, a team of agents, a frozen clock.

Settings come from tests/settings.py (pyproject's DJANGO_SETTINGS_MODULE).
Fixtures used by one folder only belong in that folder's conftest.py.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("OPSDESK_ALLOW_INSECURE_KEY", "1")

PLAYBOOKS = Path(__file__).resolve().parent.parent / "playbooks"
# Wednesday 28 October 2026, 10:00 in Istanbul; 29 October is Republic Day.
BEFORE_REPUBLIC_DAY = dt.datetime(2026, 10, 28, 7, 0, tzinfo=dt.UTC)


@dataclass
class Staff:
    team: Any
    ayse: Any  # immigration, speaks tr + en
    john: Any  # immigration + insurance, speaks en
    manager: Any
    outsider: Any  # an agent of another team
    integration: Any  # the app-web integration user
    token: str  # its API token


@pytest.fixture
def onboarding(db: Any) -> Any:
    from opsdesk.cases.playbooks import playbook_install

    version, _ = playbook_install((PLAYBOOKS / "customer-onboarding.yaml").read_text())
    return version


@pytest.fixture
def staff(db: Any) -> Staff:
    from opsdesk.access.tokens import token_create
    from opsdesk.staff.models import BusinessCalendar, Team
    from opsdesk.staff.services import agent_create

    calendar = BusinessCalendar.objects.create(name="Istanbul office", country="TR")
    team = Team.objects.create(name="Istanbul", calendar=calendar)
    other = Team.objects.create(name="Izmir", calendar=calendar)
    ayse = agent_create(
        username="ayse",
        name="Ayşe Yılmaz",
        password="pw-ayse-123",
        team=team,
        languages=["tr", "en"],
        service_types=["immigration"],
        capacity=20,
    )
    john = agent_create(
        username="john",
        name="John Carter",
        password="pw-john-123",
        team=team,
        languages=["en"],
        service_types=["immigration", "insurance"],
        capacity=20,
    )
    manager = agent_create(
        username="maria",
        name="Maria Manager",
        password="pw-maria-123",
        team=team,
        role="manager",
        languages=["en", "tr"],
        service_types=[],
    )
    outsider = agent_create(
        username="olga",
        name="Olga Outsider",
        password="pw-olga-123",
        team=other,
        languages=["en"],
        service_types=["insurance"],
    )
    integration = agent_create(
        username="app-web", name="App-web onboarding", password=None, role="integration"
    )
    _, secret = token_create(integration.user, "app-web")
    return Staff(team, ayse, john, manager, outsider, integration, secret)


@pytest.fixture
def frozen_clock() -> Iterator[Any]:
    """The shell's clock pinned to BEFORE_REPUBLIC_DAY; tests may move it with set_now."""
    from opsdesk.common import clock

    clock.set_now(BEFORE_REPUBLIC_DAY)
    yield clock
    clock.set_now(None)


pytest_plugins = ["tests.fakes.fixtures", "tests.service_desk", "tests.reports.people"]


@pytest.fixture(autouse=True)
def _no_log_context() -> Iterator[None]:
    """Each test starts with no request or case in the log context (a streaming
    response a test never reads is never closed, and would leave its id behind)."""
    from opsdesk.common import logcontext

    yield
    logcontext.request_id.set(None)
    logcontext.case_id.set(None)


@pytest.fixture(autouse=True)
def _fresh_playbook_cache() -> None:
    """Each test has its own database, so no process cache may outlive it."""
    from opsdesk.cases.playbooks import forget_active_versions
    from opsdesk.cases.snapshot import forget_agents

    forget_active_versions()
    forget_agents()
