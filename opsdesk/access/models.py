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


class RateCounter(models.Model):
    """Requests one client made to one rate-limited scope in one fixed window.

    Kept in the database so that every gunicorn process on every host counts into
    the same row (opsdesk.access.ratelimit increments it with one atomic upsert).
    """

    scope = models.CharField(max_length=32)
    client = models.CharField(max_length=200)  # an IP address, or "provider|IP" for webhooks
    window_start = models.BigIntegerField()  # in seconds since the epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "client", "window_start"], name="access_ratecounter_unique"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="access_ratecounter_window")]

    def __str__(self) -> str:
        return f"{self.scope} {self.client} @{self.window_start}: {self.count}"


class SignInFailure(models.Model):
    """One failed password sign-in (opsdesk.access.signin): the username as typed
    (lower-cased, whether or not it exists) and the client's address."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"], name="access_signinfail_user"),
            models.Index(fields=["ip", "at"], name="access_signinfail_ip"),
            models.Index(fields=["at"], name="access_signinfail_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at:%Y-%m-%d %H:%M:%S}"
