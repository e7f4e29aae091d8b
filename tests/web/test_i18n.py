"""The agent UI in English and Turkish: the user's language setting, else the browser's
Accept-Language, else English; the setting page; the catalog is complete and compiled.

Customer-facing pages (the public request form, the customer link) and the API keep
their own language rules and are not switched by the agent's setting.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from opsdesk.cases.playbooks import playbook_install
from opsdesk.common.actors import Actor
from opsdesk.common.errors import NotAllowed
from opsdesk.customers.models import Customer
from opsdesk.staff.models import UserPreference
from opsdesk.staff.services import user_language_set
from tests.intake.conftest import PLAYBOOK as TRIPS
from tests.web.conftest import login

LOCALE = Path(__file__).resolve().parents[2] / "opsdesk" / "locale"

# The chrome every agent page has (base.html), in each language.
NAV_TR = ["Görevlerim", "Müşteriler", "Yeni müşteri", "Dil", "Çıkış yap", "İçeriğe geç"]
NAV_EN = ["My tasks", "Customers", "New customer", "Language", "Sign out", "Skip to content"]


def set_language(agent: Any, code: str) -> None:
    user_language_set(agent.user.pk, code, Actor.of_user(agent.user))


def body(response: Any) -> str:
    return response.content.decode()


def lang_of(page: str) -> str:
    found = re.search(r'<html lang="([^"]*)">', page)
    assert found is not None
    return found.group(1)


def nav_links(page: str) -> list[str]:
    """The texts of the main navigation's links."""
    nav = page.split('<nav class="sidenav"', 1)[1].split("</nav>", 1)[0]
    return [html.unescape(t).strip() for t in re.findall(r">([^<>]+)</a>", nav)]


# --- the language of a page -------------------------------------------------------------


