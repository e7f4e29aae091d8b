"""Smoke test: Debian's Chromium loads the login page from a live server."""

from playwright.sync_api import expect


def test_login_page_renders(live_server, page):
    response = page.goto(live_server.url + "/login/")
    assert response is not None
    assert response.status == 200
    expect(page.locator("input[type=password]").first).to_be_visible()
