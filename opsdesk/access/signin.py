"""Password sign-in lockout: the brute-force guard of the sign-in page.

A username with OPSDESK_SIGNIN_MAX_FAILURES (5) failed sign-ins within
OPSDESK_SIGNIN_LOCKOUT_MINUTES (15) is locked: every sign-in with it is refused,
the right password included, and the password is not even checked. Failures
from one client address count too: OPSDESK_SIGNIN_MAX_FAILURES_PER_IP (20)
within the same minutes lock that address out for every username.

The lock is worked out from the failures themselves: it holds for 15 minutes
from the failure that reached the maximum (with the ones before it in the 15
minutes before). Refused attempts during a lock are not failures, so they do
not extend it.
Failures are recorded for any username typed, existing or not, and the message
is the same either way. A successful sign-in clears the username's failures.
The API's bearer tokens are not password sign-ins and are not counted here.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from opsdesk.access.models import SignInFailure
from opsdesk.common import clock

LOCKED_MESSAGE = "Too many failed sign-ins. Sign-in is locked for a while; try again in 15 minutes."


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=int(settings.OPSDESK_SIGNIN_LOCKOUT_MINUTES))


def _norm(username: str) -> str:
    return username.strip().lower()[:150]


def _locks(times: list[dt.datetime], most: int, now: dt.datetime) -> bool:
    """`times` newest first: did a failure in the last window reach `most` failures
    within one window?"""
    window = _window()
    for i in range(len(times) - most + 1):
        if times[i] <= now - window:
            return False  # this failure's lock (if any) is over, and older ones' too
        if times[i] - times[i + most - 1] < window:
            return True
    return False


def signin_locked(username: str, ip: str) -> bool:
    """Whether a sign-in as `username` from `ip` is refused without checking it."""
    now = clock.now()
    # A lock set by a failure up to one window ago counts failures one window before it.
    recent = SignInFailure.objects.filter(at__gt=now - 2 * _window(), at__lte=now)
    max_user = int(settings.OPSDESK_SIGNIN_MAX_FAILURES)
    max_ip = int(settings.OPSDESK_SIGNIN_MAX_FAILURES_PER_IP)
    for most, rows in (
        (max_user, recent.filter(username=_norm(username))),
        (max_ip, recent.filter(ip=ip)),
    ):
        if most > 0 and _locks(list(rows.order_by("-at").values_list("at", flat=True)), most, now):
            return True
    return False


def signin_failure_record(username: str, ip: str) -> None:
    """A wrong password (or an unknown username): one more failure."""
    now = clock.now()
    with transaction.atomic():
        # Failures two windows old lock nothing any more: forget them on the way.
        SignInFailure.objects.filter(at__lte=now - 2 * _window()).delete()
        SignInFailure.objects.create(username=_norm(username), ip=ip[:64], at=now)


def signin_success_record(username: str) -> None:
    """The right password, not locked: the username starts again from zero."""
    SignInFailure.objects.filter(username=_norm(username)).delete()
