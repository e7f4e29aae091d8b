"""Request and response bodies of the service-order API (/api/v1/orders, /api/v1/hand-backs).

Inputs are typed loosely on purpose where the domain has its own messages
(`opsdesk.orders.intake._validate`): a date is a string here, and the intake
says "a date as YYYY-MM-DD" for the field that is wrong.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from opsdesk.orders.intake import MAX_BATCH


class OrderDocumentIn(Schema):
    type: str = Field(description="Document type, e.g. id_card, tax_certificate")
    valid_until: str | None = Field(default=None, description="YYYY-MM-DD; empty: no expiry")


class OrderIn(Schema):
    external_ref: str = Field(description="The channel's own order number; retries reuse it")
    given_name: str
    family_name: str
    service_type: str = Field(description="One of the playbook's service types")
    customer_type: str = "residential"
    phone: str = Field(default="", description="With country code; a phone or an email is needed")
    whatsapp: bool = True
    email: str = ""
    language: str = Field(default="", description="Empty: the playbook's default language")
    address: str = ""
    city: str = ""
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None
    documents: list[OrderDocumentIn] = Field(default_factory=list)
    notes: str = ""
    fields: dict[str, Any] = Field(
        default_factory=dict, description="More of the playbook's case fields"
    )


class BulkIn(Schema):
    # Rows are validated one by one in the view, so one malformed row is reported
    # as that row's errors instead of refusing the whole request.
    orders: list[Any] = Field(
        max_length=MAX_BATCH,
        description=f"Up to {MAX_BATCH} orders, each shaped as the body of POST /orders (OrderIn)",
    )


class HandBackOut(Schema):
    id: str
    reason: str
    status: Literal["PENDING", "ACKNOWLEDGED", "NO_WEBHOOK", "FAILED"]
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None


class ChannelHandBackOut(HandBackOut):
    order_id: str
    external_ref: str


class MilestoneOut(Schema):
    name: str
    at: dt.datetime


class OrderLinks(Schema):
    self: str


class OrderSummary(Schema):
    id: str
    external_ref: str
    status: Literal["INELIGIBLE", "EXCEPTION", "ACCEPTED", "HANDED_BACK", "CLOSED"]
    zone: str
    priority: str
    team: str | None
    failed_checks: list[dict[str, str]]
    case_number: str | None
    case_state: str | None
    received_at: dt.datetime
    links: OrderLinks


class OrderOut(OrderSummary):
    hand_backs: list[HandBackOut]
    milestones: list[MilestoneOut]


class RowOut(Schema):
    index: int = Field(description="Position of the row in `orders`, from 0")
    external_ref: str
    outcome: Literal["created", "duplicate", "rejected"]
    order: OrderSummary | None = None
    errors: dict[str, list[str]] | None = None


class BulkTotals(Schema):
    created: int
    duplicate: int
    rejected: int


class BulkOut(Schema):
    results: list[RowOut]
    totals: BulkTotals
