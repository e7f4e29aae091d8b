"""Dead letters: the list an operator sees, retrying one, and every refusal
(opsdesk.runtime.deadletters and the page in opsdesk.web.deadletters)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, Refused, ValidationFailed
from opsdesk.comms.adapters.base import PermanentError
from opsdesk.comms.models import Message
from opsdesk.runtime import outbox
from opsdesk.runtime.deadletters import dead_letter_rows, dead_letters, dead_letters_retry
from opsdesk.runtime.models import OutboxItem
from opsdesk.runtime.worker import Worker
from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud
from tests.races import race
from tests.runtime.test_worker import onboard

pytestmark = pytest.mark.django_db
REFUSED_400 = "131026: WhatsApp HTTP 400 error 131026: Message undeliverable"
RETRY = "web:dead_letter_retry"


def dead_welcome(server: FakeWhatsAppCloud, **customer: Any) -> OutboxItem:
    """Onboard a customer whose welcome the provider refuses for good: a dead letter."""
    c = onboard(**customer)
    server.fail_next(status=400, code=131026, message="Message undeliverable")
    Worker().run_once()
    return OutboxItem.objects.get(status="DEAD", message__customer=c)


def dead_unknown(server: FakeWhatsAppCloud, now: dt.datetime) -> OutboxItem:
    """A welcome whose worker died while the provider had it: DEAD, message UNKNOWN."""
    c = onboard(phone="+905329876543", email="ali@example.com", given_name="Ali")
    item = OutboxItem.objects.get(message__customer=c, message__template="welcome")
    assert outbox.claim(now, "w1", 10)
    OutboxItem.objects.filter(pk=item.pk).update(attempt_started_at=now)  # then it died
    OutboxItem.objects.filter(message__customer=c).exclude(pk=item.pk).update(
        status="PENDING", lease_until=None
    )
    outbox.reap_expired(now + dt.timedelta(hours=1))
    item.refresh_from_db()
    assert item.status == "DEAD"
    assert Message.objects.get(pk=item.message_id).status == "UNKNOWN"
    return item


def state(item: OutboxItem) -> tuple[Any, ...]:
    """Everything a retry changes; equal before and after a refusal."""
    i = OutboxItem.objects.get(pk=item.pk)
    m = Message.objects.filter(pk=i.message_id).values_list("status", "error").first()
    return (i.status, i.attempts, i.next_attempt_at, i.last_error, m, TimelineEvent.objects.count())


def admin() -> Any:
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")


def client_of(user: Any) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_the_list_shows_each_dead_letter_with_its_case_error_and_attempts(
    onboarding: Any, staff: Any, frozen_clock: Any, whatsapp_adapter: FakeWhatsAppCloud
) -> None:
    first = dead_welcome(whatsapp_adapter)
    frozen_clock.set_now(frozen_clock.now() + dt.timedelta(minutes=5))
    unknown = dead_unknown(whatsapp_adapter, frozen_clock.now())
    rows = dead_letter_rows(dead_letters(staff.manager.user))
    assert [r.id for r in rows] == [unknown.pk, first.pk]  # the last tried first
    row = rows[1]
    case = Case.objects.get(customer__given_name="Mehmet")
    assert (row.channel, row.case, row.customer.pk, row.delivery_unknown) == (
        "WHATSAPP",
        case,
        case.customer_id,
        False,
    )
    assert (row.item.attempts, row.item.last_error) == (1, REFUSED_400)
    assert rows[0].delivery_unknown is True

    page = client_of(staff.manager.user).get(reverse("web:dead_letters"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(f'id="dead-{unknown.pk}"') < html.index(f'id="dead-{first.pk}"')
    assert REFUSED_400 in html
    assert case.number in html
    assert reverse("web:workspace", kwargs={"customer_id": case.customer_id}) in html
    assert "Delivery unknown" in html
    assert html.count('name="confirm_unknown"') == 1  # only on the unknown one
    assert 'aria-current="page">Dead letters</a>' in html


def test_a_retry_queues_the_message_again_and_says_who_on_the_timeline(
    onboarding: Any, staff: Any, frozen_clock: Any, whatsapp_adapter: FakeWhatsAppCloud
) -> None:
    item = dead_welcome(whatsapp_adapter)
    frozen_clock.set_now(frozen_clock.now() + dt.timedelta(hours=3))
    dead_letters_retry([item.pk], Actor.of_user(staff.manager.user))
    item.refresh_from_db()
    assert (item.status, item.attempts, item.next_attempt_at, item.lease_until) == (
        "PENDING",
        0,
        frozen_clock.now(),
        None,
    )
    assert item.last_error == REFUSED_400  # kept until the next attempt
    message = Message.objects.get(pk=item.message_id)
    assert (message.status, message.error) == ("QUEUED", "")
    row = TimelineEvent.objects.get(type="MESSAGE_RETRIED")
    assert (row.actor, row.at, row.case_id) == ("user:maria", frozen_clock.now(), message.case_id)
    assert row.payload == {
        "message_id": message.pk,
        "channel": "WHATSAPP",
        "template": "welcome",
        "error": REFUSED_400,
        "delivery_unknown": False,
    }
    assert dead_letters(staff.manager.user).count() == 0
    Worker().run_once()
    assert Message.objects.get(pk=message.pk).status == "SENT"


def test_retrying_what_is_no_longer_dead_is_a_conflict_and_changes_nothing(
    onboarding: Any, staff: Any, frozen_clock: Any, whatsapp_adapter: FakeWhatsAppCloud
) -> None:
    item = dead_welcome(whatsapp_adapter)
    other = dead_welcome(whatsapp_adapter, phone="+905329876543", email="ali@example.com")
    dead_letters_retry([item.pk], Actor("user:ayse"))
    before = state(item)
    with pytest.raises(Conflict, match=r"no longer a dead letter \(pending\): someone retried"):
        dead_letters_retry([item.pk], Actor("user:john"))
    assert state(item) == before
    # On the page: a 409 that says so, the list unchanged.
    response = client_of(staff.manager.user).post(reverse(RETRY), {"item": item.pk})
    assert response.status_code == 409
    assert "someone retried it already" in response.content.decode()
    assert state(item) == before
    # Several at once are all or nothing.
    before_other = state(other)
    with pytest.raises(Conflict):
        dead_letters_retry([other.pk, item.pk], Actor("user:john"))
    assert state(other) == before_other


def test_an_unknown_delivery_is_retried_only_once_the_operator_checked(
    onboarding: Any, staff: Any, frozen_clock: Any, whatsapp_adapter: FakeWhatsAppCloud
) -> None:
    item = dead_unknown(whatsapp_adapter, frozen_clock.now())
    assert item.last_error == "a worker stopped while sending; delivery unknown, check before retry"
    before = state(item)
    with pytest.raises(Refused) as refused:
        dead_letters_retry([item.pk], Actor("user:maria"))
    assert "a resend may deliver it twice" in refused.value.reasons[0]
    assert state(item) == before

    manager = client_of(staff.manager.user)
    response = manager.post(reverse(RETRY), {"item": item.pk})
    assert response.status_code == 409
    assert "a resend may deliver it twice" in response.content.decode()
    assert state(item) == before

    response = manager.post(reverse(RETRY), {"item": item.pk, "confirm_unknown": "1"})
    assert response.status_code == 302
    assert Message.objects.get(pk=item.message_id).status == "QUEUED"
    row = TimelineEvent.objects.get(type="MESSAGE_RETRIED")
    assert row.payload["delivery_unknown"] is True
    assert row.payload["error"] == item.last_error
    page = manager.get(reverse("web:dead_letters"))
    assert f"Dead letter #{item.pk} queued again" in page.content.decode()  # the flash


def test_an_effect_is_retried_too_unless_its_app_keeps_the_failure(
    staff: Any, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def flaky(payload: dict[str, Any]) -> None:
        calls.append(payload)
        if len(calls) == 1:
            raise PermanentError("the webhook answered 410")

    monkeypatch.setitem(outbox._EFFECTS, "test.ping", flaky)
    now = frozen_clock.now()
    item = OutboxItem.objects.create(
        kind="test.ping", payload={"n": 1}, next_attempt_at=now, created_at=now
    )
    Worker().run_once()
    item.refresh_from_db()
    assert (item.status, item.last_error) == ("DEAD", "the webhook answered 410")
    # An effect names no case: admins see it, managers do not.
    root = admin()
    assert [d.id for d in dead_letter_rows(dead_letters(root))] == [item.pk]
    assert dead_letters(staff.manager.user).count() == 0
    assert client_of(staff.manager.user).post(reverse(RETRY), {"item": item.pk}).status_code == 404
    response = client_of(root).post(reverse(RETRY), {"item": item.pk})
    assert response.status_code == 302
    Worker().run_once()
    item.refresh_from_db()
    assert (item.status, item.attempts, calls) == ("DONE", 1, [{"n": 1}, {"n": 1}])

    # A kind whose app marks its own row failed (on_dead) and has no on_retry hook.
    monkeypatch.setitem(outbox._EFFECTS, "test.kept", flaky)
    monkeypatch.setitem(outbox._ON_DEAD, "test.kept", lambda payload, error: None)
    kept = OutboxItem.objects.create(
        kind="test.kept", payload={}, status="DEAD", attempts=8, next_attempt_at=now, created_at=now
    )
    before = state(kept)
    with pytest.raises(Refused, match="retry it where its app shows the failure"):
        dead_letters_retry([kept.pk], Actor("user:root"))
    assert state(kept) == before


def test_who_may_see_and_retry_dead_letters(
    onboarding: Any, staff: Any, frozen_clock: Any, whatsapp_adapter: FakeWhatsAppCloud
) -> None:
    ours = dead_welcome(whatsapp_adapter)
    theirs = dead_welcome(whatsapp_adapter, phone="+905329876543", email="ali@example.com")
    Case.objects.filter(customer__messages__outbox=theirs).update(team=staff.outsider.team)
    before = (state(ours), state(theirs))
    url, retry = reverse("web:dead_letters"), reverse(RETRY)

    # Agents (of the team or not) and the integration: not for them.
    for user in (staff.ayse.user, staff.outsider.user, staff.integration.user):
        c = client_of(user)
        assert c.get(url).status_code == 403
        assert c.post(retry, {"item": ours.pk}).status_code == 403
        nav = c.get(reverse("web:my_tasks")).content.decode()
        assert 'href="/operations/dead-letters/"' not in nav
    # Anonymous: to the sign-in page.
    anonymous = Client()
    assert anonymous.get(url).status_code == 302
    assert anonymous.get(url)["Location"].startswith(reverse("web:login"))
    assert anonymous.post(retry, {"item": ours.pk}).status_code == 302
    assert (state(ours), state(theirs)) == before

    # The manager: their team's case, not another team's (404: it does not exist for them).
    manager = client_of(staff.manager.user)
    html = manager.get(url).content.decode()
    assert f'id="dead-{ours.pk}"' in html and f'id="dead-{theirs.pk}"' not in html
    assert manager.post(retry, {"item": theirs.pk}).status_code == 404
    assert (state(ours), state(theirs)) == before
    # The admin sees both.
    html = client_of(admin()).get(url).content.decode()
    assert f'id="dead-{ours.pk}"' in html and f'id="dead-{theirs.pk}"' in html


def test_a_post_without_an_item_is_invalid(staff: Any) -> None:
    manager = client_of(staff.manager.user)
    assert manager.post(reverse(RETRY), {}).status_code == 422
    assert manager.post(reverse(RETRY), {"item": "abc"}).status_code == 422
    assert manager.post(reverse(RETRY), {"item": "999999"}).status_code == 404
    with pytest.raises(ValidationFailed):
        dead_letters_retry([], Actor("user:maria"))


@pytest.mark.django_db(transaction=True)
def test_two_operators_retrying_at_once_retry_once(
    onboarding: Any, staff: Any, frozen_clock: Any, whatsapp_adapter: FakeWhatsAppCloud
) -> None:
    item = dead_welcome(whatsapp_adapter)
    outcomes = race(
        lambda: len(dead_letters_retry([item.pk], Actor("user:maria"))),
        lambda: len(dead_letters_retry([item.pk], Actor("user:root"))),
    )
    assert sorted(map(str, outcomes)) == [
        "1",
        f"Conflict: WHATSAPP message #{item.pk} ({item.message.case.number}) is no longer a "
        "dead letter (pending): someone retried it already",
    ]
    assert TimelineEvent.objects.filter(type="MESSAGE_RETRIED").count() == 1
    assert OutboxItem.objects.get(pk=item.pk).status == "PENDING"
