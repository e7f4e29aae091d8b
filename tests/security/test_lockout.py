"""Sign-in lockout (opsdesk.access.signin): five failures for one username within 15
minutes lock it for 15 minutes, the right password included; failures from one
address count too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from opsdesk.access.models import SignInFailure
from opsdesk.access.signin import LOCKED_MESSAGE
from opsdesk.common import clock
from tests.security.limits import row_counts

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
A, B = "203.0.113.7", "198.51.100.9"
PASSWORD = "correct horse battery staple"
INVALID = "Please enter a correct username and password."


@pytest.fixture
def ayse(db: Any) -> Any:
    return get_user_model().objects.create_user("ayse", password=PASSWORD)


@pytest.fixture
def at_t0() -> Iterator[None]:
    clock.set_now(T0)
    yield
    clock.set_now(None)


def at(minutes: float) -> None:
    clock.set_now(T0 + dt.timedelta(minutes=minutes))


def sign_in(username: str, password: str, ip: str = A) -> tuple[int, str]:
    """(status, what the page says), and whether a session was opened shows in status:
    302 home when signed in, 200 with the form's error otherwise."""
    r = Client(REMOTE_ADDR=ip).post("/login/", {"username": username, "password": password})
    if r.status_code == 302:
        return 302, r["Location"]
    body = r.content.decode()
    for message in (LOCKED_MESSAGE, INVALID):
        if message in body:
            return r.status_code, message
    return r.status_code, body


def fail(username: str, times: int, ip: str = A) -> None:
    for _ in range(times):
        assert sign_in(username, "wrong", ip) == (200, INVALID)


def test_the_defaults(settings: Any) -> None:
    from opsdesk import settings as production

    assert production.OPSDESK_SIGNIN_MAX_FAILURES == 5
    assert production.OPSDESK_SIGNIN_LOCKOUT_MINUTES == 15
    assert production.OPSDESK_SIGNIN_MAX_FAILURES_PER_IP == 20


def test_five_failures_lock_the_username_for_15_minutes(ayse: Any, at_t0: None) -> None:
    for minute in range(5):
        at(minute)
        fail("ayse", 1)
    # Locked from the fifth failure (minute 4): the right password is refused too,
    # nothing is signed in and the refusal is not a failure (the sign-in rate limit
    # counts the request; nothing else changes).
    for minute in (4, 10, 18.99):
        at(minute)
        before = row_counts("access.RateCounter")
        assert sign_in("ayse", PASSWORD) == (200, LOCKED_MESSAGE)
        assert sign_in("AYSE", PASSWORD, ip=B) == (200, LOCKED_MESSAGE)
        assert row_counts("access.RateCounter") == before
    at(19)  # 15 minutes after the fifth failure
    assert sign_in("ayse", PASSWORD) == (302, "/")
    assert not SignInFailure.objects.filter(username="ayse").exists()  # back to zero


def test_four_failures_lock_nothing_and_old_ones_do_not_count(ayse: Any, at_t0: None) -> None:
    fail("ayse", 4)
    at(15)  # the first four are now 15 minutes old
    fail("ayse", 4)
    assert sign_in("ayse", PASSWORD) == (302, "/")


def test_a_success_starts_the_count_again(ayse: Any, at_t0: None) -> None:
    fail("ayse", 4)
    assert sign_in("ayse", PASSWORD) == (302, "/")
    fail("ayse", 4)
    assert sign_in("ayse", PASSWORD) == (302, "/")


def test_the_lockout_says_nothing_about_whether_the_username_exists(ayse: Any, at_t0: None) -> None:
    fail("ayse", 5)
    fail("nobody", 5)
    known, unknown = sign_in("ayse", PASSWORD), sign_in("nobody", PASSWORD)
    assert known == unknown == (200, LOCKED_MESSAGE)
    assert sign_in("ayse", "wrong") == sign_in("nobody", "wrong") == (200, LOCKED_MESSAGE)
    # Other usernames are not locked.
    get_user_model().objects.create_user("zeynep", password=PASSWORD)
    assert sign_in("zeynep", PASSWORD) == (302, "/")


def test_failures_from_one_address_lock_that_address(ayse: Any, settings: Any, at_t0: None) -> None:
    settings.OPSDESK_SIGNIN_MAX_FAILURES_PER_IP = 6
    for name in ("u1", "u2", "u3"):
        fail(name, 2)  # no username reaches five
    assert sign_in("ayse", PASSWORD) == (200, LOCKED_MESSAGE)
    assert sign_in("ayse", PASSWORD, ip=B) == (302, "/")
    at(15)
    assert sign_in("ayse", PASSWORD) == (302, "/")


def test_the_api_token_is_not_a_password_sign_in(ayse: Any, at_t0: None) -> None:
    r = Client(REMOTE_ADDR=A).get(
        "/api/v1/customers/cus_nope", HTTP_AUTHORIZATION="Bearer wrong-token"
    )
    assert r.status_code == 401
    assert not SignInFailure.objects.exists()


def test_a_superuser_sees_the_failures_in_the_admin_and_may_unlock(ayse: Any, at_t0: None) -> None:
    fail("ayse", 5)
    boss = get_user_model().objects.create_superuser("boss", password="pw-boss-123")
    admin = Client()
    admin.force_login(boss)
    page = admin.get("/admin/access/signinfailure/")
    assert page.status_code == 200
    assert page.content.decode().count(f'<td class="field-ip">{A}</td>') == 5
    ids = list(SignInFailure.objects.values_list("pk", flat=True))
    r = admin.post(
        "/admin/access/signinfailure/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert r.status_code == 302
    assert sign_in("ayse", PASSWORD) == (302, "/")
