from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from opsdesk.comms.adapters import registry
from opsdesk.comms.adapters.base import OutboundMessage, PermanentError, SendResult
from opsdesk.comms.adapters.dev import DevAdapter
from opsdesk.comms.adapters.whatsapp_cloud import WhatsAppCloudAdapter
from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud

ALL_DEV = {"WHATSAPP": "dev", "SMS": "dev", "EMAIL": "dev", "VOICE": "dev"}


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    registry.reset()
    yield
    registry.reset()


@pytest.fixture
def cloud_settings(settings: Settings, whatsapp_server: FakeWhatsAppCloud) -> Settings:
    settings.OPSDESK_CHANNEL_ADAPTERS = {**ALL_DEV, "WHATSAPP": "whatsapp_cloud"}
    settings.WHATSAPP_API_BASE = whatsapp_server.url
    settings.WHATSAPP_PHONE_NUMBER_ID = whatsapp_server.phone_number_id
    settings.WHATSAPP_ACCESS_TOKEN = whatsapp_server.token
    return settings


@pytest.mark.parametrize("channel", ["WHATSAPP", "SMS", "EMAIL", "VOICE"])
def test_dev_by_default(settings: Settings, channel: str) -> None:
    settings.OPSDESK_CHANNEL_ADAPTERS = ALL_DEV

    adapter = registry.get_adapter(channel)

    assert isinstance(adapter, DevAdapter)
    assert adapter.name == "dev"


def test_instances_are_cached_until_reset(settings: Settings) -> None:
    settings.OPSDESK_CHANNEL_ADAPTERS = ALL_DEV
    first = registry.get_adapter("SMS")

    assert registry.get_adapter("SMS") is first
    registry.reset()
    assert registry.get_adapter("SMS") is not first


def test_whatsapp_cloud_from_settings_sends_to_configured_endpoint(
    cloud_settings: Settings, whatsapp_server: FakeWhatsAppCloud
) -> None:
    adapter = registry.get_adapter("WHATSAPP")

    assert isinstance(adapter, WhatsAppCloudAdapter)
    assert isinstance(registry.get_adapter("SMS"), DevAdapter)
    result = adapter.send(OutboundMessage("msg_1", "WHATSAPP", "+905551234567", "hi"))
    assert result.provider_message_id.startswith("wamid.")
    assert len(whatsapp_server.requests) == 1


def test_settings_change_drops_cached_instances(cloud_settings: Settings) -> None:
    cloud = registry.get_adapter("WHATSAPP")

    cloud_settings.WHATSAPP_ACCESS_TOKEN = "rotated"

    again = registry.get_adapter("WHATSAPP")
    assert again is not cloud
    assert isinstance(again, WhatsAppCloudAdapter)


@pytest.mark.parametrize(
    ("missing", "env"),
    [
        ("WHATSAPP_PHONE_NUMBER_ID", "OPSDESK_WHATSAPP_PHONE_NUMBER_ID"),
        ("WHATSAPP_ACCESS_TOKEN", "OPSDESK_WHATSAPP_ACCESS_TOKEN"),
    ],
)
def test_whatsapp_cloud_without_credentials_is_improperly_configured(
    cloud_settings: Settings, missing: str, env: str
) -> None:
    setattr(cloud_settings, missing, "")

    with pytest.raises(ImproperlyConfigured, match=env):
        registry.get_adapter("WHATSAPP")
    # Nothing half-built was cached: fixing the setting makes it work.
    setattr(cloud_settings, missing, "x")
    assert isinstance(registry.get_adapter("WHATSAPP"), WhatsAppCloudAdapter)


def test_unknown_adapter_name_is_lookup_error(settings: Settings) -> None:
    settings.OPSDESK_CHANNEL_ADAPTERS = {**ALL_DEV, "SMS": "twilio"}

    with pytest.raises(LookupError, match=r"unknown adapter 'twilio'.*known: dev, whatsapp_cloud"):
        registry.get_adapter("SMS")


def test_unknown_channel_is_lookup_error(settings: Settings) -> None:
    settings.OPSDESK_CHANNEL_ADAPTERS = ALL_DEV

    with pytest.raises(LookupError, match="'FAX'"):
        registry.get_adapter("FAX")


def test_register_adds_and_replaces_adapters(settings: Settings) -> None:
    class Recorder:
        name = "recorder"

        def send(self, message: OutboundMessage) -> SendResult:
            return SendResult(provider_message_id="rec-1")

    settings.OPSDESK_CHANNEL_ADAPTERS = {**ALL_DEV, "VOICE": "recorder"}
    registry.register("recorder", Recorder)
    try:
        first = registry.get_adapter("VOICE")
        assert isinstance(first, Recorder)
        registry.register("recorder", Recorder)  # replacing drops the cached instance
        assert registry.get_adapter("VOICE") is not first
    finally:
        registry.unregister("recorder")
    with pytest.raises(LookupError):
        registry.get_adapter("VOICE")


def test_dev_adapter_accepts_as_delivered() -> None:
    message = OutboundMessage("msg_abc", "EMAIL", "ayse@example.com", "hi", subject="Hello")

    assert DevAdapter().send(message) == SendResult(
        provider_message_id="dev-msg_abc", delivered=True
    )


@pytest.mark.parametrize("to", ["", "   "])
def test_dev_adapter_refuses_missing_recipient(to: str) -> None:
    with pytest.raises(PermanentError) as caught:
        DevAdapter().send(OutboundMessage("msg_abc", "SMS", to, "hi"))

    assert caught.value.retryable is False
