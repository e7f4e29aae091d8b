"""Which adapter sends each channel, chosen by `settings.OPSDESK_CHANNEL_ADAPTERS`.

Instances are cached per (channel, adapter name) so an adapter's HTTP client
and its pooled connections live as long as the process, not one send.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from opsdesk.comms.adapters.base import ChannelAdapter
from opsdesk.comms.adapters.dev import DevAdapter
from opsdesk.comms.adapters.smtp import SmtpEmailAdapter
from opsdesk.comms.adapters.twilio import TwilioSmsAdapter, TwilioVoiceAdapter
from opsdesk.comms.adapters.whatsapp_cloud import WhatsAppCloudAdapter

_factories: dict[str, Callable[[], ChannelAdapter]] = {}
_instances: dict[tuple[str, str], ChannelAdapter] = {}
_lock = threading.Lock()

# Settings that feed adapter construction; changing any invalidates the cache.
_WATCHED_SETTINGS = frozenset(
    {
        "OPSDESK_CHANNEL_ADAPTERS",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
        "EMAIL_USE_SSL",
        "EMAIL_TIMEOUT",
        "OPSDESK_EMAIL_FROM",
        "WHATSAPP_API_BASE",
        "WHATSAPP_PHONE_NUMBER_ID",
        "WHATSAPP_ACCESS_TOKEN",
        "TWILIO_API_BASE",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
        "OPSDESK_PUBLIC_URL",
    }
)


def register(name: str, factory: Callable[[], ChannelAdapter]) -> None:
    """Make adapter `name` available; re-registering replaces it (and its cached instances)."""
    with _lock:
        _factories[name] = factory
        for key in [k for k in _instances if k[1] == name]:
            _close(_instances.pop(key))


def unregister(name: str) -> None:
    with _lock:
        _factories.pop(name, None)
        for key in [k for k in _instances if k[1] == name]:
            _close(_instances.pop(key))


def get_adapter(channel: str) -> ChannelAdapter:
    configured: dict[str, str] = getattr(settings, "OPSDESK_CHANNEL_ADAPTERS", {})
    if channel not in configured:
        raise LookupError(
            f"no adapter configured for channel {channel!r} in OPSDESK_CHANNEL_ADAPTERS "
            f"(configured: {', '.join(sorted(configured)) or 'none'})"
        )
    name = configured[channel]
    with _lock:
        key = (channel, name)
        if key not in _instances:
            factory = _factories.get(name)
            if factory is None:
                raise LookupError(
                    f"OPSDESK_CHANNEL_ADAPTERS[{channel!r}] names unknown adapter {name!r} "
                    f"(known: {', '.join(sorted(_factories))})"
                )
            _instances[key] = factory()
        return _instances[key]


def reset() -> None:
    """Drop cached instances (tests, settings changes); registrations stay."""
    with _lock:
        while _instances:
            _close(_instances.popitem()[1])


@receiver(setting_changed, dispatch_uid="opsdesk.comms.adapters.registry.reset")
def _on_setting_changed(*, setting: str, **_: Any) -> None:
    if setting in _WATCHED_SETTINGS:
        reset()


def _close(adapter: ChannelAdapter) -> None:
    close = getattr(adapter, "close", None)
    if callable(close):
        close()


def _require(adapter: str, required: dict[str, str]) -> None:
    """Fail with every missing setting (and its environment variable) named at once."""
    missing = [f"{s} (env {env})" for s, env in required.items() if not getattr(settings, s, "")]
    if missing:
        raise ImproperlyConfigured(
            f"the {adapter} adapter needs " + ", ".join(missing) + "; see docs/operator-guide.md"
        )


def _whatsapp_cloud_from_settings() -> ChannelAdapter:
    _require(
        "whatsapp_cloud",
        {
            "WHATSAPP_API_BASE": "OPSDESK_WHATSAPP_API_BASE",
            "WHATSAPP_PHONE_NUMBER_ID": "OPSDESK_WHATSAPP_PHONE_NUMBER_ID",
            "WHATSAPP_ACCESS_TOKEN": "OPSDESK_WHATSAPP_ACCESS_TOKEN",
        },
    )
    return WhatsAppCloudAdapter(
        api_base=settings.WHATSAPP_API_BASE,
        phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID,
        access_token=settings.WHATSAPP_ACCESS_TOKEN,
    )


_TWILIO_REQUIRED = {
    "TWILIO_ACCOUNT_SID": "OPSDESK_TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN": "OPSDESK_TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER": "OPSDESK_TWILIO_FROM_NUMBER",
}


def _twilio_sms_from_settings() -> ChannelAdapter:
    _require("twilio_sms", _TWILIO_REQUIRED)
    return TwilioSmsAdapter(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
        from_number=settings.TWILIO_FROM_NUMBER,
        api_base=getattr(settings, "TWILIO_API_BASE", "") or "https://api.twilio.com",
        # Delivery reports only when opsdesk is reachable from Twilio.
        callback_base=getattr(settings, "OPSDESK_PUBLIC_URL", ""),
    )


def _twilio_voice_from_settings() -> ChannelAdapter:
    # A call cannot work without its TwiML webhook, so the public URL is required here.
    _require("twilio_voice", {**_TWILIO_REQUIRED, "OPSDESK_PUBLIC_URL": "OPSDESK_PUBLIC_URL"})
    try:
        return TwilioVoiceAdapter(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            from_number=settings.TWILIO_FROM_NUMBER,
            callback_base=settings.OPSDESK_PUBLIC_URL,
            api_base=getattr(settings, "TWILIO_API_BASE", "") or "https://api.twilio.com",
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"OPSDESK_PUBLIC_URL: {exc}") from exc


def _smtp_from_settings() -> ChannelAdapter:
    # Django's own EMAIL_* settings, so opsdesk and django.core.mail share one relay.
    required = {"EMAIL_HOST": "OPSDESK_SMTP_HOST", "OPSDESK_EMAIL_FROM": "OPSDESK_EMAIL_FROM"}
    missing = [f"{s} (env {env})" for s, env in required.items() if not getattr(settings, s, "")]
    if missing:
        raise ImproperlyConfigured(
            "the smtp adapter needs " + ", ".join(missing) + "; see docs/operator-guide.md"
        )
    starttls = bool(getattr(settings, "EMAIL_USE_TLS", False))
    use_ssl = bool(getattr(settings, "EMAIL_USE_SSL", False))
    if starttls and use_ssl:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive; set one")
    try:
        port = int(getattr(settings, "EMAIL_PORT", 25))
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"EMAIL_PORT must be a port number: {exc}") from exc
    try:
        return SmtpEmailAdapter(
            settings.EMAIL_HOST,
            port,
            username=getattr(settings, "EMAIL_HOST_USER", ""),
            password=getattr(settings, "EMAIL_HOST_PASSWORD", ""),
            starttls=starttls,
            use_ssl=use_ssl,
            from_address=settings.OPSDESK_EMAIL_FROM,
            timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 10.0,
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"the smtp adapter cannot use its settings: {exc}") from exc


register("dev", DevAdapter)
register("whatsapp_cloud", _whatsapp_cloud_from_settings)
register("smtp", _smtp_from_settings)
register("twilio_sms", _twilio_sms_from_settings)
register("twilio_voice", _twilio_voice_from_settings)
