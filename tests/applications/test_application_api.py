"""The applications API: bad input and refusals change nothing; partners and
staff see only what is theirs."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client

from opsdesk.applications.models import Application, MissingItem, Traveller
from opsdesk.cases.models import Case
from opsdesk.common.actors import Actor
from opsdesk.customers.models import Customer
from opsdesk.partners.services import partner_create
from tests.applications.helpers import APPLICATION, as_agent, bearer, post

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        Application.objects.count(),
        Traveller.objects.count(),
        Case.objects.count(),
        Customer.objects.count(),
        MissingItem.objects.count(),
    )


def test_bad_input_is_422_with_every_field_and_nothing_is_stored(desk: dict[str, Any]) -> None:
    bad = copy.deepcopy(APPLICATION)
    bad.update(destination="XX", phone="", email="", travel_end="2026-12-01", visa_type="")
    bad["travellers"] = [{"given_name": "", "family_name": "Aydın"}]
    bad["checklist"] = [{"key": "Passport Copy"}, {"key": "a"}, {"key": "a"}]
    before = counts()
    response = post("/api/v1/applications", bearer(desk["partner_token"]), bad)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "phone": ["a phone number or an email is needed"],
        "destination": ["'XX' is not an ISO 3166 country code"],
        "visa_type": ["1-60 characters"],
        "travel_end": ["must not be before the travel start"],
        "travellers[0]": ["given_name and family_name are required"],
        "checklist": ["'Passport Copy': a lower-case key such as passport_copy", "'a' twice"],
    }
    assert counts() == before


def test_only_a_partner_assigns_and_a_partner_reads_only_its_own(desk: dict[str, Any]) -> None:
    staff = desk["staff"]
    refused = post("/api/v1/applications", as_agent(staff.ayse), APPLICATION)
    assert refused.status_code == 403
    assert counts() == (0, 0, 0, 0, 0)
    created = post("/api/v1/applications", bearer(desk["partner_token"]), APPLICATION).json()
    _, other_token = partner_create("globetrek", "GlobeTrek", actor=Actor("user:admin"))
    other = Client().get(f"/api/v1/applications/{created['id']}", **bearer(other_token))
    assert other.status_code == 404
    outsider = Client().get(f"/api/v1/applications/{created['id']}", **as_agent(staff.outsider))
    assert outsider.status_code in (403, 404)


def test_a_missing_item_is_noted_once_and_a_stranger_cannot_note_it(
    desk: dict[str, Any],
) -> None:
    staff = desk["staff"]
    app_id = post("/api/v1/applications", bearer(desk["partner_token"]), APPLICATION).json()["id"]
    item = {"kind": "DOCUMENT", "key": "bank_statement", "label": "Bank statement"}
    url = f"/api/v1/applications/{app_id}/missing-items"
    assert post(url, as_agent(staff.ayse), item).status_code == 201
    twice = post(url, as_agent(staff.ayse), item)
    assert (twice.status_code, twice.json()["detail"]) == (
        409,
        "Bank statement is already noted as missing",
    )
    stranger = post(url, as_agent(staff.outsider), {**item, "key": "photo", "label": "Photo"})
    assert stranger.status_code in (403, 404)
    assert MissingItem.objects.count() == 1


def test_a_booking_needs_its_time_and_changes_nothing_without(desk: dict[str, Any]) -> None:
    staff = desk["staff"]
    body = post("/api/v1/applications", bearer(desk["partner_token"]), APPLICATION).json()
    traveller = body["travellers"][0]["id"]
    response = post(
        f"/api/v1/travellers/{traveller}", as_agent(staff.ayse), {"status": "APPOINTMENT_BOOKED"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "appointment_at": ["the appointment's date and time are needed"]
    }
    assert Traveller.objects.get(pk=traveller).status == "NEW"
