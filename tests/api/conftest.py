"""Fixtures of the API tests: the security tests' world, served to raw WSGI calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test.utils import override_settings

from tests.security.world import NOW, World, build_world


@pytest.fixture
def api_world(db: Any, tmp_path: Path) -> Iterator[World]:
    """The security world, with a keep-alive database connection for raw WSGI calls.

    Django closes "old" connections at the start and end of each request; inside the
    test's transaction that would throw it away, so (as Django's test client does) the
    handlers are disconnected while the test runs.
    """
    from opsdesk.cases.playbooks import forget_active_versions
    from opsdesk.cases.snapshot import forget_agents
    from opsdesk.common import clock

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    overrides = override_settings(
        MEDIA_ROOT=str(tmp_path / "media"),
        OPSDESK_PAYMENT_PROVIDER="test",
        OPSDESK_TEST_PAYMENT_SECRET="schemathesis-secret",
    )
    overrides.enable()
    clock.set_now(NOW)
    try:
        forget_active_versions()
        forget_agents()
        yield build_world()
    finally:
        clock.set_now(None)
        overrides.disable()
        forget_active_versions()
        forget_agents()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def admin_auth(api_world: World) -> dict[str, str]:
    """The world's admin, with a real API token."""
    from opsdesk.access.tokens import token_create

    _, token = token_create(api_world.users["admin"], "api-tests")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def channel_auth(api_world: World) -> dict[str, str]:
    """The world's telesales channel, with its integration user's token."""
    return {"Authorization": f"Bearer {api_world.token}"}
