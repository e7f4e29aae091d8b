"""/api/v1/contacts through the HTTP client, with a session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from opsdesk.contacts.models import Contact
from opsdesk.field.models import WorkOrder
from tests.contacts.conftest import ContactDesk
from tests.contacts.test_services import counts

API = "/api/v1"


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=f"pw-{username}-123")
    return client


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(API + url, data, content_type="application/json")


def test_an_agent_takes_a_call_through_the_api(desk: ContactDesk) -> None:
    WorkOrder.objects.filter(case=desk.ticket).update(promise_date=dt.date(2026, 10, 27))
    cem = login("cem")
    found = cem.get(API + "/contacts/tickets", {"q": "+905321234567"})
    assert found.status_code == 200
    assert [(t["number"], t["state"], t["customer_name"]) for t in found.json()] == [
        (desk.ticket.number, "scheduled", "Mehmet Demir")
    ]

    created = post(cem, "/contacts", {"ticket_id": desk.ticket.pk, "channel": "CALL"})
    assert created.status_code == 201, created.content
    body = created.json()
    cid = body["id"]
    assert (body["status"], body["run"], body["reasons"]) == (
        "OPEN",
        None,
        {"status_check": "Status of the service", "complaint": "A complaint or a request"},
    )
    assert body["facts"] == {"spd_breached": True, "within_warranty": False}

    run = post(cem, f"/contacts/{cid}/reason", {"reason": "status_check"}).json()["run"]
    assert (run["waiting"], run["answers"]) == (
        "breached",
        {"new_date": "Wants a new date", "complain": "Complains about the delay"},
    )
    assert run["path"][0] == {
        "node": "state",
        "kind": "check",
        "say": "",
        "branch": "spd_breached",
        "answer": "",
    }
    run = post(cem, f"/contacts/{cid}/answer", {"step": "breached", "answer": "complain"}).json()[
        "run"
    ]
    assert run["end"] == {
        "tag": "Inbound >> Complaint >> Out of SPD",
        "resolution": "unresolved",
        "remarks": "required",
        "action": "none",
    }

    before = counts()
    refused = post(cem, f"/contacts/{cid}/close", {"remarks": ""})
    assert refused.status_code == 422
    assert "remarks" in str(refused.json())
    assert counts() == before

    done = post(cem, f"/contacts/{cid}/close", {"remarks": "a week late"})
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["tag"]) == (
        "CLOSED",
        "Inbound >> Complaint >> Out of SPD",
    )
    assert post(cem, f"/contacts/{cid}/close", {"remarks": "again"}).status_code == 409


def test_other_teams_and_integrations_get_nothing(desk: ContactDesk) -> None:
    contact = post(
        login("cem"), "/contacts", {"ticket_id": desk.ticket.pk, "channel": "CALL"}
    ).json()
    olga = login("olga")
    before = counts()
    assert olga.get(API + "/contacts/tickets", {"q": "demir"}).json() == []
    assert (
        post(olga, "/contacts", {"ticket_id": desk.ticket.pk, "channel": "CALL"}).status_code == 404
    )
    assert olga.get(f"{API}/contacts/{contact['id']}").status_code == 404
    assert (
        post(olga, f"/contacts/{contact['id']}/reason", {"reason": "complaint"}).status_code == 404
    )
    assert Client().get(API + "/contacts/tickets", {"q": "demir"}).status_code == 401
    assert counts() == before
    assert Contact.objects.get().reason == ""


def test_bad_input_is_422(desk: ContactDesk) -> None:
    cem = login("cem")
    before = counts()
    response = post(cem, "/contacts", {"ticket_id": desk.ticket.pk, "channel": "FAX"})
    assert response.status_code == 422
    assert counts() == before
