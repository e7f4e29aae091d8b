"""API helpers and a partner's application, shared by the application tests."""

from __future__ import annotations

from typing import Any

from django.test import Client

from opsdesk.access.tokens import token_create


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def as_agent(agent: Any) -> dict[str, str]:
    _, secret = token_create(agent.user, "desk")
    return bearer(secret)


def post(url: str, auth: dict[str, str], body: dict[str, Any] | None = None) -> Any:
    return Client().post(url, body or {}, content_type="application/json", **auth)


APPLICATION = {
    "partner_ref": "TP-77812",
    "partner_url": "https://tourport.example/applications/TP-77812",
    "destination": "DE",
    "visa_type": "Schengen C (tourism)",
    "travel_start": "2026-12-18",
    "travel_end": "2026-12-28",
    "given_name": "Deniz",
    "family_name": "Aydın",
    "phone": "+90 532 555 12 12",
    "email": "deniz@example.com",
    "language": "en",
    "travellers": [
        {"given_name": "Deniz", "family_name": "Aydın", "passport_number": "U12345678"},
        {"given_name": "Ece", "family_name": "Aydın", "passport_number": "U87654321"},
    ],
    "checklist": [
        {"key": "passport_copy", "label": "Passport copy", "per_traveller": True},
        {"key": "bank_statement", "label": "Bank statement (3 months)"},
    ],
}


def visa_desk(staff: Any) -> Any:
    """Ayşe and John become the visa desk (the playbook assigns within it); Olga
    (Izmir) stays the outsider."""
    from opsdesk.staff.models import Agent, Team

    visa = Team.objects.create(name="Visa desk", calendar=staff.team.calendar)
    Agent.objects.filter(pk__in=[staff.ayse.pk, staff.john.pk]).update(team=visa)
    return visa
