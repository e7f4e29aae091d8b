"""The public request form and the staff's phone intake page (Django test client)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_install
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer
from opsdesk.intake.models import Request
from tests.intake.conftest import PLAYBOOK
from tests.intake.helpers import counts

pytestmark = pytest.mark.django_db
PUBLIC = "/request/trips/"
STAFF = "/requests/new/trips/"
FORM = {
    "customer.given_name": "Elif",
    "customer.family_name": "Demir",
    "customer.phone": "+90 532 765 43 21",
    "customer.email": "elif@example.com",
    "customer.language": "en",
    "fields.service_type": "visa_help",
    "fields.departure": "2026-12-01",
    "fields.return_date": "2026-12-10",
    "fields.travellers": "1",
    "fields.notes": "",
}


def test_the_public_form_renders_the_intake_sheet(trips: Any) -> None:
    r = Client().get(PUBLIC)
    assert r.status_code == 200
    html = r.content.decode()
    assert "<h1>Plan your trip</h1>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    names = [
        "customer.given_name",
        "customer.family_name",
        "customer.phone",
        "customer.email",
        "customer.language",
        "fields.service_type",
        "fields.departure",
        "fields.return_date",
        "fields.travellers",
        "fields.notes",
    ]
    positions = [html.index(f'name="{n}"') for n in names]
    assert positions == sorted(positions)
    assert '<select id="f-service_type" name="fields.service_type" required' in html
    assert 'type="date" name="fields.departure"' in html
    assert 'type="number" step="any" name="fields.travellers"' in html


def test_a_web_request_opens_a_case_and_the_receipt_goes_by_email(trips: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(PUBLIC)
    token = client.cookies["csrftoken"].value
    r = client.post(PUBLIC, FORM | {"csrfmiddlewaretoken": token})
    assert (r.status_code, r["Location"]) == (302, "/request/trips/done/")
    case = Case.objects.get()
    assert case.fields == {
        "service_type": "visa_help",
        "departure": "2026-12-01",
        "return_date": "2026-12-10",
        "travellers": "1",
        "notes": None,
    }
    customer = Customer.objects.get()
    assert (customer.full_name, customer.phone, customer.email, customer.source) == (
        "Elif Demir",
        "+905327654321",
        "elif@example.com",
        "APP_WEB",
    )
    req = Request.objects.get()
    assert (req.case_id, req.channel, req.text, req.created_by) == (case.pk, "WEB", "", "web-form")
    assert customer.timeline.get(type="REQUEST_RECEIVED").payload == {
        "channel": "WEB",
        "request_id": req.pk,
    }
    receipt = Message.objects.get(direction="OUTBOUND")
    assert (receipt.channel, receipt.to_address) == ("EMAIL", "elif@example.com")
    done = client.get(r["Location"])
    assert done.status_code == 200
    assert (
        "Your request <strong>TRP-2026-000001</strong> is received;\n"
        "we have sent a confirmation to elif@example.com."
    ) in done.content.decode()


def test_the_public_form_needs_the_csrf_token(trips: Any) -> None:
    before = counts()
    r = Client(enforce_csrf_checks=True).post(PUBLIC, FORM)
    assert r.status_code == 403
    assert counts() == before


def test_errors_sit_next_to_their_fields_and_the_values_stay(trips: Any) -> None:
    before = counts()
    bad = FORM | {"fields.service_type": "", "fields.return_date": "2026-11-20"}
    r = Client().post(PUBLIC, bad)
    assert r.status_code == 422
    html = r.content.decode()
    assert (
        '<div id="err-service_type"><ul class="field-errors"><li>this field is required</li></ul>'
    ) in html
    assert (
        '<div id="err-return_date"><ul class="field-errors">'
        "<li>the return date is before the departure date</li></ul>"
    ) in html
    assert 'name="fields.return_date" value="2026-11-20"' in html
    assert 'name="customer.given_name" value="Elif"' in html
    assert counts() == before


def test_no_public_form_without_web_intake(staff: Any, frozen_clock: Any) -> None:
    assert Client().get(PUBLIC).status_code == 404
    playbook_install(
        PLAYBOOK.replace("channels: [PHONE, WEB, WHATSAPP, EMAIL]", "channels: [PHONE]")
    )
    assert Client().get(PUBLIC).status_code == 404
    assert Client().get("/request/nope/").status_code == 404


def test_the_staff_page_needs_a_sign_in(trips: Any) -> None:
    r = Client().get(STAFF)
    assert r.status_code == 302
    assert r["Location"].startswith("/login/")


def test_a_phone_request_from_the_staff_page(trips: Any, staff: Any) -> None:
    client = Client()
    client.force_login(staff.ayse.user)
    home = client.get("/tasks/").content.decode()
    assert '<a href="/requests/new/trips/">New request</a>' in home
    assert client.get(STAFF).status_code == 200
    r = client.post(
        STAFF,
        {k: v for k, v in FORM.items() if k != "customer.email"}
        | {"text": "Called: needs a visa for Germany"},
    )
    case = Case.objects.get()
    assert (r.status_code, r["Location"]) == (
        302,
        f"/customers/{case.customer_id}/?case={case.pk}",
    )
    req = Request.objects.get()
    assert (req.channel, req.text, req.created_by) == (
        "PHONE",
        "Called: needs a visa for Germany",
        "user:ayse",
    )
    receipt = Message.objects.get(direction="OUTBOUND")
    assert receipt.channel == "SMS"  # a phone request: the template's own order


def test_the_staff_page_finds_the_caller_by_phone(trips: Any, staff: Any) -> None:
    client = Client()
    client.force_login(staff.ayse.user)
    client.post(STAFF, FORM)
    customer = Customer.objects.get()
    page = client.get(STAFF, {"phone": "+90 532 765 43 21"}).content.decode()
    assert f'<input type="hidden" name="customer_id" value="{customer.pk}">' in page
    assert 'name="customer.given_name"' not in page
    r = client.post(
        STAFF,
        {"customer_id": customer.pk, "fields.service_type": "airport_transfer", "text": "Again"},
    )
    assert r.status_code == 302
    assert Customer.objects.count() == 1
    assert Request.objects.filter(customer=customer).count() == 2
    missing = client.get(STAFF, {"phone": "+90 532 000 00 00"}).content.decode()
    assert "No customer has this number" in missing


def test_staff_page_refusals_write_nothing(trips: Any, staff: Any) -> None:
    client = Client()
    client.force_login(staff.ayse.user)
    before = counts()
    r = client.post(STAFF, FORM | {"fields.return_date": "2026-11-01"})
    assert r.status_code == 422
    assert "the return date is before the departure date" in r.content.decode()
    assert counts() == before


def test_no_new_request_link_without_a_request_playbook(onboarding: Any, staff: Any) -> None:
    client = Client()
    client.force_login(staff.ayse.user)
    assert "New request" not in client.get("/tasks/").content.decode()
