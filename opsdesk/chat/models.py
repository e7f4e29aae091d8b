"""Internal chat channels (#inquiries, #quality-review, ...) and the posts sent to them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.cases.models import Case


class ChatChannel(models.Model):
    """A team channel reached through a chat webhook (Slack-compatible by default)."""

    name = models.CharField(max_length=81, unique=True)  # "#inquiries"
    webhook_url = models.URLField(max_length=500)
    # How posts reach it: a key of opsdesk.chat.adapters ("slack" by default).
    adapter = models.CharField(max_length=40, default="slack")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class ChatPostState(models.TextChoices):
    PENDING = "PENDING", _("Sending to the channel")
    DELIVERED = "DELIVERED", _("Delivered")
    FAILED = "FAILED", _("Gave up")
    NO_CHANNEL = "NO_CHANNEL", _("No such active channel")


class ChatPost(models.Model):
    """One text posted to a team channel, and how that went."""

    # Null when no channel of that name existed when the post was recorded (NO_CHANNEL).
    channel = models.ForeignKey(
        ChatChannel, on_delete=models.SET_NULL, null=True, blank=True, related_name="posts"
    )
    channel_name = models.CharField(max_length=81)  # as the playbook named it
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="chat_posts"
    )
    text = models.TextField()
    state = models.CharField(max_length=10, choices=ChatPostState.choices)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["case", "created_at"]),
            models.Index(fields=["state", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel_name}: {self.text[:40]} ({self.state})"
