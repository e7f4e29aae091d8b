from django.contrib import admin

from opsdesk.access.models import ApiToken, SignInFailure
from opsdesk.common.admin import ReadOnlyAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "created_at", "last_used_at", "revoked")
    readonly_fields = ("key_hash", "created_at", "last_used_at")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # `opsdesk token create` makes tokens and shows the secret once


@admin.register(SignInFailure)
class SignInFailureAdmin(ReadOnlyAdmin):
    """Failed sign-ins (the lockout's memory). Deleting a username's rows unlocks it."""

    list_display = ("username", "ip", "at")
    search_fields = ("username", "ip")
    list_filter = ("at",)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return bool(request.user.is_superuser)
