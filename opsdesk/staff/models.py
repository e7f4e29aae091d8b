"""Teams, agents and their business calendars."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.common import ids


class BusinessCalendar(models.Model):
    """Working hours, weekends and public holidays (from the `holidays` package)."""

    id = models.CharField(primary_key=True, max_length=32, default=ids.calendar_id, editable=False)
    name = models.CharField(max_length=100, unique=True)
    country = models.CharField(max_length=2, default="TR")
    subdivision = models.CharField(max_length=10, blank=True)
    timezone = models.CharField(max_length=64, default="Europe/Istanbul")
    working_days = models.JSONField(default=list)  # Monday=0; empty means Monday-Friday
    day_start = models.TimeField(default="09:00")
    day_end = models.TimeField(default="18:00")
    extra_holidays = models.JSONField(default=list)  # ISO dates: company closures

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ids.team_id, editable=False)
    name = models.CharField(max_length=100, unique=True)
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    AGENT = "agent", _("Agent")
    INTEGRATION = "integration", _("Integration")


class Agent(models.Model):
    """A person (or integration) who works cases; the profile of a Django user."""

    id = models.CharField(primary_key=True, max_length=32, default=ids.agent_id, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=150)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AGENT)
    languages = models.JSONField(default=list)  # ISO 639-1 codes, e.g. ["tr", "en"]
    service_types = models.JSONField(default=list)
    capacity = models.PositiveIntegerField(default=20)
    # E.164; click-to-call rings this phone first, then connects the customer.
    phone = models.CharField(max_length=20, blank=True)
    # Open cases assigned to the agent, kept in step by the case services so
    # assignment reads one row per agent instead of counting cases.
    open_cases = models.IntegerField(default=0)
    active = models.BooleanField(default=True)
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        indexes = [models.Index(fields=["active", "role"])]

    def __str__(self) -> str:
        return self.name


class UserPreference(models.Model):
    """A signed-in user's own settings. Per user, not per Agent: a superuser may
    have no Agent and still use the agent UI."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="preference",
    )
    # One of settings.LANGUAGES; "" = the browser's Accept-Language, else English.
    language = models.CharField(max_length=8, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language or 'browser'}"
