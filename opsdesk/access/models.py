"""API tokens for integrations (app-web, sales channels, partner platforms)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from opsdesk.common import ids


class ApiToken(models.Model):
    """Only a hash of the secret is stored; the secret is shown once, at creation."""

    id = models.CharField(primary_key=True, max_length=32, default=ids.token_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)  # sha256 hex of the secret
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name
