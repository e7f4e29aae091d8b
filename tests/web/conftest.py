"""Fixtures for the agent UI's view tests (Django test client, no browser)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from opsdesk.common.actors import Actor
from opsdesk.customers.models import Customer
from opsdesk.customers.services import CustomerInput, customer_create

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(agent: Any) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


@pytest.fixture
def as_agent() -> Callable[[Any], Client]:
    return login


@pytest.fixture
def make_customer(onboarding: Any, staff: Any) -> Callable[..., Customer]:
    """A customer created by the manager through the domain (the staff trigger).

    The defaults pass every profile check and speak Turkish, so the case goes
    straight to intake and Ayşe (the one Turkish-speaking immigration agent)
    gets it.
    """

    def make(**overrides: Any) -> Customer:
        data: dict[str, Any] = {
            "given_name": "Amira",
            "family_name": "Hassan",
            "phone": "+905321234567",
            "whatsapp": True,
            "email": "amira.hassan@example.com",
            "nationality": "EG",
            "language": "tr",
            "fields": {"service_type": "immigration"},
            "order": {"service_type": "immigration", "notes": "Residence permit renewal"},
        }
        data.update(overrides)
        return customer_create(CustomerInput(**data), Actor.of_user(staff.manager.user))

    return make
