"""Status pushes to partner platforms: recorded with the decision, delivered by the worker
through the partner's adapter, retried through outages, visible when they fail."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from opsdesk.cases.models import Case
from opsdesk.common import clock
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.comms.adapters.base import RetryableError
from opsdesk.partners import adapters
from opsdesk.partners.models import PartnerPlatform, StatusPush
from opsdesk.partners.selectors import case_pushes
from opsdesk.partners.services import partner_create, status_push_record, status_push_retry
from opsdesk.runtime.models import OutboxItem
from opsdesk.runtime.worker import Worker
from tests.fakes.partner_webhook import FakePartnerWebhook
from tests.partners.conftest import ADMIN

NOW = dt.datetime(2026, 10, 28, 7, 0, tzinfo=dt.UTC)


def record(case: Case, partner: PartnerPlatform, **kwargs: Any) -> StatusPush:
    values = {"reference": "APP-7781", "status": "VISA_APPROVED", "subject": "trv-2"}
    return status_push_record(case, partner, now=clock.now(), **(values | kwargs))


def state(push: StatusPush) -> tuple[Any, ...]:
    push.refresh_from_db()
    return (push.state, push.attempts, push.http_status, push.last_error, push.delivered_at)


def document(push: StatusPush) -> dict[str, Any]:
    return {
        "event": "status.changed",
        "push_id": push.pk,
        "reference": "APP-7781",
        "subject": "trv-2",
        "status": "VISA_APPROVED",
        "data": {"visa_number": "TR-99"},
        "case_number": "VISA-2026-000042",
        "at": "2026-10-28T07:00:00+00:00",
    }


def test_a_push_is_delivered_signed(
    case: Case, partner: PartnerPlatform, endpoint: FakePartnerWebhook, frozen_clock: Any
) -> None:
    push = record(case, partner, data={"visa_number": "TR-99"})
    assert state(push) == ("PENDING", 0, None, "", None)
    assert push.payload == document(push)
    item = OutboxItem.objects.get()
    assert (item.kind, item.payload, item.status) == (
        "partner.status_push",
        {"push_id": push.pk},
        "PENDING",
    )

    Worker().run_once()

    assert state(push) == ("DELIVERED", 1, 200, "", NOW)
    assert endpoint.requests == [document(push)]
    (received,) = endpoint.received
    assert endpoint.signature_ok(received)
    assert (received.headers["x-opsdesk-event"], received.headers["x-opsdesk-delivery"]) == (
        "status.changed",
        push.pk,
    )
    item.refresh_from_db()
    assert (item.status, item.attempts) == ("DONE", 1)


def test_a_partner_outage_is_retried_until_delivered_once(
    case: Case, partner: PartnerPlatform, endpoint: FakePartnerWebhook, frozen_clock: Any
) -> None:
    push = record(case, partner, data={"visa_number": "TR-99"})
    endpoint.fail_next(503, count=2)

    Worker().run_once()
    assert state(push) == ("PENDING", 1, 503, "travelco webhook answered HTTP 503", None)
    item = OutboxItem.objects.get()
    assert (item.status, item.attempts) == ("PENDING", 1)
    Worker().run_once()  # not due yet: nothing is sent
    assert len(endpoint.received) == 1

    frozen_clock.set_now(item.next_attempt_at)
    Worker().run_once()
    assert state(push) == ("PENDING", 2, 503, "travelco webhook answered HTTP 503", None)
    item.refresh_from_db()
    assert (item.status, item.attempts) == ("PENDING", 2)

    frozen_clock.set_now(item.next_attempt_at)
    Worker().run_once()
    delivered_at = item.next_attempt_at
    # The last error stays visible next to the answer that delivered it.
    assert state(push) == ("DELIVERED", 3, 200, "travelco webhook answered HTTP 503", delivered_at)
    item.refresh_from_db()
    assert (item.status, item.attempts) == ("DONE", 3)
    assert endpoint.requests == [document(push)]
    assert len(endpoint.received) == 3
    assert all(endpoint.signature_ok(r) for r in endpoint.received)
    assert [json.loads(r.body) for r in endpoint.received] == [document(push)] * 3
    assert {r.headers["x-opsdesk-delivery"] for r in endpoint.received} == {push.pk}

    frozen_clock.set_now(delivered_at + dt.timedelta(days=1))
    Worker().run_once()
    assert len(endpoint.received) == 3


def test_a_refusal_fails_the_push_and_nothing_is_resent(
    case: Case, partner: PartnerPlatform, endpoint: FakePartnerWebhook, frozen_clock: Any
) -> None:
    push = record(case, partner)
    endpoint.fail_next(400, message="unknown application")

    Worker().run_once()

    assert state(push) == ("FAILED", 1, 400, "travelco webhook answered HTTP 400", None)
    item = OutboxItem.objects.get()
    assert (item.status, item.attempts, item.last_error) == (
        "DEAD",
        1,
        "travelco webhook answered HTTP 400",
    )
    frozen_clock.set_now(NOW + dt.timedelta(days=2))
    Worker().run_once()
    assert len(endpoint.received) == 1
    assert endpoint.requests == []
    assert state(push) == ("FAILED", 1, 400, "travelco webhook answered HTTP 400", None)


def test_the_push_fails_when_the_outbox_gives_up(
    case: Case,
    partner: PartnerPlatform,
    endpoint: FakePartnerWebhook,
    frozen_clock: Any,
    settings: Any,
) -> None:
    settings.OPSDESK_MAX_SEND_ATTEMPTS = 3
    push = record(case, partner)
    endpoint.fail_next(503, count=10)
    for expected in ("PENDING", "PENDING", "FAILED"):
        item = OutboxItem.objects.get()
        frozen_clock.set_now(item.next_attempt_at)
        Worker().run_once()
        push.refresh_from_db()
        assert push.state == expected
    assert state(push) == ("FAILED", 3, 503, "travelco webhook answered HTTP 503", None)
    item = OutboxItem.objects.get()
    assert (item.status, item.attempts) == ("DEAD", 3)
    assert len(endpoint.received) == 3


def test_a_failed_push_is_retried(
    case: Case, partner: PartnerPlatform, endpoint: FakePartnerWebhook, frozen_clock: Any
) -> None:
    push = record(case, partner)
    endpoint.fail_next(400)
    Worker().run_once()
    dead = OutboxItem.objects.get()

    frozen_clock.set_now(NOW + dt.timedelta(hours=1))
    retried = status_push_retry(push.pk, ADMIN)

    assert retried.pk == push.pk
    assert state(push) == ("PENDING", 1, 400, "travelco webhook answered HTTP 400", None)
    new = OutboxItem.objects.exclude(pk=dead.pk).get()
    assert (new.kind, new.payload, new.status, new.next_attempt_at) == (
        "partner.status_push",
        {"push_id": push.pk},
        "PENDING",
        NOW + dt.timedelta(hours=1),
    )
    dead.refresh_from_db()
    assert dead.status == "DEAD"  # the old dead letter stays as it was

    Worker().run_once()
    assert state(push) == (
        "DELIVERED",
        2,
        200,
        "travelco webhook answered HTTP 400",
        NOW + dt.timedelta(hours=1),
    )
    assert [r["push_id"] for r in endpoint.requests] == [push.pk]


def test_only_a_failed_push_can_be_retried(
    case: Case, partner: PartnerPlatform, endpoint: FakePartnerWebhook, frozen_clock: Any
) -> None:
    push = record(case, partner)
    with pytest.raises(Conflict) as raised:
        status_push_retry(push.pk, ADMIN)
    assert str(raised.value) == f"status push {push.pk} is PENDING, not FAILED"
    with pytest.raises(ValidationFailed) as missing:
        status_push_retry("sps_nope", ADMIN)
    assert missing.value.errors == {"push": ["no such status push"]}
    assert state(push) == ("PENDING", 0, None, "", None)
    assert OutboxItem.objects.count() == 1


def test_no_webhook_records_the_push_and_sends_nothing(
    case: Case, partner: PartnerPlatform, frozen_clock: Any
) -> None:
    assert partner.webhook_url == ""
    push = record(case, partner)
    assert state(push) == ("NO_WEBHOOK", 0, None, "", None)
    assert OutboxItem.objects.count() == 0
    with pytest.raises(Conflict):
        status_push_retry(push.pk, ADMIN)


def test_bad_input_records_nothing(
    case: Case, partner: PartnerPlatform, endpoint: FakePartnerWebhook, frozen_clock: Any
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        record(case, partner, reference=" ", status="", subject="x" * 101)
    assert raised.value.errors == {
        "reference": ["this field is required"],
        "status": ["this field is required"],
        "subject": ["at most 100 characters"],
    }
    assert (StatusPush.objects.count(), OutboxItem.objects.count()) == (0, 0)


def test_an_inactive_partner_is_still_told(
    case: Case, partner: PartnerPlatform, endpoint: FakePartnerWebhook, frozen_clock: Any
) -> None:
    """`active` closes the partner's API; a case's decision never fails because of it."""
    PartnerPlatform.objects.filter(pk=partner.pk).update(active=False)
    partner.refresh_from_db()
    push = record(case, partner)
    Worker().run_once()
    assert state(push) == ("DELIVERED", 1, 200, "", NOW)


class FakePartnerApi:
    """A partner's own API, as an adapter: records the pushes, fails when told."""

    def __init__(self) -> None:
        self.pushed: list[tuple[str, str, str]] = []
        self.fail: list[Exception] = []

    def push(self, partner: PartnerPlatform, push: StatusPush) -> int:
        if self.fail:
            raise self.fail.pop(0)
        self.pushed.append((partner.key, push.reference, push.status))
        return 0


