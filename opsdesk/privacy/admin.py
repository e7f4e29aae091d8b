from django.contrib import admin

from opsdesk.common.admin import ReadOnlyAdmin
from opsdesk.privacy.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only, like every domain object; the log cannot be edited or pruned here."""

    list_display = ("at", "username", "action", "customer_id", "case_id", "surface", "format")
    list_filter = ("action", "surface")
    search_fields = ("customer_id", "case_id", "username", "request_id")
    actions = None  # not even the bulk "delete selected"
