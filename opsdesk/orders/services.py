"""Domain functions for sales channels and for service orders after intake."""

from __future__ import annotations

import re
import secrets

from django.db import transaction

from opsdesk.access.tokens import token_create
from opsdesk.cases.apply import timeline_row
from opsdesk.cases.batch import NewCase, open_cases
from opsdesk.cases.services import reserve_case_numbers
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.engine.decide import playbook_calendar
from opsdesk.orders.intake import channel_playbook, new_case
from opsdesk.orders.models import ChannelKind, OrderStatus, SalesChannel, ServiceOrder
from opsdesk.playbook.model import PRIORITY_ORDER
from opsdesk.staff.models import Role, Team
from opsdesk.staff.services import agent_create


def order_route(order_id: str, *, team_id: str, priority: str, actor: Actor) -> ServiceOrder:
    """An agent routes an order from the exceptions queue: its case opens in that team."""
    errors: dict[str, list[str]] = {}
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        errors["team"] = ["choose a team"]
    if priority not in PRIORITY_ORDER:
        errors["priority"] = [f"one of {', '.join(PRIORITY_ORDER)}"]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        order = (
            ServiceOrder.objects.select_for_update()
            .select_related("channel", "customer")
            .get(pk=order_id)
        )
        if order.status != OrderStatus.EXCEPTION:
            raise Conflict(f"order {order.external_ref} is not waiting for routing")
        version, pb = channel_playbook(order.channel)
        now = clock.now()
        (number,) = reserve_case_numbers(
            pb.case_prefix, playbook_calendar(pb).local_date(now).year, 1
        )
        order.team, order.priority = team, priority
        order.status, order.rule, order.updated_at = OrderStatus.ACCEPTED, "", now
        case = new_case(version, order, number, now)
        routed = timeline_row(
            case,
            order.customer_id,
            "ORDER_ROUTED",
            actor,
            now,
            order_id=order.pk,
            team=team.name,
            priority=priority,
        )
        open_cases([NewCase(case, order, [routed])], actor, now)
        order.case = case
        order.save(update_fields=["team", "priority", "status", "rule", "updated_at", "case"])
    return order


def channel_create(
    *,
    key: str,
    name: str,
    kind: str = ChannelKind.API,
    webhook_url: str = "",
    inbound_email: str = "",
    email_senders: list[str] | None = None,
    playbook_key: str = "service-order",
) -> tuple[SalesChannel, str]:
    """A sales channel, its integration user and a first API token (shown once)."""
    errors: dict[str, list[str]] = {}
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,49}", key):
        errors["key"] = ["2-50 lowercase letters, digits or dashes"]
    elif SalesChannel.objects.filter(key=key).exists():
        errors["key"] = ["already taken"]
    if kind not in ChannelKind.values:
        errors["kind"] = [f"one of {', '.join(ChannelKind.values)}"]
    if webhook_url and not re.match(r"https?://[^/\s]+", webhook_url):
        errors["webhook_url"] = ["an absolute http(s) URL"]
    if not name.strip():
        errors["name"] = ["this field is required"]
    inbound = inbound_email.strip().lower()
    if inbound and SalesChannel.objects.filter(inbound_email=inbound).exists():
        errors["inbound_email"] = ["another channel already receives orders at this address"]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        agent = agent_create(
            username=f"channel-{key}", name=name, password=None, role=Role.INTEGRATION
        )
        channel = SalesChannel.objects.create(
            key=key,
            name=name.strip(),
            kind=kind,
            user=agent.user,
            playbook_key=playbook_key,
            webhook_url=webhook_url,
            webhook_secret=secrets.token_hex(32),
            inbound_email=inbound,
            email_senders=[s.strip().lower() for s in email_senders or [] if s.strip()],
            created_at=clock.now(),
        )
        _, secret = token_create(agent.user, f"sales channel {key}")
    return channel, secret
