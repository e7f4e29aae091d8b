"""The personal-data audit log: who viewed, exported or erased a customer's record.

Rows are appended by `opsdesk.privacy.audit` and never changed (the admin shows
them read-only; nothing else writes them); only the retention job deletes them
(`services.audit_prune`: views and exports older than OPSDESK_AUDIT_RETENTION_DAYS).
An entry names the customer and case by id only, never by name, so it stays
true and harmless after the customer is erased; the staff member is copied
(user id and username) so it survives the user's deletion.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    EXPORT = "export", _("Exported")  # a file holding the customer's data: CSV, PDF, ZIP
    DATA_EXPORT = "data_export", _("Data export (KVKK/GDPR)")
    ERASE = "erase", _("Erased (KVKK/GDPR)")


class AuditSurface(models.TextChoices):
    UI = "ui", _("Agent UI")
    API = "api", _("REST API")
    CLI = "cli", _("Command line")


class AuditEntry(models.Model):
    """Append-only: inserted by `opsdesk.privacy.audit`, never changed; deleted only
    by the retention job (`services.audit_prune`)."""

    at = models.DateTimeField()
    # Who: a plain integer, not a foreign key, so deleting the user keeps the row.
    user_id = models.IntegerField(null=True, blank=True)
    username = models.CharField(max_length=150)  # "cli:<login>" from the command line
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    customer_id = models.CharField(max_length=32)
    case_id = models.CharField(max_length=32, blank=True)
    surface = models.CharField(max_length=8, choices=AuditSurface.choices)
    format = models.CharField(max_length=8, blank=True)  # csv, pdf, zip (exports)
    route = models.CharField(max_length=300, blank=True)  # the request's path, or the command
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    # Counts and names of what was done (e.g. {"rows": 12, "file": "testimonials.csv"});
    # never a personal value of the customer.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["customer_id", "-id"], name="privacy_audit_customer"),
            models.Index(fields=["at"], name="privacy_audit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.customer_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("the audit log is append-only: an entry cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("the audit log is append-only: an entry cannot be deleted")
