"""How a post reaches a chat channel: an adapter per chat system, by key.

The default, "slack", POSTs `{"text": ...}` as JSON to the channel's incoming
webhook URL (Slack's incoming-webhook format; Mattermost, Rocket.Chat and others
accept it too). Another chat system gets its own adapter: an object with
`post(channel, text) -> None` that makes one call and raises `RetryableError` /
`PermanentError` (opsdesk.comms.adapters.base) on failure. Retrying and recording
belong to the outbox and `services.deliver`, not to the adapter. Register it with
`register_adapter("<key>", adapter)` from an AppConfig.ready() and set the
channel's `adapter` to that key.
"""

from __future__ import annotations

import json
from typing import Protocol

import httpx

from opsdesk.chat.models import ChatChannel
from opsdesk.common.webhooks import post_json
from opsdesk.comms.adapters.base import PermanentError

USER_AGENT = "opsdesk-chat/1"


class ChatAdapter(Protocol):
    def post(self, channel: ChatChannel, text: str) -> None: ...


class SlackWebhookAdapter:
    """Slack incoming webhooks: 2xx delivered; no answer, 429 and 5xx retryable;
    any other answer permanent (a wrong or revoked URL does not heal itself)."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self.client = client

    def post(self, channel: ChatChannel, text: str) -> None:
        body = json.dumps({"text": text}, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        post_json(channel.webhook_url, body, headers, self.client, label=f"{channel.name} webhook")


_ADAPTERS: dict[str, ChatAdapter] = {"slack": SlackWebhookAdapter()}


def register_adapter(key: str, adapter: ChatAdapter) -> None:
    _ADAPTERS[key] = adapter


def adapter_keys() -> list[str]:
    return sorted(_ADAPTERS)


def adapter_for(channel: ChatChannel) -> ChatAdapter:
    adapter = _ADAPTERS.get(channel.adapter)
    if adapter is None:
        raise PermanentError(f"no chat adapter {channel.adapter!r} for {channel.name}")
    return adapter
