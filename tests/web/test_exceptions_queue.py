"""The exceptions queue: orders no rule routes, routed by hand; recent ineligible orders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.common.actors import Actor
from opsdesk.orders.intake import orders_receive
from opsdesk.orders.models import OrderStatus, ServiceOrder
from opsdesk.staff.services import agent_create
from tests.orders.test_intake import order
from tests.web.conftest import HTMX, login
from tests.web.test_views import text

pytestmark = pytest.mark.django_db

CHANNEL = Actor("api:channel-telesales")
IZMIR = {"city": "İzmir", "postcode": "35000", "latitude": 38.42, "longitude": 27.14}


def receive(desk: Any, ref: str, **changes: Any) -> ServiceOrder:
    (result,) = orders_receive(desk.channel, [order(ref, **changes)], CHANNEL)
    assert result.order is not None
    return result.order


@pytest.fixture
def queue(service_desk: Any, frozen_clock: Any) -> dict[str, ServiceOrder]:
    """Two exceptions (İzmir, then Bursa an hour later), a routed order, two ineligible
    ones (today and eight days ago)."""
    now = frozen_clock.now()
    frozen_clock.set_now(now - dt.timedelta(days=8))
    old_bad = receive(service_desk, "TS-OLD", customer_type="wholesale")
    frozen_clock.set_now(now - dt.timedelta(hours=2))
    izmir = receive(service_desk, "TS-IZM", address="Alsancak 5", **IZMIR)
    frozen_clock.set_now(now - dt.timedelta(hours=1))
    bursa = receive(
        service_desk,
        "TS-BUR",
        given_name="Zeynep",
        family_name="Kaya",
        phone="+90 532 765 43 21",
        service_type="modem_swap",
        address="Nilüfer 12",
        city="Bursa",
        postcode="16000",
        latitude=40.21,
        longitude=28.95,
    )
    frozen_clock.set_now(now)
    routed = receive(service_desk, "TS-IST")
    bad = receive(service_desk, "TS-BAD", customer_type="wholesale")
    assert [o.status for o in (old_bad, izmir, bursa, routed, bad)] == [
        "INELIGIBLE",
        "EXCEPTION",
        "EXCEPTION",
        "ACCEPTED",
        "INELIGIBLE",
    ]
    return {"izmir": izmir, "bursa": bursa, "routed": routed, "bad": bad, "old_bad": old_bad}


def url(o: ServiceOrder) -> str:
    return f"/exceptions/{o.pk}/route/"


def counts() -> tuple[int, int, int]:
    return (
        Case.objects.count(),
        ServiceOrder.objects.filter(status=OrderStatus.EXCEPTION).count(),
        TimelineEvent.objects.count(),
    )


@pytest.mark.parametrize("path", ["/exceptions/", "/retention/", "/reports/channels/"])
def test_queues_require_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={path}")


def test_the_queue_lists_exceptions_oldest_first_and_recent_ineligible_orders(
    queue: dict[str, Any],
    service_desk: Any,
) -> None:
    response = login(service_desk.cobo_agent).get("/exceptions/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    page = text(response)
    waiting = page.split("Awaiting manual routing", 1)[1].split("Ineligible in the last", 1)[0]
    assert "Received Order Customer Service Address Zone Route to" in waiting
    assert (
        "Wed 28 Oct 2026, 08:00 TS-IZM Telesales Mehmet Demir residential fiber_install "
        "Alsancak 5 35000 İzmir Outside every zone Team Choose a team…"
    ) in waiting
    assert (
        "Wed 28 Oct 2026, 09:00 TS-BUR Telesales Zeynep Kaya residential modem_swap "
        "Nilüfer 12 16000 Bursa Outside every zone"
    ) in waiting
    assert waiting.index("TS-IZM") < waiting.index("TS-BUR")
    assert "TS-IST" not in page
    recent = page.split("Ineligible in the last 7 days", 1)[1]
    assert (
        "Wed 28 Oct 2026, 10:00 TS-BAD Telesales Mehmet Demir wholesale fiber_install "
        "Bağdat Cad. 10, Kadıköy 34710 İstanbul customer_type_allowed : "
        "customer type wholesale is not served through this channel"
    ) in recent
    assert "TS-OLD" not in page
    # Every team is offered, and every priority (the order's own preselected).
    html = response.content.decode()
    for name in ("Ankara COBO", "Business Desk", "Istanbul COBO", "Retention", "Sales"):
        assert f">{name}</option>" in html
    assert '<option value="MEDIUM" selected>Medium</option>' in html


def test_agents_see_the_queues_in_the_nav_and_only_managers_the_report(
    service_desk: Any,
) -> None:
    agent_page = text(login(service_desk.cobo_agent).get("/tasks/"))
    assert "My tasks Customers New customer Take a contact Exceptions Retention" in agent_page
    assert "Channels" not in agent_page
    boss = agent_create(
        username="mete", name="Mete Manager", password="pw", team=None, role="manager"
    )
    assert "Exceptions Retention Dispatch Channels" in text(login(boss).get("/tasks/"))


def test_routing_opens_the_case_and_the_order_leaves_the_queue(
    queue: dict[str, Any],
    service_desk: Any,
) -> None:
    client = login(service_desk.cobo_agent)
    izmir = queue["izmir"]
    ankara = service_desk.teams["Ankara COBO"]
    response = client.post(url(izmir), {"team": ankara.pk, "priority": "HIGH"})
    assert (response.status_code, response["Location"]) == (302, "/exceptions/")
    izmir.refresh_from_db()
    case = Case.objects.get(pk=izmir.case_id)
    assert (izmir.status, izmir.team_id, izmir.priority, izmir.rule) == (
        "ACCEPTED",
        ankara.pk,
        "HIGH",
        "",
    )
    assert (case.number, case.team_id, case.state) == ("SO-2026-000002", ankara.pk, "confirming")
    routed = TimelineEvent.objects.get(case=case, type="ORDER_ROUTED")
    assert (routed.actor, routed.payload) == (
        "user:cem",
        {"order_id": izmir.pk, "team": "Ankara COBO", "priority": "HIGH"},
    )
    page = text(client.get(response["Location"]))
    # The customer now has a case in Ankara: out of Cem's view, but he is told what opened.
    assert "Order TS-IZM (Telesales) routed to Ankara COBO: case SO-2026-000002 opened." in page
    waiting = page.split("Awaiting manual routing", 1)[1].split("Ineligible", 1)[0]
    assert "TS-IZM" not in waiting
    # Said once.
    assert "routed to" not in text(client.get("/exceptions/"))


def test_routing_through_htmx_answers_with_the_page(
    queue: dict[str, Any],
    service_desk: Any,
) -> None:
    client = login(service_desk.cobo_agent)
    bursa = queue["bursa"]
    team = service_desk.teams["Istanbul COBO"]
    response = client.post(url(bursa), {"team": team.pk, "priority": "LOW"}, follow=True, **HTMX)
    assert response.status_code == 200
    page = text(response)
    assert "Order TS-BUR (Telesales) routed to Istanbul COBO: case SO-2026-000002 opened." in page
    waiting = page.split("Awaiting manual routing", 1)[1].split("Ineligible", 1)[0]
    assert "TS-BUR" not in waiting and "TS-IZM" in waiting


def test_a_bad_choice_is_shown_at_its_field_and_nothing_changes(
    queue: dict[str, Any],
    service_desk: Any,
) -> None:
    client = login(service_desk.cobo_agent)
    before = counts()
    response = client.post(url(queue["izmir"]), {"team": "", "priority": "ASAP"})
    assert response.status_code == 422
    html = response.content.decode()
    row = text(response).split("TS-IZM", 1)[1].split("TS-BUR", 1)[0]
    assert "Team Choose a team… " in row
    assert "choose a team" in row
    assert "one of LOW, MEDIUM, HIGH, URGENT" in row
    assert html.count('aria-invalid="true"') == 2
    assert counts() == before


def test_an_order_someone_else_routed_is_a_conflict(
    queue: dict[str, Any],
    service_desk: Any,
) -> None:
    client = login(service_desk.cobo_agent)
    team = service_desk.teams["Istanbul COBO"].pk  # still in Cem's view afterwards
    assert client.post(url(queue["izmir"]), {"team": team, "priority": "LOW"}).status_code == 302
    before = counts()
    response = client.post(url(queue["izmir"]), {"team": team, "priority": "HIGH"})
    assert response.status_code == 409
    assert "order TS-IZM is not waiting for routing" in text(response)
    assert counts() == before


def test_an_integration_user_may_not_route(
    queue: dict[str, Any],
    service_desk: Any,
) -> None:
    client = Client()
    client.force_login(service_desk.channel.user)
    before = counts()
    assert client.get("/exceptions/").status_code == 403
    team = service_desk.teams["Sales"].pk
    response = client.post(url(queue["izmir"]), {"team": team, "priority": "LOW"})
    assert response.status_code == 403
    assert counts() == before


def test_an_unknown_order_is_a_404(service_desk: Any) -> None:
    response = login(service_desk.cobo_agent).post("/exceptions/ord_nope/route/", {})
    assert response.status_code == 404
