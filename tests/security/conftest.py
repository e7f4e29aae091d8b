"""The security tests' world: built once per module inside a transaction that is
rolled back at the end; each test runs in a savepoint inside it (pytest-django's
`db`), so what one request changes never leaks into the next."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import override_settings

from tests.security.world import NOW, World, build_world


@pytest.fixture(scope="module")
def world(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    from opsdesk.cases.playbooks import forget_active_versions
    from opsdesk.cases.snapshot import forget_agents
    from opsdesk.common import clock

    media: Path = tmp_path_factory.mktemp("media")
    settings = override_settings(
        MEDIA_ROOT=str(media),
        OPSDESK_PAYMENT_PROVIDER="test",
        OPSDESK_TEST_PAYMENT_SECRET="security-test-secret",
    )
    settings.enable()
    clock.set_now(NOW)
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            forget_active_versions()
            forget_agents()
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            clock.set_now(None)
            settings.disable()
            forget_active_versions()
            forget_agents()


@pytest.fixture
def w(world: World, db: Any) -> Iterator[World]:
    """The world, in this test's savepoint, with the clock at NOW."""
    from opsdesk.common import clock

    clock.set_now(NOW)
    yield world
    clock.set_now(NOW)
