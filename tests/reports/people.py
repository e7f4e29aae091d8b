"""Who reads the reports in these tests: a manager of Sales (the `boss` fixture, a
plugin of tests/conftest.py), signed in or with a token."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsdesk.access.tokens import token_create


@pytest.fixture
def boss(service_desk: Any) -> Any:
    from opsdesk.staff.services import agent_create

    return agent_create(
        username="mete",
        name="Mete Manager",
        password="pw-mete-123",
        team=service_desk.teams["Sales"],
        role="manager",
    )


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(user: Any) -> dict[str, str]:
    _, secret = token_create(user, "reports")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
