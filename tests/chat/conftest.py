"""A case to post about, a #inquiries channel and its fake chat webhook."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from opsdesk.cases.models import Case
from opsdesk.chat.models import ChatChannel
from opsdesk.chat.services import chat_channel_set
from opsdesk.common.actors import Actor
from tests.case_rows import case_row
from tests.fakes.chat_webhook import FakeChatWebhook

ADMIN = Actor("user:admin")


@pytest.fixture
def case(onboarding: Any, frozen_clock: Any) -> Case:
    return case_row(onboarding, "ONB-2026-000042")


@pytest.fixture
def endpoint() -> Iterator[FakeChatWebhook]:
    with FakeChatWebhook() as server:
        yield server


@pytest.fixture
def channel(db: Any, frozen_clock: Any, endpoint: FakeChatWebhook) -> ChatChannel:
    channel, _ = chat_channel_set("#inquiries", endpoint.url, ADMIN)
    return channel
