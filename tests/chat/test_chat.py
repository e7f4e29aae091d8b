"""Internal chat channels: posts recorded with the decision, delivered by the worker as
Slack-compatible JSON, retried through outages, failed on refusals, skipped (never an
error) when the channel is missing; `opsdesk chat channel` sets channels up."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.cases.apply import apply_decision, needs_more_than_rows
from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_of
from opsdesk.chat.models import ChatChannel, ChatPost
from opsdesk.chat.services import chat_channel_set, chat_post_record
from opsdesk.common import clock
from opsdesk.common.errors import ValidationFailed
from opsdesk.engine.types import ChatPostToSend, Decision
from opsdesk.runtime.models import OutboxItem
from opsdesk.runtime.worker import Worker
from tests.chat.conftest import ADMIN
from tests.fakes.chat_webhook import FakeChatWebhook

TEXT = "New inquiry ONB-2026-000042 from Elif Kaya — «İstanbul» ✓"


def state(post: ChatPost) -> tuple[Any, ...]:
    post.refresh_from_db()
    return (post.state, post.attempts, post.last_error, post.delivered_at)


def test_a_post_is_delivered_as_slack_json(
    case: Case, channel: ChatChannel, endpoint: FakeChatWebhook, frozen_clock: Any
) -> None:
    now = clock.now()
    post = chat_post_record("#inquiries", TEXT, case=case, now=now)
    assert (post.channel, post.channel_name, post.case, post.text, post.created_at) == (
        channel,
        "#inquiries",
        case,
        TEXT,
        now,
    )
    assert state(post) == ("PENDING", 0, "", None)
    item = OutboxItem.objects.get()
    assert (item.kind, item.payload, item.status) == (
        "chat.post",
        {"chat_post_id": post.pk},
        "PENDING",
    )

    Worker().run_once()

    assert state(post) == ("DELIVERED", 1, "", now)
    assert endpoint.requests == [{"text": TEXT}]
    (received,) = endpoint.received
    assert (received.method, received.path) == ("POST", FakeChatWebhook.PATH)
    assert received.headers["content-type"] == "application/json"
    assert received.body == json.dumps({"text": TEXT}, separators=(",", ":")).encode()
    item.refresh_from_db()
    assert (item.status, item.attempts) == ("DONE", 1)


def test_an_outage_is_retried_and_the_post_delivered_once(
    case: Case, channel: ChatChannel, endpoint: FakeChatWebhook, frozen_clock: Any
) -> None:
    post = chat_post_record("#inquiries", TEXT, case=case, now=clock.now())
    endpoint.fail_next(503)

    Worker().run_once()
    assert state(post) == ("PENDING", 1, "#inquiries webhook answered HTTP 503", None)
    item = OutboxItem.objects.get()
    assert (item.status, item.attempts) == ("PENDING", 1)
    Worker().run_once()  # not due yet: nothing is sent
    assert len(endpoint.received) == 1

    frozen_clock.set_now(item.next_attempt_at)
    Worker().run_once()
    delivered_at = item.next_attempt_at
    assert state(post) == ("DELIVERED", 2, "#inquiries webhook answered HTTP 503", delivered_at)
    item.refresh_from_db()
    assert (item.status, item.attempts) == ("DONE", 2)
    assert endpoint.requests == [{"text": TEXT}]
    assert [json.loads(r.body) for r in endpoint.received] == [{"text": TEXT}] * 2

    frozen_clock.set_now(delivered_at + dt.timedelta(days=1))
    Worker().run_once()
    assert len(endpoint.received) == 2


def test_a_refusal_fails_the_post_and_nothing_is_resent(
    case: Case, channel: ChatChannel, endpoint: FakeChatWebhook, frozen_clock: Any
) -> None:
    # A revoked or mistyped webhook URL: the chat system answers 404.
    chat_channel_set("#inquiries", f"{endpoint.origin}/services/revoked", ADMIN)
    post = chat_post_record("#inquiries", TEXT, case=case, now=clock.now())

    Worker().run_once()

    assert state(post) == ("FAILED", 1, "#inquiries webhook answered HTTP 404", None)
    item = OutboxItem.objects.get()
    assert (item.status, item.attempts, item.last_error) == (
        "DEAD",
        1,
        "#inquiries webhook answered HTTP 404",
    )
    frozen_clock.set_now(clock.now() + dt.timedelta(days=2))
    Worker().run_once()
    assert len(endpoint.received) == 1
    assert endpoint.requests == []
    assert state(post) == ("FAILED", 1, "#inquiries webhook answered HTTP 404", None)


def test_no_answer_is_retried(case: Case, channel: ChatChannel, frozen_clock: Any) -> None:
    chat_channel_set("#inquiries", "http://127.0.0.1:9/hooks/closed-port", ADMIN)
    post = chat_post_record("#inquiries", TEXT, case=case, now=clock.now())

    Worker().run_once()

    post.refresh_from_db()
    assert (post.state, post.attempts) == ("PENDING", 1)
    assert post.last_error.startswith("#inquiries webhook: ")
    assert OutboxItem.objects.get().status == "PENDING"


def test_a_missing_or_inactive_channel_is_recorded_and_nothing_is_sent(
    case: Case, channel: ChatChannel, endpoint: FakeChatWebhook, frozen_clock: Any
) -> None:
    now = clock.now()
    unknown = chat_post_record("#vip-clients", "VIP arrived", case=case, now=now)
    chat_channel_set("#inquiries", endpoint.url, ADMIN, active=False)
    inactive = chat_post_record("#inquiries", TEXT, now=now)

    assert [(p.channel, p.channel_name, p.case, p.state) for p in (unknown, inactive)] == [
        (None, "#vip-clients", case, "NO_CHANNEL"),
        (None, "#inquiries", None, "NO_CHANNEL"),
    ]
    assert OutboxItem.objects.count() == 0
    Worker().run_once()
    assert endpoint.received == []
    assert [state(p) for p in (unknown, inactive)] == [("NO_CHANNEL", 0, "", None)] * 2


def test_a_decisions_posts_are_recorded_with_its_case(
    case: Case, channel: ChatChannel, frozen_clock: Any
) -> None:
    decision = Decision(
        chat_posts=[
            ChatPostToSend("#inquiries", TEXT),
            ChatPostToSend("#quality-review", "Please review"),
        ]
    )
    pb = playbook_of(case.playbook)
    assert needs_more_than_rows(case, pb, decision)
    now = clock.now()

    apply_decision(case, pb, decision, ADMIN, now)

    posts = list(ChatPost.objects.order_by("pk"))
    assert [(p.channel_name, p.case, p.text, p.state, p.created_at) for p in posts] == [
        ("#inquiries", case, TEXT, "PENDING", now),
        ("#quality-review", case, "Please review", "NO_CHANNEL", now),
    ]
    item = OutboxItem.objects.get()
    assert (item.kind, item.payload) == ("chat.post", {"chat_post_id": posts[0].pk})


def test_a_channel_is_created_then_updated(db: Any, frozen_clock: Any) -> None:
    created_at = clock.now()
    channel, created = chat_channel_set("#quality-review", "https://hooks.example/a", ADMIN)
    assert created
    later = created_at + dt.timedelta(hours=1)
    frozen_clock.set_now(later)
    again, created = chat_channel_set(
        "#quality-review", "https://hooks.example/b", ADMIN, active=False
    )
    assert (again.pk, created) == (channel.pk, False)
    row = ChatChannel.objects.get()
    assert (row.name, row.webhook_url, row.adapter, row.active, row.created_at, row.updated_at) == (
        "#quality-review",
        "https://hooks.example/b",
        "slack",
        False,
        created_at,
        later,
    )


@pytest.mark.parametrize(
    ("name", "url", "adapter", "errors"),
    [
        (
            "inquiries",
            "https://hooks.example/a",
            "slack",
            {"name": ["'#' then 1-80 lowercase letters, digits, '-' or '_', e.g. #inquiries"]},
        ),
        (
            "#Inquiries",
            "ftp://hooks.example/a",
            "teams",
            {
                "name": ["'#' then 1-80 lowercase letters, digits, '-' or '_', e.g. #inquiries"],
                "webhook_url": ["an absolute http(s) URL of at most 500 characters"],
                "adapter": ["one of slack"],
            },
        ),
    ],
)
def test_bad_channel_input_is_refused_and_nothing_changes(
    channel: ChatChannel, name: str, url: str, adapter: str, errors: dict[str, list[str]]
) -> None:
    before = list(ChatChannel.objects.values())
    with pytest.raises(ValidationFailed) as refused:
        chat_channel_set(name, url, ADMIN, adapter=adapter)
    assert refused.value.errors == errors
    assert list(ChatChannel.objects.values()) == before


def test_the_cli_sets_a_channel(db: Any, frozen_clock: Any) -> None:
    out = io.StringIO()
    call_command(
        "chat", "channel", "#inquiries", "--webhook-url", "https://hooks.example/a", stdout=out
    )
    assert out.getvalue() == "chat channel #inquiries created (slack, active)\n"
    out = io.StringIO()
    call_command(
        "chat",
        "channel",
        "#inquiries",
        "--webhook-url",
        "https://hooks.example/b",
        "--inactive",
        stdout=out,
    )
    assert out.getvalue() == "chat channel #inquiries updated (slack, inactive)\n"
    assert list(ChatChannel.objects.values_list("name", "webhook_url", "active")) == [
        ("#inquiries", "https://hooks.example/b", False)
    ]


def test_the_cli_refuses_bad_input_and_creates_nothing(db: Any, frozen_clock: Any) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("chat", "channel", "inquiries", "--webhook-url", "hooks.example/a")
    assert str(refused.value) == (
        "chat channel not saved:\n"
        "  name: '#' then 1-80 lowercase letters, digits, '-' or '_', e.g. #inquiries\n"
        "  webhook_url: an absolute http(s) URL of at most 500 characters"
    )
    assert ChatChannel.objects.count() == 0


def test_an_operator_retries_a_dead_post_once_the_url_is_fixed(
    case: Case, channel: ChatChannel, endpoint: FakeChatWebhook, frozen_clock: Any
) -> None:
    from opsdesk.common.actors import Actor
    from opsdesk.runtime.deadletters import dead_letters_retry

    chat_channel_set("#inquiries", f"{endpoint.origin}/services/revoked", ADMIN)
    post = chat_post_record("#inquiries", TEXT, case=case, now=clock.now())
    Worker().run_once()
    assert state(post) == ("FAILED", 1, "#inquiries webhook answered HTTP 404", None)

    chat_channel_set("#inquiries", endpoint.url, ADMIN)  # the admin fixed the webhook
    item = OutboxItem.objects.get()
    dead_letters_retry([item.pk], Actor("user:root"))
    assert state(post) == ("PENDING", 0, "", None)
    Worker().run_once()
    assert state(post) == ("DELIVERED", 1, "", clock.now())
    assert endpoint.requests == [{"text": TEXT}]
    item.refresh_from_db()
    assert item.status == "DONE"
