"""Durable timers and the transactional outbox, worked by `opsdesk worker`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.cases.models import Case
from opsdesk.comms.models import Message


class TimerStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    FIRED = "FIRED", _("Fired")
    CANCELLED = "CANCELLED", _("Cancelled")


class Timer(models.Model):
    """A playbook timer. Fired in the same transaction as the decision it causes."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timers")
    name = models.CharField(max_length=64)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=TimerStatus.choices, default="PENDING")
    created_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            # At most one pending timer of a name per case: setting it again replaces it.
            models.UniqueConstraint(
                fields=["case", "name"],
                condition=models.Q(status="PENDING"),
                name="timer_one_pending_per_name",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} due {self.due_at:%Y-%m-%d %H:%M}"


class OutboxStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    SENDING = "SENDING", _("Sending")  # claimed by a worker until lease_until
    DONE = "DONE", _("Done")
    DEAD = "DEAD", _("Dead letter")  # gave up; an operator looks and may retry


class OutboxItem(models.Model):
    """A side effect decided in a transaction, carried out by a worker after commit."""

    kind = models.CharField(max_length=40)  # "message.send"
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox"
    )
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default="PENDING")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    # Set just before the provider is called: a claim that expires with this
    # empty was never attempted and is safe to hand out again.
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
