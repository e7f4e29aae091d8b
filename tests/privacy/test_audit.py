"""The audit log: one entry per view or export, with the right actor, customer and
surface; nothing for a refused request; not writable anywhere."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from opsdesk.privacy.models import AuditEntry
from tests.security.world import World


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _entries() -> list[dict[str, Any]]:
    return list(
        AuditEntry.objects.order_by("id").values(
            "user_id", "username", "action", "customer_id", "case_id", "surface", "format", "route"
        )
    )


def _one(world: World, persona: str, **fields: Any) -> dict[str, Any]:
    user = world.users[persona]
    return {
        "user_id": user.pk,
        "username": user.get_username(),
        "case_id": "",
        "format": "",
        **fields,
    }


def test_the_workspace_writes_one_view_entry_naming_the_case(world: World) -> None:
    c = world.customer.pk
    url = f"/customers/{c}/"
    response = _client(world.users["agent"]).get(url + f"?case={world.case.pk}")
    assert response.status_code == 200
    assert _entries() == [
        _one(
            world,
            "agent",
            action="view",
            customer_id=c,
            case_id=world.case.pk,
            surface="ui",
            route=url,
        )
    ]
    entry = AuditEntry.objects.get()
    assert entry.ip == "127.0.0.1"
    assert entry.request_id  # the request id of the log lines (opsdesk.runtime.middleware)


def test_older_timeline_and_messages_pages_are_views_too(world: World) -> None:
    c = world.customer.pk
    client = _client(world.users["manager"])
    assert client.get(f"/customers/{c}/timeline/").status_code == 200
    assert client.get(f"/customers/{c}/messages/older/").status_code == 200
    assert [(e["username"], e["action"], e["route"]) for e in _entries()] == [
        ("mona", "view", f"/customers/{c}/timeline/"),
        ("mona", "view", f"/customers/{c}/messages/older/"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/customers/{c}/",
        "/customers/{c}/timeline/",
        "/customers/{c}/documents/pack.zip",
        "/quotes/{q}/pdf",
        "/invoices/{i}/pdf",
        "/api/v1/customers/{c}",
        "/api/v1/customers/{c}/timeline",
        "/api/v1/quotes/{q}",
        "/api/v1/quotes/{q}/pdf",
        "/api/v1/customers/{c}/documents/pack.zip",
    ],
)
def test_refused_reads_write_no_entry(world: World, url: str) -> None:
    """Another team's agent gets a 404 (the record does not exist for them), and a
    signed-out visitor the sign-in page or a 401: no entry either way."""
    path = url.format(c=world.customer.pk, q=world.ids["quote_id"], i=world.ids["invoice_id"])
    assert _client(world.users["other_agent"]).get(path).status_code == 404
    assert Client().get(path).status_code in (302, 401)
    assert AuditEntry.objects.count() == 0


def test_api_reads_are_api_entries(world: World) -> None:
    c, q = world.customer.pk, world.ids["quote_id"]
    client = _client(world.users["agent"])
    for path in (
        f"/api/v1/customers/{c}",
        f"/api/v1/customers/{c}/timeline",
        f"/api/v1/customers/{c}/messages",
        f"/api/v1/quotes/{q}",
    ):
        assert client.get(path).status_code == 200, path
    assert [(e["action"], e["surface"], e["case_id"], e["route"]) for e in _entries()] == [
        ("view", "api", "", f"/api/v1/customers/{c}"),
        ("view", "api", "", f"/api/v1/customers/{c}/timeline"),
        ("view", "api", "", f"/api/v1/customers/{c}/messages"),
        ("view", "api", world.case.pk, f"/api/v1/quotes/{q}"),
    ]
    assert {e["username"] for e in _entries()} == {"cem"}


def test_a_token_read_names_the_token_user_and_a_refused_one_writes_nothing(
    world: World,
) -> None:
    from opsdesk.access.tokens import token_create

    c = world.customer.pk
    # The sales channel's integration did not create this customer (the order did):
    # not visible to it, so 404 and no entry.
    refused = Client().get(f"/api/v1/customers/{c}", HTTP_AUTHORIZATION=f"Bearer {world.token}")
    assert refused.status_code == 404
    assert AuditEntry.objects.count() == 0
    _, secret = token_create(world.users["admin"], "audit-test")
    response = Client().get(f"/api/v1/customers/{c}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert _entries() == [
        _one(
            world,
            "admin",
            action="view",
            customer_id=c,
            surface="api",
            route=f"/api/v1/customers/{c}",
        )
    ]


def test_files_are_export_entries(world: World) -> None:
    c, case = world.customer.pk, world.case.pk
    agent = _client(world.users["agent"])
    assert agent.get(f"/quotes/{world.ids['quote_id']}/pdf").status_code == 200
    assert agent.get(f"/invoices/{world.ids['invoice_id']}/pdf").status_code == 200
    assert agent.get(f"/customers/{c}/documents/pack.zip").status_code == 200
    assert agent.get(f"/api/v1/quotes/{world.ids['quote_id']}/pdf").status_code == 200
    assert agent.get(f"/api/v1/customers/{c}/documents/pack.zip").status_code == 200
    assert [(e["action"], e["format"], e["surface"], e["case_id"]) for e in _entries()] == [
        ("export", "pdf", "ui", case),
        ("export", "pdf", "ui", case),
        ("export", "zip", "ui", ""),
        ("export", "pdf", "api", case),
        ("export", "zip", "api", ""),
    ]
    assert {e["customer_id"] for e in _entries()} == {c}


def test_the_testimonials_csv_writes_one_entry_per_customer_in_it(world: World) -> None:
    response = _client(world.users["manager"]).get("/testimonials.csv")
    assert response.status_code == 200
    assert world.customer.family_name in response.content.decode()
    assert _entries() == [
        _one(
            world,
            "manager",
            action="export",
            customer_id=world.customer.pk,
            surface="ui",
            format="csv",
            route="/testimonials.csv",
        )
    ]
    assert AuditEntry.objects.get().detail == {"file": "testimonials.csv", "customers": 1}


def test_the_contact_page_is_a_view_of_the_ticket(world: World) -> None:
    response = _client(world.users["agent"]).get(f"/contacts/{world.ids['contact_id']}/")
    assert response.status_code == 200
    assert [(e["action"], e["customer_id"], e["case_id"]) for e in _entries()] == [
        ("view", world.customer.pk, world.case.pk)
    ]


def test_the_audit_page_for_admins_and_the_team_manager_only(world: World) -> None:
    c = world.customer.pk
    _client(world.users["agent"]).get(f"/customers/{c}/")
    before = _entries()
    url = f"/customers/{c}/audit/"
    admin = _client(world.users["admin"]).get(url)
    assert admin.status_code == 200
    page = admin.content.decode()
    assert "cem" in page and f"/customers/{c}/" in page
    assert "Download all data (ZIP)" in page and "Erase personal data" in page
    manager = _client(world.users["manager"]).get(url)
    assert manager.status_code == 200
    assert "cem" in manager.content.decode()
    assert "Download all data (ZIP)" not in manager.content.decode()
    assert _client(world.users["agent"]).get(url).status_code == 403
    assert _client(world.users["other_agent"]).get(url).status_code == 404
    assert _client(world.users["technician"]).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    assert _entries() == before  # reading the log is not itself logged


def test_the_workspace_links_the_audit_page_for_those_who_may_read_it(world: World) -> None:
    c = world.customer.pk
    assert "audit-link" in _client(world.users["manager"]).get(f"/customers/{c}/").content.decode()
    assert (
        "audit-link" not in _client(world.users["agent"]).get(f"/customers/{c}/").content.decode()
    )


def test_the_log_is_append_only(world: World) -> None:
    _client(world.users["agent"]).get(f"/customers/{world.customer.pk}/")
    entry = AuditEntry.objects.get()
    entry.username = "someone-else"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    assert AuditEntry.objects.get().username == "cem"


def test_the_admin_shows_the_log_read_only(world: World) -> None:
    _client(world.users["agent"]).get(f"/customers/{world.customer.pk}/")
    entry = AuditEntry.objects.get()
    before = _entries()
    admin = _client(world.users["admin"])
    base = "/admin/privacy/auditentry/"
    assert admin.get(base).status_code == 200
    assert admin.get(f"{base}{entry.pk}/change/").status_code == 200  # a read-only view
    assert admin.get(f"{base}add/").status_code == 403
    assert admin.post(f"{base}add/", {"username": "x"}).status_code == 403
    assert admin.post(f"{base}{entry.pk}/change/", {"username": "x"}).status_code == 403
    assert admin.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    changelist = admin.post(
        base, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert changelist.status_code in (200, 302)
    assert _entries() == before


def test_the_cli_prints_the_log(world: World) -> None:
    _client(world.users["agent"]).get(f"/customers/{world.customer.pk}/?case={world.case.pk}")
    out = io.StringIO()
    call_command("privacy", "audit", world.customer.pk, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert " cem view ui " in lines[0] and world.case.pk in lines[0]
    assert lines[1] == "1 entry"
