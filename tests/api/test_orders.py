"""/api/v1/orders and /api/v1/hand-backs: a `since` with any UTC offset is compared in UTC,
never sent to the database with an offset it refuses (found by tests/api/test_schemathesis.py)."""

from __future__ import annotations

from django.test import Client

from opsdesk.orders.models import ServiceOrder
from tests.security.world import World


def test_orders_since_with_an_offset_beyond_sixteen_hours_is_compared_in_utc(
    client: Client, channel_auth: dict[str, str], api_world: World
) -> None:
    response = client.get(
        "/api/v1/orders", {"since": "0231-05-21T02:18:18+18:59"}, headers=channel_auth
    )
    assert response.status_code == 200
    expected = list(
        ServiceOrder.objects.order_by("-received_at", "-id").values_list("pk", flat=True)
    )
    assert len(expected) == 2
    assert [o["id"] for o in response.json()] == expected


def test_hand_backs_since_with_an_offset_beyond_sixteen_hours_is_compared_in_utc(
    client: Client, channel_auth: dict[str, str], api_world: World
) -> None:
    response = client.get(
        "/api/v1/hand-backs", {"since": "3660-12-15T11:04:36-18:39"}, headers=channel_auth
    )
    assert response.status_code == 200
    assert response.json() == []


def test_a_since_before_year_one_in_utc_is_a_422(
    client: Client, channel_auth: dict[str, str], api_world: World
) -> None:
    response = client.get(
        "/api/v1/orders", {"since": "0001-01-01T00:00:00+01:00"}, headers=channel_auth
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "invalid input",
        "errors": {"since": ["Value error, a date and time within the years 1 to 9999 in UTC"]},
    }
