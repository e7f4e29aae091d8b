"""`opsdesk channel create`: a sales channel, its API user and a token printed once."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.access.models import ApiToken
from opsdesk.access.tokens import token_user
from opsdesk.orders.models import SalesChannel

pytestmark = pytest.mark.django_db


def test_a_channel_is_created_and_its_token_printed_once(frozen_clock: Any) -> None:
    out = io.StringIO()
    call_command(
        "channel",
        "create",
        "partner-portal",
        "--name",
        "Partner portal",
        "--kind",
        "portal",
        "--webhook-url",
        "https://partner.example/hand-backs",
        "--inbound-email",
        "Siparis@Opsdesk.example",
        "--email-sender",
        "@Partner.example",
        stdout=out,
    )
    channel = SalesChannel.objects.get(key="partner-portal")
    lines = out.getvalue().splitlines()
    token = lines[1].removeprefix("API token (shown once, store it now): ")
    assert lines == [
        f"channel partner-portal ({channel.id}) created, kind PORTAL",
        f"API token (shown once, store it now): {token}",
        f"webhook secret (verifies X-Opsdesk-Signature): {channel.webhook_secret}",
        "orders mailed to siparis@opsdesk.example are received",
    ]
    assert token_user(token) == channel.user
    assert channel.email_senders == ["@partner.example"]
    assert (channel.name, channel.webhook_url, channel.inbound_email, channel.user.username) == (
        "Partner portal",
        "https://partner.example/hand-backs",
        "siparis@opsdesk.example",
        "channel-partner-portal",
    )
    assert len(channel.webhook_secret) == 64
    (stored,) = ApiToken.objects.filter(user=channel.user)
    assert (stored.name, stored.key_hash) == (
        "sales channel partner-portal",
        hashlib.sha256(token.encode()).hexdigest(),
    )


def test_bad_input_is_listed_and_creates_nothing(frozen_clock: Any) -> None:
    users = get_user_model().objects.count()
    with pytest.raises(CommandError) as raised:
        call_command(
            "channel",
            "create",
            "Bad Key!",
            "--name",
            " ",
            "--kind",
            "FAX",
            "--webhook-url",
            "ftp://partner.example",
            stdout=io.StringIO(),
        )
    assert str(raised.value) == (
        "channel not created:\n"
        "  key: 2-50 lowercase letters, digits or dashes\n"
        "  kind: one of TELESALES, EMAIL, PORTAL, API\n"
        "  webhook_url: an absolute http(s) URL\n"
        "  name: this field is required"
    )
    assert raised.value.returncode == 1
    with pytest.raises(CommandError) as raised:
        call_command(
            "channel", "create", "portal", "--name", "Portal", "--inbound-email", "not-an-address"
        )
    assert str(raised.value) == "channel not created:\n  inbound_email: an email address"
    assert (SalesChannel.objects.count(), get_user_model().objects.count()) == (0, users)


def test_a_taken_key_is_refused(frozen_clock: Any) -> None:
    call_command("channel", "create", "telesales", "--name", "Telesales", stdout=io.StringIO())
    with pytest.raises(CommandError) as raised:
        call_command("channel", "create", "telesales", "--name", "Again", stdout=io.StringIO())
    assert str(raised.value) == "channel not created:\n  key: already taken"
    assert SalesChannel.objects.count() == 1
