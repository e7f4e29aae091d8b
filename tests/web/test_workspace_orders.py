"""The customer workspace shows the service order behind an order case."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.test import Client

from opsdesk.common.actors import Actor
from opsdesk.orders.intake import OrderInput, orders_receive
from tests.service_desk import order_data


def test_the_order_panel_shows_channel_routing_and_documents(
    service_desk: Any, frozen_clock: Any, as_agent: Callable[[Any], Client]
) -> None:
    (result,) = orders_receive(
        service_desk.channel, [OrderInput(**order_data("TS-77"))], Actor("api:telesales")
    )
    page = as_agent(service_desk.cobo_agent).get(f"/customers/{result.order.customer_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    panel = html[
        html.index('id="service-order-') : html.index(
            "</section>", html.index('id="service-order-')
        )
    ]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", panel)).strip()
    assert "Sales channel Telesales TS-77" in text
    assert "Zone istanbul_asia" in text
    assert "Routing Istanbul COBO medium, rule istanbul" in text
    assert "Documents id_card until 2030-01-01" in text
    assert "No order." not in html
