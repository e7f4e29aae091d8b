"""`opsdesk partner create KEY --name ... [--webhook-url ...]`: a partner platform and a token."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.partners.services import partner_create


def _actor() -> Actor:
    try:
        return Actor(f"cli:{getpass.getuser()}")
    except (KeyError, OSError):
        return Actor("cli")


class Command(BaseCommand):
    help = "Manage partner platforms. The API token is printed once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a partner platform, its API user and a token")
        create.add_argument("key", help="2-50 lowercase letters, digits or dashes")
        create.add_argument("--name", required=True, help="shown to agents, e.g. 'TravelCo'")
        create.add_argument("--webhook-url", default="", help="status pushes are POSTed here")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            partner, token = partner_create(
                options["key"],
                options["name"],
                webhook_url=options["webhook_url"],
                actor=_actor(),
            )
        except ValidationFailed as exc:
            lines = [f"  {k}: {'; '.join(v)}" for k, v in exc.errors.items()]
            raise CommandError("partner not created:\n" + "\n".join(lines)) from None
        self.stdout.write(f"partner {partner.key} ({partner.id}) created")
        self.stdout.write(f"API token (shown once, store it now): {token}")
        self.stdout.write(
            f"webhook secret (verifies X-Opsdesk-Signature): {partner.webhook_secret}"
        )
        if not partner.webhook_url:
            self.stdout.write("no webhook URL: status pushes are recorded as NO_WEBHOOK")
