"""The retainers page: managers list and add retainers; agents may not."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsdesk.billing.models import Retainer
from opsdesk.customers.models import Customer

pytestmark = pytest.mark.django_db

FORM = {
    "description": "Quarterly paperwork",
    "amount": "450.00",
    "currency": "EUR",
    "tax_rate": "0.20",
    "period": "QUARTERLY",
    "starts_on": "2027-01-31",
}


def signed_in(agent: Any) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def test_a_manager_adds_a_retainer(customer: Customer, staff: Any) -> None:
    Customer.objects.filter(pk=customer.pk).update(priority_tier="repeat")
    client = signed_in(staff.manager)
    assert client.get("/retainers/").status_code == 200
    response = client.post("/retainers/", {**FORM, "customer_id": customer.pk})
    assert (response.status_code, response["Location"]) == (302, "/retainers/")
    retainer = Retainer.objects.get()
    assert (retainer.discount_percent, retainer.period, str(retainer.next_bill_on)) == (
        10,
        "QUARTERLY",
        "2027-01-31",
    )
    html = client.get("/retainers/").content.decode()
    assert "Quarterly paperwork" in html
    assert "2027-01-31" in html


def test_bad_input_is_shown_and_nothing_is_added(customer: Customer, staff: Any) -> None:
    client = signed_in(staff.manager)
    response = client.post(
        "/retainers/", {**FORM, "customer_id": customer.pk, "starts_on": "someday"}
    )
    assert response.status_code == 422
    assert "a date, YYYY-MM-DD" in response.content.decode()
    response = client.post("/retainers/", {**FORM, "customer_id": "cus_nope"})
    assert response.status_code == 422
    assert "no such customer" in response.content.decode()
    assert Retainer.objects.count() == 0


def test_agents_may_not_see_the_page(customer: Customer, staff: Any) -> None:
    client = signed_in(staff.ayse)
    assert client.get("/retainers/").status_code == 403
    assert client.post("/retainers/", {**FORM, "customer_id": customer.pk}).status_code == 403
    assert Retainer.objects.count() == 0