def test_a_partner_with_its_own_api_gets_its_adapter(
    case: Case, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = FakePartnerApi()
    monkeypatch.setitem(adapters._ADAPTERS, "visaportal-api", api)
    partner, _ = partner_create("visaportal", "VisaPortal", adapter="visaportal-api", actor=ADMIN)
    push = record(case, partner)
    api.fail.append(RetryableError("visaportal: timeout", code="ETIMEDOUT"))

    Worker().run_once()
    assert state(push) == ("PENDING", 1, None, "ETIMEDOUT: visaportal: timeout", None)
    frozen_clock.set_now(OutboxItem.objects.get().next_attempt_at)
    Worker().run_once()

    assert api.pushed == [("visaportal", "APP-7781", "VISA_APPROVED")]
    assert state(push) == ("DELIVERED", 2, None, "ETIMEDOUT: visaportal: timeout", clock.now())


def test_an_unknown_adapter_fails_the_push(
    case: Case, partner: PartnerPlatform, frozen_clock: Any
) -> None:
    PartnerPlatform.objects.filter(pk=partner.pk).update(adapter="gone")
    partner.refresh_from_db()
    push = record(case, partner)
    Worker().run_once()
    assert state(push) == ("FAILED", 1, None, "no partner adapter 'gone' for travelco", None)
    assert OutboxItem.objects.get().status == "DEAD"


def test_pushes_of_a_case_newest_first(
    case: Case, partner: PartnerPlatform, frozen_clock: Any
) -> None:
    first = record(case, partner, status="RECEIVED")
    frozen_clock.set_now(NOW + dt.timedelta(minutes=5))
    second = record(case, partner, status="IN_REVIEW")
    assert list(case_pushes(case.pk)) == [second, first]
    assert list(case_pushes("case_other")) == []
