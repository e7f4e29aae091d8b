"""Fixtures for the fake provider servers, shared by every test folder (see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud


@pytest.fixture
def whatsapp_server() -> Iterator[FakeWhatsAppCloud]:
    with FakeWhatsAppCloud() as server:
        yield server


@pytest.fixture
def whatsapp_adapter(settings: Any, whatsapp_server: FakeWhatsAppCloud) -> FakeWhatsAppCloud:
    """Route WHATSAPP through the Cloud API adapter, pointed at the fake server."""
    settings.OPSDESK_CHANNEL_ADAPTERS = {
        **settings.OPSDESK_CHANNEL_ADAPTERS,
        "WHATSAPP": "whatsapp_cloud",
    }
    settings.WHATSAPP_API_BASE = whatsapp_server.url
    settings.WHATSAPP_PHONE_NUMBER_ID = whatsapp_server.phone_number_id
    settings.WHATSAPP_ACCESS_TOKEN = whatsapp_server.token
    return whatsapp_server
