"""Domain functions for staff: agents, teams, calendars."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.common.actors import Actor
from opsdesk.common.errors import NotAllowed, ValidationFailed
from opsdesk.staff.models import Agent, Role, Team, UserPreference
from opsdesk.staff.selectors import ui_languages


def agent_create(
    *,
    username: str,
    name: str,
    password: str | None,
    role: str = Role.AGENT,
    team: Team | None = None,
    languages: Sequence[str] = ("en",),
    service_types: Sequence[str] = (),
    capacity: int = 20,
    email: str = "",
) -> Agent:
    """A user who can sign in (password) or only use API tokens (password None)."""
    errors: dict[str, list[str]] = {}
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        errors["username"] = ["already taken"]
    if role not in Role.values:
        errors["role"] = [f"one of {', '.join(Role.values)}"]
    if capacity < 1:
        errors["capacity"] = ["at least 1"]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            email=email,
            password=password,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        if password is None:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return Agent.objects.create(
            user=user,
            name=name,
            role=role,
            team=team,
            languages=list(languages),
            service_types=list(service_types),
            capacity=capacity,
        )


def user_language_set(user_id: int, language: str, actor: Actor) -> UserPreference:
    """Save the user's UI language ("" = follow the browser). Only the user changes it."""
    if actor.user is None or actor.user.pk != user_id:
        raise NotAllowed(_("Only the user changes their own language."))
    language = language.strip()
    if language and language not in ui_languages():
        raise ValidationFailed(
            {
                "language": [
                    _("Choose one of the languages offered (%(code)s is not one).")
                    % {"code": language}
                ]
            }
        )
    with transaction.atomic():
        pref, _created = UserPreference.objects.select_for_update().get_or_create(user_id=user_id)
        if pref.language != language:
            pref.language = language
            pref.save(update_fields=["language"])
    return pref
