"""A sales channel's webhook endpoint: checks the opsdesk signature on each hand-back."""

from __future__ import annotations

from tests.fakes.signed_webhook import FakeSignedWebhook


class FakeChannelWebhook(FakeSignedWebhook):
    PATH = "/hand-backs"
    ID_KEY = "hand_back_id"
