"""How a status reaches a partner platform: an adapter per partner, by key.

The default, "webhook", POSTs the push's JSON signed like every opsdesk webhook
(`opsdesk.common.webhooks`). A partner with its own API gets its own adapter:
a class with `push(partner, push) -> int` that makes one call, returns the HTTP
status (0 when there is none) and raises `RetryableError` / `PermanentError`
(opsdesk.comms.adapters.base) on failure. Retrying and recording belong to the
outbox and `services.deliver`, not to the adapter. Register it with
`register_adapter("<key>", adapter)` from an AppConfig.ready() and set the
partner's `adapter` to that key.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from opsdesk.common import webhooks
from opsdesk.comms.adapters.base import PermanentError
from opsdesk.partners.models import PartnerPlatform, StatusPush

EVENT = "status.changed"


class PartnerAdapter(Protocol):
    def push(self, partner: PartnerPlatform, push: StatusPush) -> int: ...


class WebhookAdapter:
    """The signed JSON webhook: `push.payload` POSTed to the partner's webhook URL."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self.client = client

    def push(self, partner: PartnerPlatform, push: StatusPush) -> int:
        if not partner.webhook_url:
            raise PermanentError(f"{partner.key} has no webhook URL")
        response = webhooks.post_signed(
            partner.webhook_url,
            partner.webhook_secret,
            push.payload,
            self.client,
            headers={"X-Opsdesk-Event": EVENT, "X-Opsdesk-Delivery": push.pk},
            label=f"{partner.key} webhook",
        )
        return response.status_code


_ADAPTERS: dict[str, PartnerAdapter] = {"webhook": WebhookAdapter()}


def register_adapter(key: str, adapter: PartnerAdapter) -> None:
    _ADAPTERS[key] = adapter


def adapter_keys() -> list[str]:
    return sorted(_ADAPTERS)


def adapter_for(partner: PartnerPlatform) -> PartnerAdapter:
    adapter = _ADAPTERS.get(partner.adapter)
    if adapter is None:
        raise PermanentError(f"no partner adapter {partner.adapter!r} for {partner.key}")
    return adapter
