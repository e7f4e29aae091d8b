"""Rate limits on the public endpoints (opsdesk.access.ratelimit): the request after
the limit gets a 429 with Retry-After, writes nothing, and touches no one else."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from opsdesk.access.models import RateCounter
from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_install
from opsdesk.common import clock
from tests.intake.conftest import PLAYBOOK
from tests.security.limits import row_counts, tight

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 9, 0, 0, tzinfo=dt.UTC)  # the start of a 60 s window
A, B = "203.0.113.7", "198.51.100.9"
FORGED = "/c/not-a-link/"
FORM = {
    "customer.given_name": "Elif",
    "customer.family_name": "Demir",
    "customer.phone": "+90 532 765 43 21",
    "customer.email": "elif@example.com",
    "customer.language": "en",
    "fields.service_type": "visa_help",
    "fields.departure": "2026-12-01",
    "fields.return_date": "2026-12-10",
    "fields.travellers": "1",
    "fields.notes": "",
}


@pytest.fixture
def at_t0() -> Iterator[None]:
    clock.set_now(T0)
    yield
    clock.set_now(None)


def client(ip: str = A, **headers: str) -> Client:
    return Client(REMOTE_ADDR=ip, **headers)


def assert_429(response: Any, retry_after: int, *, api: bool = False) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(retry_after)
    if api:
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content) == {
            "detail": f"Too many requests. Try again in {retry_after} seconds."
        }
    else:
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert b"<h1>Too many requests</h1>" in response.content


def test_the_default_limits(settings: Any) -> None:
    assert settings.OPSDESK_RATE_LIMIT_WINDOW == 60
    from opsdesk import settings as production

    assert production.OPSDESK_RATE_LIMITS == {
        "customer_link": 60,
        "payment_page": 30,
        "form": 10,
        "signin": 10,
        "webhook": 600,
    }
    assert production.OPSDESK_TRUSTED_PROXIES == []


def test_the_request_after_the_limit_on_a_customer_link_is_refused(
    settings: Any, at_t0: None
) -> None:
    tight(settings, customer_link=3)
    c = client()
    assert [c.get(FORGED).status_code for _ in range(3)] == [404, 404, 404]
    before = row_counts()
    assert_429(c.get(FORGED), 60)
    assert_429(c.post(FORGED + "cancel/", {}), 60)
    assert row_counts() == before
    assert RateCounter.objects.get().count == 3
    # Another address is not affected.
    assert client(B).get(FORGED).status_code == 404


def test_the_window_resets_on_the_clock(settings: Any, at_t0: None) -> None:
    tight(settings, customer_link=2)
    c = client()
    assert [c.get(FORGED).status_code for _ in range(2)] == [404, 404]
    clock.set_now(T0 + dt.timedelta(seconds=45))
    assert_429(c.get(FORGED), 15)
    clock.set_now(T0 + dt.timedelta(seconds=59, microseconds=500_000))
    assert_429(c.get(FORGED), 1)
    clock.set_now(T0 + dt.timedelta(seconds=60))
    assert [c.get(FORGED).status_code for _ in range(2)] == [404, 404]
    assert_429(c.get(FORGED), 60)
    # Two windows on, a new window forgets the ones that have ended.
    clock.set_now(T0 + dt.timedelta(seconds=180))
    assert c.get(FORGED).status_code == 404
    assert list(RateCounter.objects.values_list("window_start", "count")) == [
        (int((T0 + dt.timedelta(seconds=180)).timestamp()), 1)
    ]


def test_a_refused_public_form_writes_nothing(settings: Any, staff: Any, at_t0: None) -> None:
    playbook_install(PLAYBOOK)
    tight(settings, form=2)
    c = client()
    for _ in range(2):
        r = c.post("/request/trips/", FORM)
        assert (r.status_code, r["Location"]) == (302, "/request/trips/done/")
    cases = Case.objects.count()
    assert cases >= 1
    before = row_counts()
    assert_429(c.post("/request/trips/", FORM), 60)
    assert row_counts() == before
    # Only submissions count: the form still opens, and another address may submit.
    assert c.get("/request/trips/").status_code == 200
    r = client(B).post("/request/trips/", FORM)
    assert (r.status_code, r["Location"]) == (302, "/request/trips/done/")


def test_webhooks_are_limited_per_provider_and_answer_json(settings: Any, at_t0: None) -> None:
    tight(settings, webhook=2)
    c = client()
    codes = [c.post("/api/v1/webhooks/email", {}).status_code for _ in range(2)]
    assert 429 not in codes
    before = row_counts()
    assert_429(c.post("/api/v1/webhooks/email", {}), 60, api=True)
    assert_429(c.post("/api/v1/webhooks/email/", {}), 60, api=True)
    assert row_counts() == before
    # Another provider, and the same provider from another address, are not affected.
    other = c.post("/api/v1/payments/webhooks/test", b"{}", content_type="application/json")
    assert other.status_code == 400
    assert client(B).post("/api/v1/webhooks/email", {}).status_code != 429
    assert set(RateCounter.objects.values_list("client", flat=True)) == {
        f"email|{A}",
        f"test|{A}",
        f"email|{B}",
    }


def test_the_test_payment_page_is_limited(settings: Any, at_t0: None) -> None:
    tight(settings, payment_page=1)
    c = client()
    assert c.get("/pay/test/nope/").status_code == 404
    before = row_counts()
    assert_429(c.post("/pay/test/nope/", {"outcome": "pay"}), 60)
    assert row_counts() == before


def test_sign_in_posts_are_limited_per_address(settings: Any, at_t0: None) -> None:
    tight(settings, signin=3)
    c = client()
    for _ in range(3):
        assert c.post("/login/", {"username": "x", "password": "y"}).status_code == 200
    before = row_counts()
    assert_429(c.post("/login/", {"username": "x", "password": "y"}), 60)
    assert row_counts() == before
    assert c.get("/login/").status_code == 200  # the page itself still opens
    assert client(B).post("/login/", {"username": "x", "password": "y"}).status_code == 200


def test_other_pages_are_not_counted(settings: Any, at_t0: None) -> None:
    tight(settings, customer_link=1, payment_page=1, form=1, signin=1, webhook=1)
    c = client()
    for _ in range(3):
        assert c.get("/login/").status_code == 200
        assert c.get("/healthz").status_code == 200
        assert c.get("/api/v1/customers/cus_nope").status_code == 401
    assert not RateCounter.objects.exists()


def test_a_scope_set_to_zero_is_not_limited(settings: Any, at_t0: None) -> None:
    tight(settings, customer_link=0)
    c = client()
    assert [c.get(FORGED).status_code for _ in range(5)] == [404] * 5
    assert not RateCounter.objects.exists()


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(settings: Any, at_t0: None) -> None:
    tight(settings, customer_link=1)
    settings.OPSDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = "10.1.2.3"
    assert client(proxy, HTTP_X_FORWARDED_FOR=f"{A}, 10.0.0.5").get(FORGED).status_code == 404
    assert_429(client(proxy, HTTP_X_FORWARDED_FOR=f"{A}, 10.0.0.5").get(FORGED), 60)
    # Behind the same proxy, another client has its own count.
    assert client(proxy, HTTP_X_FORWARDED_FOR=B).get(FORGED).status_code == 404
    # Not from a trusted proxy: the header is ignored, whatever it says.
    assert client("192.0.2.1", HTTP_X_FORWARDED_FOR="1.1.1.1").get(FORGED).status_code == 404
    assert_429(client("192.0.2.1", HTTP_X_FORWARDED_FOR="2.2.2.2").get(FORGED), 60)
    assert set(RateCounter.objects.values_list("client", flat=True)) == {A, B, "192.0.2.1"}
