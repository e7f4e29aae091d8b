"""Dead letters in Chromium: a manager finds the message the provider kept refusing,
confirms they checked an unknown delivery, clicks Retry, and the worker sends it once."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import ConsoleMessage, Page, expect

from opsdesk.comms.models import Message
from opsdesk.runtime.models import OutboxItem
from opsdesk.runtime.worker import Worker
from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud
from tests.runtime.test_deadletters import dead_unknown
from tests.runtime.test_worker import onboard


def test_a_manager_retries_a_dead_letter_from_the_page(
    live_server: Any,
    page: Page,
    settings: Any,
    staff: Any,
    onboarding: Any,
    frozen_clock: Any,
    whatsapp_adapter: FakeWhatsAppCloud,
) -> None:
    settings.OPSDESK_MAX_SEND_ATTEMPTS = 2
    onboard()
    worker = Worker()
    whatsapp_adapter.fail_next(status=500)  # the welcome fails, the other two go out
    worker.run_once()
    item = OutboxItem.objects.get(message__template="welcome")
    frozen_clock.set_now(item.next_attempt_at)
    whatsapp_adapter.fail_next(status=500)
    worker.run_once()
    item.refresh_from_db()
    assert item.status == "DEAD"
    unknown = dead_unknown(whatsapp_adapter, frozen_clock.now())
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning"):
            problems.append(msg.text)

    page.on("console", on_console)  # CSP violations land here

    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("pw-maria-123")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Dead letters").click()
    expect(page.get_by_role("heading", name="Dead letters")).to_be_visible()
    row = page.locator(f"#dead-{item.pk}")
    expect(row).to_contain_text("131000: WhatsApp HTTP 500 error 131000: Something went wrong")
    expect(row).to_contain_text("Mehmet Kaya")
    expect(page.locator(f"#dead-{unknown.pk}")).to_contain_text("Delivery unknown")

    with page.expect_navigation():
        row.get_by_role("button", name="Retry").click()
    expect(page.locator(".alert-ok")).to_contain_text(f"Dead letter #{item.pk} queued again")
    expect(page.locator(f"#dead-{item.pk}")).to_have_count(0)

    # The unknown one: the checkbox must be ticked before the browser sends the form.
    other = page.locator(f"#dead-{unknown.pk}")
    other.get_by_label("I checked with the provider").check()
    with page.expect_navigation():
        other.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("No dead letter.")).to_be_visible()

    worker.run_once()
    for retried in (item, unknown):
        assert Message.objects.get(pk=retried.message_id).status == "SENT"
        keys = [r["biz_opaque_callback_data"] for r in whatsapp_adapter.requests]
        assert keys.count(retried.message_id) == 1  # delivered exactly once
    assert problems == []
