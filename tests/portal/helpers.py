"""Plain set-up functions for the customer link's tests (tests/portal and the
browser test): the service-order desk and an order with a booked visit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from opsdesk.cases.models import Case
from opsdesk.cases.services import dispatch
from opsdesk.common.actors import Actor
from opsdesk.engine.types import Event
from opsdesk.orders.intake import OrderInput, orders_receive
from opsdesk.orders.models import SalesChannel, ServiceOrder
from tests.service_desk import order_data

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
CHANNEL = Actor("api:channel-telesales")
TEAMS = ("Istanbul COBO", "Ankara COBO", "Business Desk", "Retention", "Sales")


def install_desk(*, replace: tuple[str, str] | None = None) -> SalesChannel:
    """The shipped service-order playbook (with `replace` = (old, new) applied to its
    source), its teams, an agent and a telesales channel."""
    from opsdesk.cases.playbooks import playbook_install
    from opsdesk.orders.services import channel_create
    from opsdesk.staff.models import BusinessCalendar, Team
    from opsdesk.staff.services import agent_create

    source = (PLAYBOOKS / "service-order.yaml").read_text()
    if replace is not None:
        assert replace[0] in source
        source = source.replace(*replace)
    playbook_install(source)
    calendar = BusinessCalendar.objects.create(name="Istanbul office", country="TR")
    teams = {name: Team.objects.create(name=name, calendar=calendar) for name in TEAMS}
    agent_create(
        username="cem",
        name="Cem Cobo",
        password="pw-cem-123",
        team=teams["Istanbul COBO"],
        languages=["tr", "en"],
        service_types=["fiber_install", "modem_swap", "tv_setup"],
    )
    channel, _ = channel_create(key="telesales", name="Telesales", kind="TELESALES")
    return channel


def receive_order(channel: SalesChannel, ref: str, **changes: Any) -> Case:
    data = order_data(ref, **changes)
    (result,) = orders_receive(channel, [OrderInput(**data)], CHANNEL)
    assert result.outcome == "created", result.errors
    order = ServiceOrder.objects.get(pk=result.order.pk)
    return Case.objects.get(pk=order.case_id)


def confirm(case: Case, proposed_at: dt.datetime | None = None) -> Case:
    """The customer confirms (optionally naming a time): the playbook books the
    first free slot from then on and the case is `scheduled`."""
    data: dict[str, Any] = {"intent": "confirm"}
    if proposed_at is not None:
        data["proposed_at"] = proposed_at.isoformat()
    dispatch(case.pk, Event("customer.replied", data), Actor("system"))
    return Case.objects.get(pk=case.pk)
