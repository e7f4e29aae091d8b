"""A partner platform's status endpoint: checks the opsdesk signature on each push."""

from __future__ import annotations

from tests.fakes.signed_webhook import FakeSignedWebhook


class FakePartnerWebhook(FakeSignedWebhook):
    PATH = "/opsdesk/status"
    ID_KEY = "push_id"
