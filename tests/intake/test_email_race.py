"""Two copies of one request mail delivered at the same moment open one request."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsdesk.cases.models import Case
from opsdesk.comms.models import Message
from opsdesk.intake.models import Request
from tests.intake.test_inbound_requests import mail, secrets  # noqa: F401
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_copies_of_a_request_mail_at_once_open_one_request(trips: Any) -> None:
    def deliver() -> str:
        return str(mail(Client(), "Service: airport_transfer\nDate: 2026-11-06\n").status_code)

    assert race(deliver, deliver) == ["200", "200"]  # the relay stops retrying either way
    assert Request.objects.count() == 1
    assert Case.objects.count() == 1
    assert Message.objects.filter(direction="INBOUND").count() == 1
