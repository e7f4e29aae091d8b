"""Browser-test fixtures: Playwright's sync API driving Debian's Chromium.

Playwright's own browser download is not available here, so the fixtures launch
the `chromium` Debian package (`make chromium` installs it). Tests in this folder
get the `browser` marker automatically and use pytest-django's `live_server`:

    def test_login(live_server, page):
        page.goto(live_server.url + "/login/")
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

# Playwright's sync API keeps an asyncio event loop running in the test thread,
# which makes Django refuse ORM calls there ("SynchronousOnlyOperation").
# Browser tests set up data with the ORM in that same thread, so allow it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}
# Fail a stuck locator or navigation after 15 s rather than Playwright's 30 s.
DEFAULT_TIMEOUT_MS = 15_000

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest hook sees every collected item, so mark only this folder's.
    for item in items:
        if item.path.resolve().is_relative_to(_HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} not found: browser tests need Debian's chromium "
            "(run `make chromium`, or `apt-get install -y chromium`)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(playwright_browser: Browser) -> Iterator[Page]:
    context = playwright_browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
