"""Fixtures for the fake provider servers, shared by every test folder (see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.smtp import FakeSmtpServer
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


@pytest.fixture
def smtp_server() -> Iterator[FakeSmtpServer]:
    """A local SMTP relay on a free port: no AUTH, no TLS."""
    with FakeSmtpServer() as server:
        yield server


@pytest.fixture
def smtp_adapter(settings: Any, smtp_server: FakeSmtpServer) -> FakeSmtpServer:
    """Route EMAIL through the SMTP adapter, pointed at the fake relay."""
    settings.OPSDESK_CHANNEL_ADAPTERS = {**settings.OPSDESK_CHANNEL_ADAPTERS, "EMAIL": "smtp"}
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.OPSDESK_EMAIL_FROM = "Opsdesk <bildirim@opsdesk.example>"
    return smtp_server
