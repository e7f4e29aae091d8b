"""The contact desk's pages through the HTTP client."""

from __future__ import annotations

from django.test import Client

from opsdesk.contacts.models import Contact
from tests.contacts.conftest import ContactDesk
from tests.contacts.test_services import counts


def test_find_start_walk_and_close_with_errors_kept(desk: ContactDesk) -> None:
    client = Client(enforce_csrf_checks=False)
    assert client.login(username="cem", password="pw-cem-123")
    page = client.get("/contacts/new/", {"q": "+90 532 123 45 67"})
    assert page.status_code == 200
    assert f'id="ticket-{desk.ticket.number}"' in page.content.decode()

    started = client.post(
        "/contacts/new/", {"ticket_id": desk.ticket.pk, "channel": "CALL", "q": "x"}
    )
    contact = Contact.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/contacts/{contact.pk}/"
    url = f"/contacts/{contact.pk}/"
    client.post(url + "reason/", {"reason": "complaint"})
    html = client.get(url).content.decode()
    assert "What is it about?" in html and "Safety of a woman or child" in html
    client.post(url + "answer/", {"step": "kind", "answer": "reopen"})

    before = counts()
    refused = client.post(url + "close/", {"remarks": ""})
    assert refused.status_code == 422
    assert "required for this outcome" in refused.content.decode()
    assert counts() == before
    done = client.post(url + "close/", {"remarks": "no signal"})
    assert done.status_code == 302
    assert Contact.objects.get().tag == "Inbound >> Request >> Reopen"
    assert (
        'id="closed-tag">Inbound &gt;&gt; Request &gt;&gt; Reopen'
        in client.get(url).content.decode()
    )


def test_posts_need_the_csrf_token_and_other_teams_get_404(desk: ContactDesk) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="cem", password="pw-cem-123")
    assert client.post("/contacts/new/", {"ticket_id": desk.ticket.pk}).status_code == 403
    olga = Client()
    assert olga.login(username="olga", password="pw-olga-123")
    assert olga.post("/contacts/new/", {"ticket_id": desk.ticket.pk}).status_code == 404
    assert Contact.objects.count() == 0
