from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from opsdesk.comms.adapters import registry
from opsdesk.comms.adapters.base import OutboundMessage, PermanentError, SendResult
from opsdesk.comms.adapters.dev import DevAdapter
from opsdesk.comms.adapters.twilio import TwilioSmsAdapter, TwilioVoiceAdapter
from opsdesk.comms.adapters.whatsapp_cloud import WhatsAppCloudAdapter
from tests.fakes.twilio import FakeTwilio
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


@pytest.fixture
def twilio_server() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def twilio_settings(settings: Settings, twilio_server: FakeTwilio) -> Settings:
    settings.OPSDESK_CHANNEL_ADAPTERS = {**ALL_DEV, "SMS": "twilio_sms", "VOICE": "twilio_voice"}
    settings.TWILIO_API_BASE = twilio_server.url
    settings.TWILIO_ACCOUNT_SID = twilio_server.account_sid
    settings.TWILIO_AUTH_TOKEN = twilio_server.auth_token
    settings.TWILIO_FROM_NUMBER = twilio_server.from_number
    settings.OPSDESK_PUBLIC_URL = "https://ops.example.com"
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

    # Other adapters may sit between these names; the list is sorted.
    known = r"\(known: dev, .*twilio_sms, twilio_voice, whatsapp_cloud\)"
    with pytest.raises(LookupError, match=rf"unknown adapter 'twilio' {known}"):
        registry.get_adapter("SMS")


def test_twilio_sms_from_settings_sends_to_configured_endpoint(
    twilio_settings: Settings, twilio_server: FakeTwilio
) -> None:
    adapter = registry.get_adapter("SMS")

    assert isinstance(adapter, TwilioSmsAdapter)
    assert adapter.name == "twilio_sms"
    assert adapter.resend_safe is False
    result = adapter.send(OutboundMessage("msg_1", "SMS", "+905551234567", "hi"))
    assert result.provider_message_id.startswith("SM")
    (created,) = twilio_server.requests
    assert created.params == [
        ("To", "+905551234567"),
        ("From", twilio_server.from_number),
        ("Body", "hi"),
        ("StatusCallback", "https://ops.example.com/api/v1/webhooks/twilio/status/msg_1"),
    ]


def test_twilio_sms_without_public_url_asks_for_no_callbacks(
    twilio_settings: Settings, twilio_server: FakeTwilio
) -> None:
    del twilio_settings.OPSDESK_PUBLIC_URL

    registry.get_adapter("SMS").send(OutboundMessage("msg_1", "SMS", "+905551234567", "hi"))

    (created,) = twilio_server.requests
    assert created.get("StatusCallback") is None


def test_twilio_voice_from_settings_calls_with_public_webhooks(
    twilio_settings: Settings, twilio_server: FakeTwilio
) -> None:
    adapter = registry.get_adapter("VOICE")

    assert isinstance(adapter, TwilioVoiceAdapter)
    assert adapter.name == "twilio_voice"
    assert adapter.resend_safe is False
    result = adapter.send(OutboundMessage("msg_2", "VOICE", "+905551234567", "Confirm?"))
    assert result.provider_message_id.startswith("CA")
    (created,) = twilio_server.requests
    assert created.get("Url") == "https://ops.example.com/api/v1/webhooks/twilio/voice/msg_2"


def test_twilio_settings_change_drops_cached_instances(twilio_settings: Settings) -> None:
    sms, voice = registry.get_adapter("SMS"), registry.get_adapter("VOICE")

    twilio_settings.TWILIO_AUTH_TOKEN = "rotated"

    assert registry.get_adapter("SMS") is not sms
    assert registry.get_adapter("VOICE") is not voice


@pytest.mark.parametrize(
    ("channel", "missing", "env"),
    [
        ("SMS", "TWILIO_ACCOUNT_SID", "OPSDESK_TWILIO_ACCOUNT_SID"),
        ("SMS", "TWILIO_AUTH_TOKEN", "OPSDESK_TWILIO_AUTH_TOKEN"),
        ("SMS", "TWILIO_FROM_NUMBER", "OPSDESK_TWILIO_FROM_NUMBER"),
        ("VOICE", "TWILIO_ACCOUNT_SID", "OPSDESK_TWILIO_ACCOUNT_SID"),
        ("VOICE", "TWILIO_AUTH_TOKEN", "OPSDESK_TWILIO_AUTH_TOKEN"),
        ("VOICE", "TWILIO_FROM_NUMBER", "OPSDESK_TWILIO_FROM_NUMBER"),
        ("VOICE", "OPSDESK_PUBLIC_URL", "OPSDESK_PUBLIC_URL"),
    ],
)
def test_twilio_without_settings_is_improperly_configured(
    twilio_settings: Settings, channel: str, missing: str, env: str
) -> None:
    setattr(twilio_settings, missing, "")

    with pytest.raises(ImproperlyConfigured, match=rf"{missing} \(env {env}\)"):
        registry.get_adapter(channel)
    # Nothing half-built was cached: fixing the setting makes it work.
    setattr(twilio_settings, missing, "https://ops.example.com")
    assert (
        registry.get_adapter(channel).name
        == {"SMS": "twilio_sms", "VOICE": "twilio_voice"}[channel]
    )


def test_twilio_settings_may_be_absent_altogether(settings: Settings) -> None:
    settings.OPSDESK_CHANNEL_ADAPTERS = {**ALL_DEV, "VOICE": "twilio_voice"}
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"):
        if hasattr(settings, name):
            delattr(settings, name)

    with pytest.raises(ImproperlyConfigured) as caught:
        registry.get_adapter("VOICE")

    assert str(caught.value).startswith(
        "the twilio_voice adapter needs TWILIO_ACCOUNT_SID (env OPSDESK_TWILIO_ACCOUNT_SID), "
        "TWILIO_AUTH_TOKEN (env OPSDESK_TWILIO_AUTH_TOKEN), "
        "TWILIO_FROM_NUMBER (env OPSDESK_TWILIO_FROM_NUMBER)"
    )


def test_twilio_voice_with_a_relative_public_url_is_improperly_configured(
    twilio_settings: Settings,
) -> None:
    twilio_settings.OPSDESK_PUBLIC_URL = "ops.example.com"

    with pytest.raises(ImproperlyConfigured, match="OPSDESK_PUBLIC_URL: callback_base must be"):
        registry.get_adapter("VOICE")


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
