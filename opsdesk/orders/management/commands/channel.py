"""`opsdesk channel create KEY --name ... --kind ...`: a sales channel and its first API token."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from opsdesk.common.errors import ValidationFailed
from opsdesk.orders.models import ChannelKind
from opsdesk.orders.services import channel_create


class Command(BaseCommand):
    help = "Manage sales channels. The API token is printed once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a sales channel, its API user and a token")
        create.add_argument("key", help="2-50 lowercase letters, digits or dashes")
        create.add_argument("--name", required=True, help="shown to agents, e.g. 'Telesales'")
        create.add_argument(
            "--kind", default=ChannelKind.API, help=f"one of {', '.join(ChannelKind.values)}"
        )
        create.add_argument("--webhook-url", default="", help="hand-backs are POSTed here")
        create.add_argument("--inbound-email", default="", help="orders mailed to this address")
        create.add_argument(
            "--email-sender",
            action="append",
            default=[],
            help="an address or @domain allowed to mail orders (repeat; default: anyone)",
        )
        create.add_argument("--playbook", default="service-order", help="the order playbook's key")

    def handle(self, *args: Any, **options: Any) -> None:
        inbound = options["inbound_email"].strip()
        try:
            if inbound:
                # channel_create does not check the address (yet): refuse before anything.
                try:
                    validate_email(inbound)
                except ValidationError:
                    raise ValidationFailed({"inbound_email": ["an email address"]}) from None
            channel, token = channel_create(
                key=options["key"],
                name=options["name"],
                kind=options["kind"].upper(),
                webhook_url=options["webhook_url"],
                inbound_email=inbound,
                email_senders=options["email_sender"],
                playbook_key=options["playbook"],
            )
        except ValidationFailed as exc:
            lines = [f"  {k}: {'; '.join(v)}" for k, v in exc.errors.items()]
            raise CommandError("channel not created:\n" + "\n".join(lines)) from None
        self.stdout.write(f"channel {channel.key} ({channel.id}) created, kind {channel.kind}")
        self.stdout.write(f"API token (shown once, store it now): {token}")
        self.stdout.write(
            f"webhook secret (verifies X-Opsdesk-Signature): {channel.webhook_secret}"
        )
        if channel.inbound_email:
            self.stdout.write(f"orders mailed to {channel.inbound_email} are received")
            if not channel.email_senders:
                self.stdout.write(
                    "warning: anyone who knows that address can send orders; "
                    "limit it with --email-sender"
                )
