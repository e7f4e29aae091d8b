"""API tokens: create (the secret is returned once) and authenticate."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from opsdesk.access.models import ApiToken
from opsdesk.common import clock

PREFIX = "ods_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(user: Any, name: str) -> tuple[ApiToken, str]:
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=_hash(secret), created_at=clock.now()
    )
    return token, secret


def token_user(secret: str) -> Any | None:
    """The active user behind a token secret, or None."""
    if not secret.startswith(PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(secret), revoked=False, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now())
    return token.user
