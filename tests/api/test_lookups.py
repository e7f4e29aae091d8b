"""Paging (`lookups.page`): an offset past any table's end is an empty page, never a
database integer overflow (found by tests/api/test_schemathesis.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security.world import World


@pytest.mark.parametrize(
    "path",
    ["/api/v1/testimonials", "/api/v1/tasks", "/api/v1/priority-clients", "timeline", "messages"],
)
def test_an_offset_beyond_64_bits_is_an_empty_page(
    client: Client, admin_auth: dict[str, str], api_world: World, path: str
) -> None:
    if not path.startswith("/"):
        path = f"/api/v1/customers/{api_world.ids['customer_id']}/{path}"
    response = client.get(
        path, {"offset": "127684058506724340605648896", "limit": "-7"}, headers=admin_auth
    )
    assert response.status_code == 200
    assert response.json() == []


def test_a_negative_offset_and_limit_still_read_the_first_row(
    client: Client, admin_auth: dict[str, str], api_world: World
) -> None:
    response = client.get(
        "/api/v1/testimonials", {"offset": "-390498383827", "limit": "-1"}, headers=admin_auth
    )
    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [api_world.ids["testimonial_id"]]
