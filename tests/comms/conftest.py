from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud


@pytest.fixture
def whatsapp_server() -> Iterator[FakeWhatsAppCloud]:
    with FakeWhatsAppCloud() as server:
        yield server
