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
from opsdesk.comms.adapters.whatsapp_cloud import WhatsAppCloudAdapter

_factories: dict[str, Callable[[], ChannelAdapter]] = {}
_instances: dict[tuple[str, str], ChannelAdapter] = {}
_lock = threading.Lock()

# Settings that feed adapter construction; changing any invalidates the cache.
_WATCHED_SETTINGS = frozenset(
    {
        "OPSDESK_CHANNEL_ADAPTERS",
        "WHATSAPP_API_BASE",
        "WHATSAPP_PHONE_NUMBER_ID",
        "WHATSAPP_ACCESS_TOKEN",
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


def _whatsapp_cloud_from_settings() -> ChannelAdapter:
    required = {
        "WHATSAPP_API_BASE": "OPSDESK_WHATSAPP_API_BASE",
        "WHATSAPP_PHONE_NUMBER_ID": "OPSDESK_WHATSAPP_PHONE_NUMBER_ID",
        "WHATSAPP_ACCESS_TOKEN": "OPSDESK_WHATSAPP_ACCESS_TOKEN",
    }
    missing = [f"{s} (env {env})" for s, env in required.items() if not getattr(settings, s, "")]
    if missing:
        raise ImproperlyConfigured(
            "the whatsapp_cloud adapter needs "
            + ", ".join(missing)
            + "; see docs/operator-guide.md"
        )
    return WhatsAppCloudAdapter(
        api_base=settings.WHATSAPP_API_BASE,
        phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID,
        access_token=settings.WHATSAPP_ACCESS_TOKEN,
    )


register("dev", DevAdapter)
register("whatsapp_cloud", _whatsapp_cloud_from_settings)
