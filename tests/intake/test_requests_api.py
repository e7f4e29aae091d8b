"""POST /api/v1/requests: a phone (or web front end's) request through the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsdesk.cases.models import Case
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer
from opsdesk.intake.models import Request
from tests.intake.helpers import counts

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests"
BODY: dict[str, Any] = {
    "playbook": "trips",
    "channel": "PHONE",
    "customer": {
        "given_name": "Mehmet",
        "family_name": "Kaya",
        "phone": "+905321234567",
        "email": "mehmet@example.com",
        "language": "tr",
        "whatsapp": True,
    },
    "fields": {"service_type": "airport_transfer", "departure": "2026-11-02"},
    "text": "Pick-up at IST, two suitcases",
}


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client: Client, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(URL, body, content_type="application/json", **headers)


def test_a_phone_request_through_the_api(client: Client, trips: Any, staff: Any) -> None:
    r = post(client, BODY, **bearer(staff.token))
    assert r.status_code == 201, r.content
    case = Case.objects.get()
    req = Request.objects.get()
    customer = Customer.objects.get()
    assert r.json() == {
        "case_id": case.pk,
        "case_number": "TRP-2026-000001",
        "request_id": req.pk,
        "customer_id": customer.pk,
    }
    assert case.fields == {
        "service_type": "airport_transfer",
        "departure": "2026-11-02",
        "return_date": None,
        "travellers": None,
        "notes": None,
    }
    assert (req.channel, req.text, req.created_by) == (
        "PHONE",
        "Pick-up at IST, two suitcases",
        "api:app-web",
    )
    assert list(customer.timeline.order_by("id").values_list("type", flat=True))[:3] == [
        "CUSTOMER_CREATED",
        "REQUEST_RECEIVED",
        "CASE_OPENED",
    ]
    # reply_channel is "" on the phone: the template's order, and WhatsApp free text
    # needs a message from the customer first, so SMS.
    receipt = Message.objects.get(direction="OUTBOUND")
    assert (receipt.channel, receipt.to_address) == ("SMS", "+905321234567")


def test_a_staff_session_and_an_existing_customer(client: Client, trips: Any, staff: Any) -> None:
    first = post(client, BODY, **bearer(staff.token)).json()
    client.force_login(staff.john.user)
    r = post(client, {**BODY, "customer": None, "customer_id": first["customer_id"]})
    assert r.status_code == 201, r.content
    assert r.json()["customer_id"] == first["customer_id"]
    assert r.json()["case_number"] == "TRP-2026-000002"
    assert Request.objects.get(pk=r.json()["request_id"]).created_by == "user:john"


def test_refusals_name_every_field_and_write_nothing(
    client: Client, trips: Any, staff: Any
) -> None:
    before = counts()
    body = {
        **BODY,
        "customer": {"given_name": "Mehmet", "phone": "+905321234567"},
        "fields": {"departure": "2026-12-10", "return_date": "2026-12-01"},
    }
    r = post(client, body, **bearer(staff.token))
    assert r.status_code == 422
    assert r.json() == {
        "detail": "invalid input",
        "errors": {
            "fields.service_type": ["this field is required"],
            "fields.return_date": ["the return date is before the departure date"],
            "customer.family_name": ["this field is required"],
        },
    }
    assert counts() == before


def test_the_channel_must_be_phone_or_web(client: Client, trips: Any, staff: Any) -> None:
    before = counts()
    r = post(client, {**BODY, "channel": "EMAIL"}, **bearer(staff.token))
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["channel"]
    assert counts() == before


def test_no_such_playbook(client: Client, trips: Any, staff: Any) -> None:
    before = counts()
    r = post(client, {**BODY, "playbook": "nope"}, **bearer(staff.token))
    assert (r.status_code, r.json()["errors"]) == (
        422,
        {"playbook": ["no active playbook 'nope' takes requests"]},
    )
    assert counts() == before


def test_anonymous_and_unseen_customers(client: Client, trips: Any, staff: Any) -> None:
    before = counts()
    assert post(client, BODY).status_code == 401
    assert (
        post(client, {**BODY, "customer_id": "cus_nobody"}, **bearer(staff.token)).status_code
        == 404
    )
    assert counts() == before
