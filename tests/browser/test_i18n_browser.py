"""The language setting in Chromium: an agent switches the UI to Turkish from the user
menu and works a customer's workspace in Turkish."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import ConsoleMessage, Page, expect

from opsdesk.common.actors import Actor
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.staff.models import UserPreference


def test_an_agent_switches_to_turkish_and_sees_the_workspace_in_turkish(
    live_server: Any, page: Page, staff: Any, onboarding: Any
) -> None:
    customer = customer_create(
        CustomerInput(
            given_name="Amira",
            family_name="Hassan",
            phone="+905321234567",
            whatsapp=True,
            email="amira.hassan@example.com",
            nationality="EG",
            language="tr",
            fields={"service_type": "immigration"},
        ),
        Actor.of_user(staff.manager.user),
    )
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            problems.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill("ayse")
    page.get_by_label("Password").fill("pw-ayse-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("link", name="Language").click()
    expect(page.get_by_role("heading", name="Language", level=1)).to_be_visible()
    page.get_by_label("Türkçe").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Dil", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Dil kaydedildi.")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.get_by_label("Türkçe")).to_be_checked()
    assert UserPreference.objects.get(user=staff.ayse.user).language == "tr"

    nav = page.get_by_role("navigation", name="Ana menü")
    nav.get_by_role("link", name="Müşteriler", exact=True).click()
    expect(page.get_by_role("heading", name="Müşteriler", level=1)).to_be_visible()
    page.get_by_role("link", name="Amira Hassan").click()

    expect(page).to_have_url(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.get_by_role("heading", name="Amira Hassan", level=1)).to_be_visible()
    for heading in ("Profil", "Uyarılar", "Vaka", "Görevler", "İletişim", "Zaman çizelgesi"):
        expect(page.get_by_role("heading", name=heading, level=2)).to_be_visible()
    expect(page.get_by_role("navigation", name="Çalışma alanı bölümleri")).to_be_visible()
    page.get_by_text("Profili düzenle").click()
    expect(page.get_by_role("button", name="Profili kaydet")).to_be_visible()
    expect(page.get_by_role("button", name="Çıkış yap")).to_be_visible()
    assert problems == []
