from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.access.models import ApiToken
from opsdesk.access.tokens import token_create


class Command(BaseCommand):
    help = "Create or revoke API tokens. The secret is printed once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new token for USERNAME")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for, e.g. app-web")
        revoke = sub.add_parser("revoke", help="revoke a token by its id (tok_...)")
        revoke.add_argument("token_id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"no user {options['username']!r}")
            token, secret = token_create(user, options["name"])
            self.stdout.write(f"{token.id}\t{secret}")
        else:
            if not ApiToken.objects.filter(pk=options["token_id"]).update(revoked=True):
                raise CommandError(f"no token {options['token_id']!r}")
            self.stdout.write(f"{options['token_id']} revoked")
