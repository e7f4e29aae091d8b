"""`opsdesk partner create`: a partner platform, its API user and a token printed once."""

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
from opsdesk.partners.models import PartnerPlatform

pytestmark = pytest.mark.django_db


def test_a_partner_is_created_and_its_token_printed_once(frozen_clock: Any) -> None:
    out = io.StringIO()
    call_command(
        "partner",
        "create",
        "travelco",
        "--name",
        "TravelCo",
        "--webhook-url",
        "https://travelco.example/opsdesk/status",
        stdout=out,
    )
    partner = PartnerPlatform.objects.get(key="travelco")
    lines = out.getvalue().splitlines()
    token = lines[1].removeprefix("API token (shown once, store it now): ")
    assert lines == [
        f"partner travelco ({partner.id}) created",
        f"API token (shown once, store it now): {token}",
        f"webhook secret (verifies X-Opsdesk-Signature): {partner.webhook_secret}",
    ]
    assert partner.id.startswith("prt_")
    assert token_user(token) == partner.user
    assert (
        partner.name,
        partner.adapter,
        partner.webhook_url,
        partner.active,
        partner.user.username,
        partner.created_at,
    ) == (
        "TravelCo",
        "webhook",
        "https://travelco.example/opsdesk/status",
        True,
        "partner-travelco",
        frozen_clock.now(),
    )
    assert partner.user.agent.role == "integration"
    assert len(partner.webhook_secret) == 64
    (stored,) = ApiToken.objects.filter(user=partner.user)
    assert (stored.name, stored.key_hash) == (
        "partner platform travelco",
        hashlib.sha256(token.encode()).hexdigest(),
    )


def test_without_a_webhook_url_it_says_pushes_are_not_sent(frozen_clock: Any) -> None:
    out = io.StringIO()
    call_command("partner", "create", "visaportal", "--name", "VisaPortal", stdout=out)
    assert out.getvalue().splitlines()[-1] == (
        "no webhook URL: status pushes are recorded as NO_WEBHOOK"
    )
    assert PartnerPlatform.objects.get().webhook_url == ""


def test_bad_input_is_listed_and_creates_nothing(frozen_clock: Any) -> None:
    users = get_user_model().objects.count()
    with pytest.raises(CommandError) as raised:
        call_command(
            "partner",
            "create",
            "Bad Key!",
            "--name",
            " ",
            "--webhook-url",
            "ftp://travelco.example",
            stdout=io.StringIO(),
        )
    assert str(raised.value) == (
        "partner not created:\n"
        "  key: 2-50 lowercase letters, digits or dashes\n"
        "  name: this field is required\n"
        "  webhook_url: an absolute http(s) URL"
    )
    assert raised.value.returncode == 1
    assert (PartnerPlatform.objects.count(), get_user_model().objects.count()) == (0, users)
    assert ApiToken.objects.count() == 0


def test_a_taken_key_is_refused(frozen_clock: Any) -> None:
    call_command("partner", "create", "travelco", "--name", "TravelCo", stdout=io.StringIO())
    with pytest.raises(CommandError) as raised:
        call_command("partner", "create", "travelco", "--name", "Again", stdout=io.StringIO())
    assert str(raised.value) == "partner not created:\n  key: already taken"
    assert PartnerPlatform.objects.count() == 1
    assert ApiToken.objects.count() == 1


def test_the_opsdesk_command_exits_non_zero_on_bad_input(
    frozen_clock: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from opsdesk.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["partner", "create", "x", "--name", "X"])
    assert exited.value.code == 1
    assert capsys.readouterr().err == (
        "CommandError: partner not created:\n  key: 2-50 lowercase letters, digits or dashes\n"
    )
