"""Playbook versions, cases, flags and the append-only timeline."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.common import ids
from opsdesk.customers.models import Customer
from opsdesk.staff.models import Agent, Team


class PlaybookVersion(models.Model):
    """One loaded version of a playbook; a case keeps the version it started under."""

    key = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    source = models.TextField()  # the YAML as loaded
    sha256 = models.CharField(max_length=64)
    active = models.BooleanField(default=True)  # new cases start under the active version
    loaded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="playbook_key_version"),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class CaseNumberCounter(models.Model):
    """Per prefix and year, the last human case number given (ONB-2026-000123)."""

    prefix = models.CharField(max_length=5)
    year = models.PositiveIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="counter_prefix_year")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.value}"


class CaseStatus(models.TextChoices):
    OPEN = "OPEN", _("Open")
    CLOSED = "CLOSED", _("Closed")


class Case(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ids.case_id, editable=False)
    number = models.CharField(max_length=32, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cases")
    playbook = models.ForeignKey(PlaybookVersion, on_delete=models.PROTECT, related_name="cases")
    state = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    fields = models.JSONField(default=dict)
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agent", "status"]),
            models.Index(fields=["customer", "opened_at"]),
        ]

    def __str__(self) -> str:
        return self.number


class FlagStatus(models.TextChoices):
    OPEN = "OPEN", _("Open")
    RESOLVED = "RESOLVED", _("Resolved")
    OVERRIDDEN = "OVERRIDDEN", _("Overridden")


class Flag(models.Model):
    """A missing or suspicious profile field that blocks the case until handled."""

    id = models.CharField(primary_key=True, max_length=32, default=ids.flag_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="flags")
    code = models.CharField(max_length=64)
    field = models.CharField(max_length=64)
    message = models.TextField()
    status = models.CharField(max_length=12, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    reason = models.TextField(blank=True)  # why it was overridden
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "code"], name="flag_case_code")]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"


class EventType(models.TextChoices):
    """Every kind of timeline event; docs/api.md lists the payload of each."""

    CUSTOMER_CREATED = "CUSTOMER_CREATED"
    CUSTOMER_UPDATED = "CUSTOMER_UPDATED"
    CASE_OPENED = "CASE_OPENED"
    CASE_CLOSED = "CASE_CLOSED"
    STATE_CHANGED = "STATE_CHANGED"
    FIELD_SET = "FIELD_SET"
    NOTE = "NOTE"
    FLAG_RAISED = "FLAG_RAISED"
    FLAG_RESOLVED = "FLAG_RESOLVED"
    FLAG_OVERRIDDEN = "FLAG_OVERRIDDEN"
    AGENT_ASSIGNED = "AGENT_ASSIGNED"
    ASSIGNMENT_FAILED = "ASSIGNMENT_FAILED"
    MESSAGE_QUEUED = "MESSAGE_QUEUED"
    MESSAGE_NOT_SENT = "MESSAGE_NOT_SENT"
    MESSAGE_SENT = "MESSAGE_SENT"
    MESSAGE_FAILED = "MESSAGE_FAILED"
    MESSAGE_RECEIVED = "MESSAGE_RECEIVED"
    MESSAGE_LOGGED = "MESSAGE_LOGGED"
    TASK_CREATED = "TASK_CREATED"
    TASK_COMPLETED = "TASK_COMPLETED"
    TIMER_SET = "TIMER_SET"
    TIMER_CANCELLED = "TIMER_CANCELLED"
    TIMER_FIRED = "TIMER_FIRED"
    CADENCE_STARTED = "CADENCE_STARTED"
    CADENCE_WAITING = "CADENCE_WAITING"
    CADENCE_STOPPED = "CADENCE_STOPPED"
    CADENCE_FINISHED = "CADENCE_FINISHED"
    ORDER_REVIEWED = "ORDER_REVIEWED"
    DOCUMENT_RECEIVED = "DOCUMENT_RECEIVED"
    ORDER_RECEIVED = "ORDER_RECEIVED"
    ORDER_ROUTED = "ORDER_ROUTED"
    TEAM_CHANGED = "TEAM_CHANGED"
    HANDED_BACK = "HANDED_BACK"
    MILESTONE = "MILESTONE"
    APPOINTMENT_BOOKED = "APPOINTMENT_BOOKED"
    APPOINTMENT_NOT_BOOKED = "APPOINTMENT_NOT_BOOKED"
    APPOINTMENT_CANCELLED = "APPOINTMENT_CANCELLED"
    CUSTOMER_REPLIED = "CUSTOMER_REPLIED"
    PARTNER_STATUS = "PARTNER_STATUS"  # a status queued for the partner platform
    CHAT_POSTED = "CHAT_POSTED"  # a text posted to an internal chat channel
    SLA_STARTED = "SLA_STARTED"  # a service level's clock (playbook `slas`)
    SLA_WARNING = "SLA_WARNING"
    SLA_BREACHED = "SLA_BREACHED"
    SLA_MET = "SLA_MET"
    WORK_ORDER = "WORK_ORDER"  # the visit's work order: created, moved, travelling, done, ...
    REQUEST_RECEIVED = "REQUEST_RECEIVED"  # a customer's request (intake) and its channel
    CHECKLIST_ITEM = "CHECKLIST_ITEM"  # a task's checklist item ticked or unticked
    QUOTE_SENT = "QUOTE_SENT"
    PAYMENT_RECEIVED = "PAYMENT_RECEIVED"
    PAYMENT_REFUNDED = "PAYMENT_REFUNDED"
    FEEDBACK_RECEIVED = "FEEDBACK_RECEIVED"
    TESTIMONIAL_KEPT = "TESTIMONIAL_KEPT"
    TESTIMONIAL_SKIPPED = "TESTIMONIAL_SKIPPED"
    PRIORITY_CLIENT = "PRIORITY_CLIENT"  # put on the priority client list
    CONTACT_OPENED = "CONTACT_OPENED"  # a contact desk took a call or message about a ticket
    CONTACT_CLOSED = "CONTACT_CLOSED"  # ... and closed it with a disposition tag
    MESSAGE_RETRIED = "MESSAGE_RETRIED"  # an operator sent a dead letter's message again
    CUSTOMER_ERASED = "CUSTOMER_ERASED"  # personal data erased on request (opsdesk.privacy)


class CaseMilestone(models.Model):
    """The first time a case reached a playbook milestone (`milestone:`); reports count them."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "name"], name="milestone_case_name")]
        indexes = [models.Index(fields=["name", "at"])]

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M}"


class TimelineEvent(models.Model):
    """Append-only: rows are inserted (by `apply.timeline_row`), never changed or deleted."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="timeline")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="timeline"
    )
    type = models.CharField(max_length=40, choices=EventType.choices)
    actor = models.CharField(max_length=100)  # "user:<username>", "system", "worker"
    payload = models.JSONField(default=dict)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["customer", "-id"])]

    def __str__(self) -> str:
        return f"{self.type} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("the timeline is append-only: an event cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("the timeline is append-only: an event cannot be deleted")
