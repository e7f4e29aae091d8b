"""API authentication: a bearer token (integrations) or the browser session (staff UI)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from opsdesk.access.tokens import token_user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(token)
        if user is not None:
            request.user = user
            request.api_via = "api"  # type: ignore[attr-defined]
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in staff session; APIKeyCookie checks CSRF (csrf=True by default)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.api_via = "user"  # type: ignore[attr-defined]
            return user
        return None


AUTH = [TokenAuth(), SessionAuth()]