def test_a_turkish_user_sees_the_queue_the_workspace_and_the_customers_in_turkish(
    staff: Any, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    set_language(staff.ayse, "tr")
    client = login(staff.ayse)

    tasks = client.get("/tasks/")
    assert tasks.status_code == 200
    assert tasks["Content-Language"] == "tr"
    page = body(tasks)
    assert lang_of(page) == "tr"
    assert "<h1>Görevlerim</h1>" in page
    assert '<th scope="col">Görev</th><th scope="col">Öncelik</th>' in page
    for text in NAV_TR:
        assert text in page
    assert "My tasks" not in page and "Sign out" not in page

    workspace = body(client.get(f"/customers/{customer.pk}/"))
    assert lang_of(workspace) == "tr"
    assert '<h2 id="h-profile">Profil</h2>' in workspace
    assert '<h2 id="h-tasks">Görevler</h2>' in workspace
    assert '<h2 id="h-comms">İletişim</h2>' in workspace
    assert '<h2 id="h-timeline">Zaman çizelgesi</h2>' in workspace
    assert "<dt>Vaka</dt>" in workspace and "<dt>Temsilci</dt>" in workspace
    assert customer.full_name in workspace  # data stays as it is
    assert "Müşteri oluşturuldu (kaynak STAFF)" in workspace  # the timeline
    assert "Customer created" not in workspace
    assert "Edit profile" not in workspace and "Profili düzenle" in workspace

    customers = body(client.get("/customers/?q=Hassan"))
    assert "<h1>Müşteriler</h1>" in customers
    assert 'placeholder="Ad, telefon, e-posta veya vaka numarası"' in customers
    assert '<button type="submit" class="btn">Ara</button>' in customers
    nobody = body(client.get("/customers/?q=Nobody"))
    assert "“Nobody” ile eşleşen müşteri yok." in nobody

    queue = body(client.get("/exceptions/"))
    assert '<h1 id="h-exceptions">İstisnalar</h1>' in queue or "<h1>İstisnalar</h1>" in queue
    assert "Yönlendirme bekleyen sipariş yok." in queue


def test_choice_labels_follow_the_users_language(
    staff: Any, make_customer: Callable[..., Customer]
) -> None:
    """Priorities and statuses (the models' choices) are translated like the rest;
    the stored values and the API stay as they are."""
    customer = make_customer()
    set_language(staff.ayse, "tr")
    turkish = body(login(staff.ayse).get("/tasks/"))
    assert '<span class="badge prio prio-medium">Orta</span>' in turkish
    assert ">Medium<" not in turkish
    set_language(staff.ayse, "en")
    english = body(login(staff.ayse).get("/tasks/"))
    assert '<span class="badge prio prio-medium">Medium</span>' in english
    task = customer.tasks.order_by("created_at", "id").first()
    assert task is not None and task.priority == "MEDIUM"
    with translation.override("tr"):
        assert task.get_priority_display() == "Orta"
        assert task.get_status_display() == "Açık"
    assert task.get_status_display() == "Open"  # no language active: English


def test_dates_in_the_agent_ui_use_turkish_day_and_month_names(
    staff: Any, make_customer: Callable[..., Customer], frozen_clock: Any
) -> None:
    customer = make_customer()  # opened Wednesday 28 October 2026, 10:00 in Istanbul
    set_language(staff.ayse, "tr")
    page = body(login(staff.ayse).get(f"/customers/{customer.pk}/"))
    assert "Çar 28 Eki 2026, 10:00" in page
    english = body(login(staff.john).get(f"/customers/{customer.pk}/"))
    assert "Wed 28 Oct 2026, 10:00" in english


def test_a_flash_message_after_an_action_is_in_turkish(
    staff: Any, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer(given_name="Ece", family_name="Demir", phone="+905551112233")
    set_language(staff.manager, "tr")
    client = login(staff.manager)
    added = client.post(f"/clients/priority/{customer.pk}/", {"tier": "corporate"})
    assert added.status_code == 302
    page = body(client.get("/clients/priority/"))
    assert "Ece Demir öncelikli müşteri listesine eklendi." in page
    assert "is on the priority client list" not in page
    assert "<h1>Öncelikli müşteriler</h1>" in page


def test_an_english_user_and_a_user_with_no_setting_see_english(
    staff: Any, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    set_language(staff.john, "en")
    # The setting wins over the browser's language.
    chosen = login(staff.john).get("/tasks/", HTTP_ACCEPT_LANGUAGE="tr-TR,tr;q=0.9")
    assert chosen["Content-Language"] == "en"
    assert lang_of(body(chosen)) == "en"
    assert nav_links(body(chosen))[:3] == NAV_EN[:3]

    assert not UserPreference.objects.filter(user=staff.ayse.user).exists()
    plain = login(staff.ayse)  # no setting, no Accept-Language
    for url in ("/tasks/", f"/customers/{customer.pk}/", "/customers/"):
        response = plain.get(url)
        assert response.status_code == 200
        assert response["Content-Language"] == "en"
        page = body(response)
        assert lang_of(page) == "en"
        for text in NAV_EN:
            assert text in page
        assert "Görevlerim" not in page


def test_the_browsers_language_applies_when_the_user_has_no_setting(staff: Any) -> None:
    client = login(staff.ayse)
    turkish = client.get("/tasks/", HTTP_ACCEPT_LANGUAGE="tr-TR,tr;q=0.9,en;q=0.8")
    assert turkish["Content-Language"] == "tr"
    assert "Accept-Language" in turkish["Vary"]
    assert "<h1>Görevlerim</h1>" in body(turkish)
    # A language the UI does not have: English.
    german = client.get("/tasks/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert german["Content-Language"] == "en"
    assert "<h1>My tasks</h1>" in body(german)
    # The sign-in page follows the browser too (nobody is signed in yet).
    sign_in = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="tr")
    assert lang_of(body(sign_in)) == "tr"
    assert ">Giriş yap</button>" in body(sign_in)


def test_the_next_request_starts_in_english(staff: Any) -> None:
    set_language(staff.ayse, "tr")
    assert "<h1>Görevlerim</h1>" in body(login(staff.ayse).get("/tasks/"))
    assert translation.get_language() == "en"
    assert "<h1>My tasks</h1>" in body(login(staff.john).get("/tasks/"))


# --- the setting page -------------------------------------------------------------------


def test_switching_the_language_through_the_page(staff: Any) -> None:
    client = login(staff.john)
    form = client.get("/settings/language/")
    assert form.status_code == 200
    page = body(form)
    assert "<h1>Language</h1>" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<input type="radio" name="language" value="" checked>' in page
    assert 'value="tr"> Türkçe</label>' in page

    saved = client.post("/settings/language/", {"language": "tr"})
    assert saved.status_code == 302
    assert saved["Location"] == "/settings/language/"
    assert UserPreference.objects.get(user=staff.john.user).language == "tr"
    after = client.get("/settings/language/")
    assert after["Content-Language"] == "tr"
    page = body(after)
    assert "<h1>Dil</h1>" in page
    assert "Dil kaydedildi." in page  # the confirmation, in the new language
    assert '<input type="radio" name="language" value="tr" checked>' in page
    assert "<h1>Görevlerim</h1>" in body(client.get("/tasks/"))

    # Back to the browser's language.
    assert client.post("/settings/language/", {"language": ""}).status_code == 302
    assert UserPreference.objects.get(user=staff.john.user).language == ""
    assert "<h1>My tasks</h1>" in body(client.get("/tasks/"))


def test_an_unknown_language_is_refused_and_nothing_changes(staff: Any) -> None:
    set_language(staff.john, "tr")
    client = login(staff.john)
    for code in ("xx", "de", "tr-TR"):
        refused = client.post("/settings/language/", {"language": code})
        assert refused.status_code == 422
        page = body(refused)
        # The error is shown at the form, in the user's (unchanged) language.
        assert f"Sunulan dillerden birini seçin ({code} bunlardan biri değil)." in page
        assert list(UserPreference.objects.values_list("user_id", "language")) == [
            (staff.john.user.pk, "tr")
        ]
    set_language(staff.ayse, "en")
    refused = login(staff.ayse).post("/settings/language/", {"language": "fr"})
    assert refused.status_code == 422
    assert "Choose one of the languages offered (fr is not one)." in body(refused)
    assert UserPreference.objects.get(user=staff.ayse.user).language == "en"


def test_only_the_user_sets_their_own_language(staff: Any) -> None:
    with pytest.raises(NotAllowed):
        user_language_set(staff.john.user.pk, "tr", Actor.of_user(staff.manager.user))
    assert not UserPreference.objects.exists()


def test_the_setting_page_needs_a_signed_in_user(client: Client, db: Any) -> None:
    response = client.post("/settings/language/", {"language": "tr"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not UserPreference.objects.exists()


def test_a_superuser_without_an_agent_has_a_language_too(db: Any) -> None:
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client = Client()
    client.force_login(root)
    assert client.post("/settings/language/", {"language": "tr"}).status_code == 302
    assert "<h1>Görevlerim</h1>" in body(client.get("/tasks/"))


# --- customer-facing pages keep their own language ---------------------------------------


def test_the_public_request_form_and_the_api_are_not_switched(staff: Any) -> None:
    playbook_install(TRIPS)
    set_language(staff.ayse, "tr")
    client = login(staff.ayse)
    form = client.get("/request/trips/", HTTP_ACCEPT_LANGUAGE="tr")
    assert form.status_code == 200
    assert "Content-Language" not in form
    page = body(form)
    assert lang_of(page) == "en"
    assert "<h1>Plan your trip</h1>" in page
    api = client.get("/api/v1/customers/cus_nosuchcustomer0000", HTTP_ACCEPT_LANGUAGE="tr")
    assert api.status_code == 404
    assert "Content-Language" not in api


# --- every agent page in Turkish ---------------------------------------------------------


class _Chrome(HTMLParser):
    """Texts of the page's chrome: navigation, headings, buttons, table headers."""

    TAGS = {"nav", "h1", "h2", "h3", "button", "th", "summary", "legend"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.TAGS:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.TAGS and tag in self.open:
            self.open.reverse()
            self.open.remove(tag)
            self.open.reverse()

    def handle_data(self, data: str) -> None:
        if self.open and data.strip():
            self.texts.append(data.strip())


def english_msgids() -> set[str]:
    """The catalog's English texts whose Turkish differs (the ones that must not show)."""
    from babel.messages.pofile import read_po

    with (LOCALE / "tr" / "LC_MESSAGES" / "django.po").open("rb") as fh:
        catalog = read_po(fh, locale="tr")
    return {
        m.id
        for m in catalog
        if m.id and isinstance(m.id, str) and "%" not in m.id and m.string != m.id
    }


AGENT_PAGES = [
    "/tasks/",
    "/customers/",
    "/customers/new/",
    "/contacts/new/",
    "/contacts/safety/",
    "/exceptions/",
    "/retention/",
    "/dispatch/",
    "/reports/channels/",
    "/reports/contacts/",
    "/playbooks/",
    "/playbooks/customer-onboarding/",
    "/testimonials/",
    "/clients/priority/",
    "/retainers/",
    "/settings/language/",
    "{workspace}",
    "{workspace}timeline/",
    "{workspace}messages/older/",
]


def test_every_agent_page_renders_its_chrome_in_turkish(
    staff: Any, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    set_language(staff.manager, "tr")
    client = login(staff.manager)
    english = english_msgids()
    for url in AGENT_PAGES:
        url = url.format(workspace=f"/customers/{customer.pk}/")
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Language"] == "tr", url
        page = body(response)
        assert lang_of(page) == "tr", url
        assert nav_links(page)[:3] == NAV_TR[:3], url
        parser = _Chrome()
        parser.feed(page)
        leftover = [t for t in parser.texts if html.unescape(t) in english]
        assert leftover == [], f"{url}: English chrome left: {leftover}"


# --- the catalog ------------------------------------------------------------------------


def test_the_catalog_has_every_msgid_translated_and_the_mo_is_compiled() -> None:
    """Every msgid in the templates and code is in the .po with a Turkish msgstr (none
    empty or fuzzy, none unused), and the committed .mo is the compiled .po: no GNU
    gettext needed (see CONTRIBUTING.md, "Translations")."""
    call_command("translations", "check")


def test_every_translation_keeps_its_placeholders() -> None:
    from babel.messages.pofile import read_po

    with (LOCALE / "tr" / "LC_MESSAGES" / "django.po").open("rb") as fh:
        catalog = read_po(fh, locale="tr")
    named = re.compile(r"%\([a-z_]+\)s|%%")
    count = 0
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for s in strings:
            assert sorted(named.findall(s)) == sorted(named.findall(ids[-1])), m.id
        count += 1
    assert count > 500
