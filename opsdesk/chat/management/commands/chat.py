"""`opsdesk chat channel NAME --webhook-url URL`: create or update an internal chat channel."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.chat.services import chat_channel_set
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed


def _actor() -> Actor:
    try:
        return Actor(f"cli:{getpass.getuser()}")
    except (KeyError, OSError):
        return Actor("cli")


class Command(BaseCommand):
    help = "Manage internal chat channels that playbooks `post` to."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        channel = sub.add_parser("channel", help="create a channel or change its webhook")
        channel.add_argument("name", help="e.g. '#inquiries' (quote the #)")
        channel.add_argument("--webhook-url", required=True, help="the incoming-webhook URL")
        channel.add_argument("--adapter", default="slack", help="how posts are sent (slack)")
        channel.add_argument(
            "--inactive", action="store_true", help="keep it, but record posts as NO_CHANNEL"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            channel, created = chat_channel_set(
                options["name"],
                options["webhook_url"],
                _actor(),
                adapter=options["adapter"],
                active=not options["inactive"],
            )
        except ValidationFailed as exc:
            lines = [f"  {k}: {'; '.join(v)}" for k, v in exc.errors.items()]
            raise CommandError("chat channel not saved:\n" + "\n".join(lines)) from None
        verb = "created" if created else "updated"
        state = "active" if channel.active else "inactive"
        self.stdout.write(f"chat channel {channel.name} {verb} ({channel.adapter}, {state})")
