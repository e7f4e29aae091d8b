"""/api/v1/orders and /api/v1/hand-backs: sales channels send service orders and follow them.

The caller is a sales channel: the integration user its tokens belong to
(`SalesChannel.user`). Anyone else gets 403; a channel sees only its own
orders and hand-backs (another channel's id answers 404).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Status
from pydantic import ValidationError

from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.order_schemas import BulkIn, BulkOut, ChannelHandBackOut, OrderIn, OrderOut
from opsdesk.api.schemas import ERRORS, UtcDatetime
from opsdesk.cases.models import Case, CaseMilestone
from opsdesk.common.errors import NotAllowed
from opsdesk.orders.intake import OrderInput, RowResult, order_receive, orders_receive
from opsdesk.orders.models import HandBack, SalesChannel, ServiceOrder
from opsdesk.staff.models import Team

router = Router(tags=["orders"], auth=AUTH)
StatusFilter = Literal["INELIGIBLE", "EXCEPTION", "ACCEPTED", "HANDED_BACK", "CLOSED"]


def channel_of(request: HttpRequest) -> SalesChannel:
    """The caller's sales channel; NotAllowed (403) for anyone who is not an active one."""
    user = request.user
    channel = SalesChannel.objects.filter(user=user).first() if user.is_authenticated else None
    if channel is None:
        raise NotAllowed("not allowed: only a sales channel sends and reads service orders")
    if not channel.active:
        raise NotAllowed(f"not allowed: sales channel {channel.key} is inactive")
    return channel


def order_input(payload: OrderIn) -> OrderInput:
    data = payload.model_dump()
    data["documents"] = [dict(d) for d in data["documents"]]
    return OrderInput(**data)


def _summary(order: ServiceOrder, team: str | None, case: Any) -> dict[str, Any]:
    return {
        "id": order.pk,
        "external_ref": order.external_ref,
        "status": order.status,
        "zone": order.zone,
        "priority": order.priority,
        "team": team,
        "failed_checks": order.failed_checks,
        "case_number": case.number if case else None,
        "case_state": case.state if case else None,
        "received_at": order.received_at,
        "links": {"self": f"/api/v1/orders/{order.pk}"},
    }


def _orders_qs(channel: SalesChannel) -> Any:
    return (
        ServiceOrder.objects.filter(channel=channel)
        .select_related("team", "case")
        .prefetch_related(
            Prefetch("hand_backs", queryset=HandBack.objects.order_by("created_at", "id")),
            Prefetch("case__milestones", queryset=CaseMilestone.objects.order_by("at", "id")),
        )
    )


def order_out(order: ServiceOrder) -> dict[str, Any]:
    """An order from `_orders_qs` (relations prefetched) as `OrderOut`."""
    case = order.case
    return {
        **_summary(order, order.team.name if order.team else None, case),
        "hand_backs": list(order.hand_backs.all()),
        "milestones": list(case.milestones.all()) if case else [],
    }


def _rows_out(results: Iterable[RowResult]) -> list[dict[str, Any]]:
    """Row results with order summaries, in three queries whatever the batch size."""
    results = list(results)
    orders = [r.order for r in results if r.order is not None]
    teams = dict(Team.objects.filter(pk__in={o.team_id for o in orders}).values_list("pk", "name"))
    cases = Case.objects.filter(pk__in={o.case_id for o in orders if o.case_id}).only(
        "number", "state"
    )
    by_id = {c.pk: c for c in cases}
    return [
        {
            "index": r.index,
            "external_ref": r.external_ref,
            "outcome": r.outcome,
            "order": (
                _summary(r.order, teams.get(r.order.team_id), by_id.get(r.order.case_id))
                if r.order is not None
                else None
            ),
            "errors": r.errors or None,
        }
        for r in results
    ]


@router.post("/orders", response={200: OrderOut, 201: OrderOut, **ERRORS})
def create_order(request: HttpRequest, payload: OrderIn) -> Status[Any]:
    """Receive one order: 201 when stored (also when INELIGIBLE), 200 for a retry of its
    `external_ref` (the stored order, nothing new written), 422 for bad input."""
    channel = channel_of(request)
    result = order_receive(channel, order_input(payload), lookups.actor(request))
    assert result.order is not None
    order = _orders_qs(channel).get(pk=result.order.pk)
    return Status(201 if result.outcome == "created" else 200, order_out(order))


@router.post("/orders/bulk", response={200: BulkOut, **ERRORS})
def create_orders(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Receive up to 5000 orders; every row gets its outcome. A rejected row writes
    nothing; the others are stored (or found again, for a retried `external_ref`)."""
    channel = channel_of(request)
    parsed: list[tuple[int, OrderInput]] = []
    rejected: list[RowResult] = []
    for index, row in enumerate(payload.orders):
        try:
            parsed.append((index, order_input(OrderIn.model_validate(row))))
        except ValidationError as exc:
            ref = row.get("external_ref") if isinstance(row, dict) else None
            ref = ref.strip() if isinstance(ref, str) else ""
            rejected.append(RowResult(index, ref, "rejected", errors=_field_errors(exc)))
    received = orders_receive(channel, [data for _, data in parsed], lookups.actor(request))
    for (index, _), result in zip(parsed, received, strict=True):
        result.index = index
    results = sorted([*received, *rejected], key=lambda r: r.index)
    totals = {"created": 0, "duplicate": 0, "rejected": 0}
    for r in results:
        totals[r.outcome] += 1
    return {"results": _rows_out(results), "totals": totals}


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Pydantic's errors as the API's field messages (`documents[0].type`)."""
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        name = ""
        for part in err.get("loc", ()):
            name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
        errors.setdefault(name or "body", []).append(err.get("msg", "invalid"))
    return errors


def _aware(when: dt.datetime) -> dt.datetime:
    """A `since` without a UTC offset is read as UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


@router.get("/orders/{order_id}", response={200: OrderOut, **ERRORS})
def get_order(request: HttpRequest, order_id: str) -> dict[str, Any]:
    """One of the channel's orders with its hand-backs and its case's milestones."""
    return order_out(_orders_qs(channel_of(request)).get(pk=order_id))


@router.get("/orders", response={200: list[OrderOut], **ERRORS})
def list_orders(
    request: HttpRequest,
    external_ref: str | None = None,
    status: StatusFilter | None = None,
    since: UtcDatetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Any]:
    """The channel's orders, newest first; `since` keeps those received at or after it."""
    qs = _orders_qs(channel_of(request))
    if external_ref is not None:
        qs = qs.filter(external_ref=external_ref.strip())
    if status is not None:
        qs = qs.filter(status=status)
    if since is not None:
        qs = qs.filter(received_at__gte=_aware(since))
    return [order_out(o) for o in lookups.page(qs.order_by("-received_at", "-id"), limit, offset)]


@router.get("/hand-backs", response={200: list[ChannelHandBackOut], **ERRORS})
def list_hand_backs(
    request: HttpRequest, since: UtcDatetime | None = None, limit: int = 100, offset: int = 0
) -> list[Any]:
    """The channel's hand-backs, newest first; `since` keeps those created at or after it."""
    qs = HandBack.objects.filter(order__channel=channel_of(request)).select_related("order")
    if since is not None:
        qs = qs.filter(created_at__gte=_aware(since))
    return [
        {
            "id": h.pk,
            "order_id": h.order_id,
            "external_ref": h.order.external_ref,
            "reason": h.reason,
            "status": h.status,
            "created_at": h.created_at,
            "acknowledged_at": h.acknowledged_at,
        }
        for h in lookups.page(qs.order_by("-created_at", "-id"), limit, offset)
    ]
