"""The sign-in page's form: Django's, with the lockout of opsdesk.access.signin."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from opsdesk.access.clientip import client_ip
from opsdesk.access.signin import (
    LOCKED_MESSAGE,
    signin_failure_record,
    signin_locked,
    signin_success_record,
)


class SignInForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            ip = client_ip(self.request) if self.request is not None else "unknown"
            if signin_locked(username, ip):
                # Same answer for every username, existing or not, right password or not.
                raise ValidationError(LOCKED_MESSAGE, code="locked")
            self.user_cache = authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                signin_failure_record(username, ip)
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
            signin_success_record(username)
        return self.cleaned_data
