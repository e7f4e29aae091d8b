"""request_receive: the phone and web sheet, refusals, customer matching."""

from __future__ import annotations

from typing import Any

import pytest

from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer
from opsdesk.intake.models import Request
from opsdesk.intake.services import request_receive
from tests.intake.helpers import counts

pytestmark = pytest.mark.django_db
ACTOR = Actor("user:ayse")
SHEET = {
    "service_type": "visa_help",
    "departure": "2026-12-01",
    "return_date": "2026-12-10",
    "travellers": "2",
    "notes": "Window seat",
}
MEHMET = {
    "given_name": "Mehmet",
    "family_name": "Kaya",
    "phone": "+90 532 123 45 67",
    "email": "mehmet@example.com",
    "language": "tr",
}


def receive(**kwargs: Any) -> Case:
    args: dict[str, Any] = {
        "playbook": "trips",
        "channel": "PHONE",
        "customer": MEHMET,
        "fields": SHEET,
        "text": "Called about a visa",
        "actor": ACTOR,
    }
    return request_receive(**(args | kwargs))


def test_a_phone_request_opens_a_case_with_the_sheet(trips: Any) -> None:
    case = receive()
    customer = case.customer
    assert (case.number, case.state, case.status, case.playbook_id) == (
        "TRP-2026-000001",
        "received",
        "OPEN",
        trips.pk,
    )
    assert case.fields == {
        "service_type": "visa_help",
        "departure": "2026-12-01",
        "return_date": "2026-12-10",
        "travellers": "2",
        "notes": "Window seat",
    }
    assert (
        customer.given_name,
        customer.family_name,
        customer.phone,
        customer.email,
        customer.language,
        customer.source,
    ) == ("Mehmet", "Kaya", "+905321234567", "mehmet@example.com", "tr", "STAFF")
    req = Request.objects.get()
    assert (req.case_id, req.customer_id, req.channel, req.text, req.message_id) == (
        case.pk,
        customer.pk,
        "PHONE",
        "Called about a visa",
        None,
    )
    assert req.created_by == "user:ayse"
    rows = list(customer.timeline.order_by("id").values_list("type", "case_id", "payload"))
    assert rows[:3] == [
        ("CUSTOMER_CREATED", None, {"source": "STAFF"}),
        ("REQUEST_RECEIVED", None, {"channel": "PHONE", "request_id": req.pk}),
        ("CASE_OPENED", case.pk, {"number": "TRP-2026-000001", "playbook": "trips v1"}),
    ]
    # A phone caller gets the template's own order: no WhatsApp (not WhatsApp-capable), SMS.
    receipt = Message.objects.get(direction="OUTBOUND")
    assert (receipt.channel, receipt.template, receipt.to_address, receipt.body) == (
        "SMS",
        "receipt",
        "+905321234567",
        "Merhaba Mehmet, talebiniz TRP-2026-000001 alındı (PHONE).",
    )


def test_the_web_receipt_goes_by_email(trips: Any) -> None:
    case = receive(channel="WEB", customer=MEHMET | {"whatsapp": True})
    receipt = Message.objects.get(direction="OUTBOUND", case=case)
    assert (receipt.channel, receipt.to_address, receipt.subject) == (
        "EMAIL",
        "mehmet@example.com",
        "Talebiniz alındı: TRP-2026-000001",
    )
    assert case.customer.source == "APP_WEB"


def test_every_problem_is_refused_at_once_and_nothing_written(trips: Any) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        receive(
            customer={"given_name": " ", "phone": "", "language": "xx", "age": 3},
            fields={"departure": "2026-12-10", "return_date": "2026-12-01", "travellers": "two"},
        )
    assert exc.value.errors == {
        "fields.service_type": ["this field is required"],
        "fields.travellers": ["must be a number"],
        "fields.return_date": ["the return date is before the departure date"],
        "customer.age": [
            "unknown; one of given_name, family_name, phone, email, language, whatsapp"
        ],
        "customer.language": ["one of ar, de, en, es, fa, fr, ru, tr, uk"],
        "customer.given_name": ["this field is required"],
        "customer.family_name": ["this field is required"],
        "customer.phone": ["a phone number or an email is needed"],
    }
    assert counts() == before


def test_a_bad_date_is_refused_once(trips: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        receive(fields=SHEET | {"departure": "01.12.2026"})
    assert exc.value.errors == {"fields.departure": ["must be a date (YYYY-MM-DD)"]}


def test_a_channel_the_playbook_does_not_take(trips: Any, settings: Any) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        receive(channel="FAX")
    assert exc.value.errors == {
        "channel": ["this playbook takes requests by PHONE, WEB, WHATSAPP, EMAIL"]
    }
    assert counts() == before


def test_no_such_playbook(trips: Any) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        receive(playbook="nope")
    assert exc.value.errors == {"playbook": ["no active playbook 'nope' takes requests"]}
    assert counts() == before


def test_a_field_not_on_the_form(trips: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        receive(fields=SHEET | {"colour": "red"})
    assert exc.value.errors == {
        "fields.colour": [
            "unknown field; this playbook has service_type, departure, return_date, "
            "travellers, notes"
        ]
    }


def test_an_existing_customer_matched_by_phone_is_reused_unchanged(trips: Any) -> None:
    first = receive()
    customer = Customer.objects.get()
    snapshot = {f.name: getattr(customer, f.name) for f in Customer._meta.fields}
    second = receive(
        customer={
            "given_name": "Memo",
            "family_name": "K",
            "phone": "+905321234567",
            "email": "other@example.com",
            "language": "en",
        }
    )
    assert Customer.objects.count() == 1
    assert second.customer_id == first.customer_id
    customer.refresh_from_db()
    assert {f.name: getattr(customer, f.name) for f in Customer._meta.fields} == snapshot
    assert list(customer.timeline.filter(type="CUSTOMER_CREATED").values_list("id", flat=True))
    assert customer.timeline.filter(type="CUSTOMER_CREATED").count() == 1
    assert customer.timeline.filter(type="CUSTOMER_UPDATED").count() == 0


def test_an_existing_customer_by_id(trips: Any) -> None:
    first = receive()
    case = receive(customer=None, customer_id=first.customer_id, text="Second call")
    assert case.customer_id == first.customer_id
    assert case.number == "TRP-2026-000002"


def test_neither_customer_nor_id(trips: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        receive(customer=None)
    assert exc.value.errors == {"customer": ["give customer_id or the customer's details"]}
    with pytest.raises(ValidationFailed) as exc:
        receive(customer=None, customer_id="cus_nobody")
    assert exc.value.errors == {"customer_id": ["no such customer"]}


def test_later_decisions_see_the_intake_context(trips: Any) -> None:
    from opsdesk.cases.context import load_case_contexts

    case = receive(channel="WEB")
    req = Request.objects.get()
    assert load_case_contexts([case.pk])[case.pk]["intake"] == {
        "channel": "WEB",
        "reply_channel": "EMAIL",
        "text": "Called about a visa",
        "request_id": req.pk,
    }
