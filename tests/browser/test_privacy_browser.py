"""Erasure in Chromium: an admin opens the customer's audit log from the workspace,
goes to "Erase personal data", is stopped until the customer's id is typed, then
erases; the audit log records it and the workspace shows the placeholder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from opsdesk.customers.models import Customer
from opsdesk.privacy.models import AuditEntry
from tests.privacy.conftest import close_cases, world_at_now
from tests.privacy.dump import everything
from tests.security.world import World


@pytest.fixture
def world(transactional_db: Any, tmp_path: Path) -> Iterator[World]:
    with world_at_now(tmp_path / "media") as w:  # the world, with nothing left open
        close_cases(w.customer.pk)
        yield w


def test_an_admin_erases_a_customer_after_typing_the_id(
    live_server: Any, page: Page, world: World
) -> None:
    c = world.customer.pk
    base = live_server.url
    page.goto(f"{base}/customers/{c}/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("pw-root-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Mehmet Demir")).to_be_visible()

    page.get_by_test_id("audit-link").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.get_by_test_id("audit-log")).to_contain_text("root")  # the workspace view
    page.get_by_test_id("erase-link").click()
    expect(page.get_by_role("heading", name="Erase personal data")).to_be_visible()

    before = everything()
    page.get_by_label("Reason (e.g. the request's reference)").fill("KVKK request 2026/17")
    page.get_by_label(f"Type the customer's id, {c}, to confirm").fill("yes")
    page.get_by_test_id("erase-submit").click()
    form = page.get_by_role("form", name="Erase personal data")
    expect(form).to_contain_text(f"type the customer's id, {c}")
    expect(page.get_by_label(f"Type the customer's id, {c}, to confirm")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert everything() == before
    assert Customer.objects.get(pk=c).given_name == "Mehmet"

    page.get_by_label(f"Type the customer's id, {c}, to confirm").fill(c)
    page.get_by_test_id("erase-submit").click()
    expect(page.get_by_role("status")).to_contain_text(f"The personal data of customer {c}")
    expect(page.get_by_test_id("erased")).to_be_visible()
    expect(page.get_by_test_id("audit-log")).to_contain_text("Erased (KVKK/GDPR)")
    assert AuditEntry.objects.filter(customer_id=c, action="erase").count() == 1

    page.goto(f"{base}/customers/{c}/")
    expect(page.get_by_role("heading", name=f"Erased customer #{c}")).to_be_visible()
    expect(page.locator("#sec-timeline")).to_contain_text("Personal data erased")
