"""/api/v1/orders and /api/v1/hand-backs through the HTTP client, as sales channels."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from opsdesk.access.tokens import token_create
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.cases.services import dispatch
from opsdesk.common.actors import Actor
from opsdesk.customers.models import Customer
from opsdesk.engine.types import Event
from opsdesk.orders import handback
from opsdesk.orders.models import HandBack, SalesChannel, ServiceOrder
from opsdesk.orders.services import channel_create
from opsdesk.staff.services import agent_create
from tests.conftest import BEFORE_REPUBLIC_DAY
from tests.service_desk import order_data

pytestmark = pytest.mark.django_db


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def order(ref: str, **changes: Any) -> dict[str, Any]:
    return order_data(ref, **changes)


def counts() -> tuple[int, ...]:
    return (
        ServiceOrder.objects.count(),
        Customer.objects.count(),
        Case.objects.count(),
        HandBack.objects.count(),
        TimelineEvent.objects.count(),
    )


def post(client: Client, token: str, path: str, body: Any) -> Any:
    return client.post(path, body, content_type="application/json", **bearer(token))


def test_a_channel_sends_an_order_and_gets_it_back_routed(
    client: Client, service_desk: Any, frozen_clock: Any
) -> None:
    r = post(client, service_desk.token, "/api/v1/orders", order("TS-1"))
    assert r.status_code == 201, r.content
    body = r.json()
    stored = ServiceOrder.objects.get(external_ref="TS-1")
    assert body == {
        "id": stored.pk,
        "external_ref": "TS-1",
        "status": "ACCEPTED",
        "zone": "istanbul_asia",
        "priority": "MEDIUM",
        "team": "Istanbul COBO",
        "failed_checks": [],
        "case_number": "SO-2026-000001",
        "case_state": "confirming",
        "received_at": "2026-10-28T07:00:00Z",
        "links": {"self": f"/api/v1/orders/{stored.pk}"},
        "hand_backs": [],
        "milestones": [],
    }
    assert stored.channel_id == service_desk.channel.pk
    received = TimelineEvent.objects.get(type="ORDER_RECEIVED")
    assert received.actor == "api:channel-telesales"


def test_a_retry_answers_200_with_the_same_order_and_writes_nothing(
    client: Client, service_desk: Any, frozen_clock: Any
) -> None:
    first = post(client, service_desk.token, "/api/v1/orders", order("TS-2"))
    assert first.status_code == 201
    before = counts()
    again = post(client, service_desk.token, "/api/v1/orders", order("TS-2"))
    assert again.status_code == 200
    assert again.json() == first.json()
    assert counts() == before


def test_an_ineligible_order_is_stored_with_the_failed_checks(
    client: Client, service_desk: Any, frozen_clock: Any
) -> None:
    r = post(
        client,
        service_desk.token,
        "/api/v1/orders",
        order(
            "TS-3",
            customer_type="business",
            service_type="tv_setup",
            city="Ankara",
            postcode="06100",
            latitude=None,
            longitude=None,
        ),
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["status"], body["zone"], body["team"], body["case_number"]) == (
        "INELIGIBLE",
        "ankara",
        None,
        None,
    )
    assert body["failed_checks"] == [
        {"check": "documents_valid", "message": "Missing or expired documents: tax_certificate"},
        {"check": "service_available", "message": "tv_setup is not offered in ankara"},
    ]
    (hb,) = body["hand_backs"]
    assert hb == {
        "id": HandBack.objects.get().pk,
        "reason": "Not eligible: Missing or expired documents: tax_certificate; "
        "tv_setup is not offered in ankara",
        "status": "PENDING",
        "created_at": "2026-10-28T07:00:00Z",
        "acknowledged_at": None,
    }


def test_bad_input_is_a_422_per_field_and_writes_nothing(
    client: Client, service_desk: Any, frozen_clock: Any
) -> None:
    before = counts()
    r = post(
        client,
        service_desk.token,
        "/api/v1/orders",
        order("TS-4", service_type="plumbing", latitude=95.0, phone="", email=""),
    )
    assert r.status_code == 422
    assert r.json() == {
        "detail": "invalid input",
        "errors": {
            "phone": ["give a phone number or an email address to reach the customer"],
            "latitude": ["latitude in [-90, 90] and longitude in [-180, 180]"],
            "service_type": ["must be one of fiber_install, modem_swap, tv_setup"],
        },
    }
    # A body that is not even the right shape: pydantic's messages, per field.
    r = post(
        client,
        service_desk.token,
        "/api/v1/orders",
        {**order("TS-5", latitude="north"), "given_name": None},
    )
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"given_name", "latitude"}
    assert counts() == before


def test_only_an_active_sales_channel_may_call(
    client: Client, service_desk: Any, frozen_clock: Any
) -> None:
    other = agent_create(username="app-web", name="App", password=None, role="integration")
    _, secret = token_create(other.user, "app-web")
    before = counts()
    r = post(client, secret, "/api/v1/orders", order("TS-6"))
    assert r.status_code == 403
    assert r.json()["detail"].startswith("not allowed")
    assert client.get("/api/v1/hand-backs", **bearer(secret)).status_code == 403
    # A staff member's session is not a channel either; no credentials at all is a 401.
    client.force_login(service_desk.cobo_agent.user)
    assert client.get("/api/v1/orders").status_code == 403
    client.logout()
    assert (
        client.post("/api/v1/orders", order("TS-6"), content_type="application/json").status_code
        == 401
    )
    SalesChannel.objects.filter(pk=service_desk.channel.pk).update(active=False)
    r = post(client, service_desk.token, "/api/v1/orders", order("TS-6"))
    assert r.status_code == 403
    assert r.json() == {"detail": "not allowed: sales channel telesales is inactive"}
    assert counts() == before


def test_a_bulk_request_reports_exactly_the_bad_rows_and_stores_the_rest(
    client: Client, service_desk: Any, frozen_clock: Any
) -> None:
    rows = [order(f"BULK-{i}", phone=f"+90532{1000000 + i}") for i in range(1200)]
    rows[7]["service_type"] = "plumbing"  # the domain refuses it
    rows[500]["latitude"] = "north"  # not even a number: refused before intake
    rows[1199] = {**rows[1199], "phone": "", "email": ""}
    r = post(client, service_desk.token, "/api/v1/orders/bulk", {"orders": rows})
    assert r.status_code == 200, r.content[:500]
    body = r.json()
    assert body["totals"] == {"created": 1197, "duplicate": 0, "rejected": 3}
    assert len(body["results"]) == 1200
    assert [r["index"] for r in body["results"]] == list(range(1200))
    rejected = [
        (r["index"], r["external_ref"], r["errors"], r["order"])
        for r in body["results"]
        if r["outcome"] == "rejected"
    ]
    assert rejected == [
        (
            7,
            "BULK-7",
            {"service_type": ["must be one of fiber_install, modem_swap, tv_setup"]},
            None,
        ),
        (
            500,
            "BULK-500",
            {"latitude": ["Input should be a valid number, unable to parse string as a number"]},
            None,
        ),
        (
            1199,
            "BULK-1199",
            {"phone": ["give a phone number or an email address to reach the customer"]},
            None,
        ),
    ]
    first = body["results"][0]
    stored = ServiceOrder.objects.get(external_ref="BULK-0")
    assert first == {
        "index": 0,
        "external_ref": "BULK-0",
        "outcome": "created",
        "order": {
            "id": stored.pk,
            "external_ref": "BULK-0",
            "status": "ACCEPTED",
            "zone": "istanbul_asia",
            "priority": "MEDIUM",
            "team": "Istanbul COBO",
            "failed_checks": [],
            "case_number": stored.case.number,
            "case_state": "confirming",
            "received_at": "2026-10-28T07:00:00Z",
            "links": {"self": f"/api/v1/orders/{stored.pk}"},
        },
        "errors": None,
    }
    # Every valid row fully written (order, customer, case); the bad ones not at all.
    refs = set(ServiceOrder.objects.values_list("external_ref", flat=True))
    assert refs == {f"BULK-{i}" for i in range(1200)} - {"BULK-7", "BULK-500", "BULK-1199"}
    assert Customer.objects.count() == 1197
    assert Case.objects.count() == 1197
    assert not ServiceOrder.objects.filter(case__isnull=True).exists()

    # The same rows again: all duplicates of what is stored, nothing new written.
    before = counts()
    r = post(client, service_desk.token, "/api/v1/orders/bulk", {"orders": rows[:10]})
    again = r.json()
    assert again["totals"] == {"created": 0, "duplicate": 9, "rejected": 1}
    assert again["results"][3]["order"]["id"] == ServiceOrder.objects.get(external_ref="BULK-3").pk
    assert counts() == before


def test_a_bulk_request_over_the_limit_is_refused_whole(
    client: Client, service_desk: Any, frozen_clock: Any
) -> None:
    rows = [order(f"BIG-{i}") for i in range(5001)]
    r = post(client, service_desk.token, "/api/v1/orders/bulk", {"orders": rows})
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["orders"]
    assert ServiceOrder.objects.count() == 0


def test_a_channel_reads_its_orders_with_hand_backs_and_milestones(
    client: Client, service_desk: Any, frozen_clock: Any
) -> None:
    created = post(client, service_desk.token, "/api/v1/orders", order("TS-7")).json()
    o = ServiceOrder.objects.select_related("channel").get(pk=created["id"])
    # The customer turns the order down (a milestone), and it is handed back.
    dispatch(o.case_id, Event("customer.replied", {"intent": "reject"}), Actor("whatsapp"))
    later = BEFORE_REPUBLIC_DAY + dt.timedelta(hours=1)
    frozen_clock.set_now(later)
    handback.record(o, "Customer no longer wants the service", later)

    r = client.get(f"/api/v1/orders/{o.pk}", **bearer(service_desk.token))
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["case_state"]) == ("HANDED_BACK", "retention")
    assert body["milestones"] == [{"name": "rejected", "at": "2026-10-28T07:00:00Z"}]
    assert [(h["reason"], h["status"], h["created_at"]) for h in body["hand_backs"]] == [
        ("Customer no longer wants the service", "PENDING", "2026-10-28T08:00:00Z")
    ]

    post(client, service_desk.token, "/api/v1/orders", order("TS-8", phone="+90 532 765 43 21"))
    listed = client.get("/api/v1/orders", **bearer(service_desk.token)).json()
    assert [x["external_ref"] for x in listed] == ["TS-8", "TS-7"]  # newest first
    by_ref = client.get("/api/v1/orders?external_ref=TS-7", **bearer(service_desk.token)).json()
    assert by_ref == [body]
    handed = client.get("/api/v1/orders?status=HANDED_BACK", **bearer(service_desk.token)).json()
    assert [x["external_ref"] for x in handed] == ["TS-7"]
    since = client.get(
        "/api/v1/orders", {"since": "2026-10-28T07:30:00Z"}, **bearer(service_desk.token)
    ).json()
    assert [x["external_ref"] for x in since] == ["TS-8"]
    bad = client.get("/api/v1/orders?status=LOST", **bearer(service_desk.token))
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["status"]


def test_another_channel_sees_none_of_it(
    client: Client, service_desk: Any, frozen_clock: Any
) -> None:
    created = post(
        client,
        service_desk.token,
        "/api/v1/orders",
        order(
            "TS-9",
            customer_type="business",
            service_type="tv_setup",
            city="Ankara",
            postcode="06100",
            latitude=None,
            longitude=None,
        ),
    ).json()
    _, other_token = channel_create(key="portal", name="Partner portal", kind="PORTAL")
    r = client.get(f"/api/v1/orders/{created['id']}", **bearer(other_token))
    assert r.status_code == 404
    assert r.json() == {"detail": "not found"}
    assert client.get("/api/v1/orders", **bearer(other_token)).json() == []
    assert client.get("/api/v1/orders?external_ref=TS-9", **bearer(other_token)).json() == []
    assert client.get("/api/v1/hand-backs", **bearer(other_token)).json() == []
    # The same reference from another channel is another order.
    r = post(client, other_token, "/api/v1/orders", order("TS-9"))
    assert r.status_code == 201
    assert r.json()["id"] != created["id"]


def test_hand_backs_are_listed_newest_first_since_a_time(
    client: Client, service_desk: Any, frozen_clock: Any
) -> None:
    ineligible = order(
        "TS-10",
        customer_type="business",
        city="Ankara",
        postcode="06100",
        latitude=None,
        longitude=None,
    )
    first = post(client, service_desk.token, "/api/v1/orders", ineligible).json()
    accepted = post(
        client, service_desk.token, "/api/v1/orders", order("TS-11", phone="+90 532 765 43 21")
    ).json()
    later = BEFORE_REPUBLIC_DAY + dt.timedelta(hours=2)
    frozen_clock.set_now(later)
    o = ServiceOrder.objects.select_related("channel").get(pk=accepted["id"])
    hb = handback.record(o, "No answer to the confirmation message or the call", later)

    r = client.get("/api/v1/hand-backs", **bearer(service_desk.token))
    assert r.status_code == 200
    assert r.json() == [
        {
            "id": hb.pk,
            "order_id": accepted["id"],
            "external_ref": "TS-11",
            "reason": "No answer to the confirmation message or the call",
            "status": "PENDING",
            "created_at": "2026-10-28T09:00:00Z",
            "acknowledged_at": None,
        },
        {
            "id": first["hand_backs"][0]["id"],
            "order_id": first["id"],
            "external_ref": "TS-10",
            "reason": "Not eligible: Missing or expired documents: tax_certificate",
            "status": "PENDING",
            "created_at": "2026-10-28T07:00:00Z",
            "acknowledged_at": None,
        },
    ]
    since = client.get(
        "/api/v1/hand-backs", {"since": "2026-10-28T08:00:00Z"}, **bearer(service_desk.token)
    ).json()
    assert [h["id"] for h in since] == [hb.pk]
