"""Request and response bodies of the API (pydantic, through django-ninja)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator


def _utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC: the database takes only offsets within ±16 hours,
    and a moment that falls outside years 1-9999 in UTC is refused (422)."""
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("a date and time within the years 1 to 9999 in UTC") from None


# An input date and time (body or query), kept in UTC when it carries an offset.
UtcDatetime = Annotated[dt.datetime, AfterValidator(_utc)]
# A day whose local start and end (any time zone) are dates Python can represent.
Day = Annotated[dt.date, Field(ge=dt.date(1, 1, 2), le=dt.date(9999, 12, 30))]


class OrderIn(Schema):
    service_type: str = Field(min_length=1, max_length=50)
    notes: str = Field(default="", max_length=5000)


class CustomerIn(Schema):
    given_name: str = Field(max_length=100, description="As printed in the passport")
    middle_name: str = Field(default="", max_length=100)
    family_name: str = Field(max_length=100)
    phone: str = Field(default="", max_length=40, description="With country code, e.g. +90…")
    whatsapp: bool = False
    email: str = Field(default="", max_length=254)
    nationality: str = Field(default="", max_length=2, description="ISO 3166-1 alpha-2")
    language: str = Field(default="en", max_length=8)
    source: Literal["APP_WEB", "STAFF", "API", "WHATSAPP", "REFERRAL"] = "APP_WEB"
    fields: dict[str, Any] = Field(default_factory=dict, description="The playbook's case fields")
    order: OrderIn | None = None
    documents: list[str] = Field(default_factory=list, description="Types already uploaded")


class CustomerPatch(Schema):
    given_name: str | None = None
    middle_name: str | None = None
    family_name: str | None = None
    phone: str | None = None
    whatsapp: bool | None = None
    email: str | None = None
    nationality: str | None = None
    language: str | None = None


class FlagOut(Schema):
    id: str
    code: str
    field: str
    message: str
    status: str
    reason: str


class CaseOut(Schema):
    id: str
    number: str
    playbook: str
    state: str
    status: str
    agent_id: str | None
    agent_name: str | None
    fields: dict[str, Any]
    opened_at: dt.datetime
    flags: list[FlagOut]


class CustomerOut(Schema):
    id: str
    given_name: str
    middle_name: str
    family_name: str
    phone: str
    phone_raw: str
    whatsapp: bool
    email: str
    nationality: str
    language: str
    source: str
    created_at: dt.datetime
    cases: list[CaseOut]


class TimelineOut(Schema):
    id: int
    case_id: str | None
    type: str
    actor: str
    payload: dict[str, Any]
    at: dt.datetime


class TaskOut(Schema):
    id: str
    customer_id: str
    case_id: str | None
    key: str
    title: str
    description: str
    priority: str
    status: str
    due_at: dt.datetime | None
    assignee_id: str | None
    checklist: list[dict[str, Any]]


class TaskIn(Schema):
    key: str = ""
    title: str = Field(default="", max_length=300)
    description: str = ""
    priority: Literal["LOW", "MEDIUM", "HIGH", "URGENT"] = "MEDIUM"
    due_at: UtcDatetime | None = None


class MessageOut(Schema):
    id: str
    case_id: str | None
    channel: str
    direction: str
    template: str
    body: str
    status: str
    created_at: dt.datetime


class SendIn(Schema):
    template: str


class LogIn(Schema):
    channel: Literal["WHATSAPP", "SMS", "EMAIL", "VOICE", "PHONE", "PORTAL"]
    direction: Literal["INBOUND", "OUTBOUND"]
    body: str = Field(min_length=1, max_length=10000)
    template: str = ""
    case_id: str | None = None


class TransitionIn(Schema):
    to: str


class AssignIn(Schema):
    agent_id: str
    reason: str = Field(default="", max_length=500)


class ResolveIn(Schema):
    reason: str = Field(default="", max_length=2000)


class ReviewIn(Schema):
    service_type: str = Field(min_length=1, max_length=50)
    notes: str = ""


class DocumentIn(Schema):
    doc_type: str = Field(min_length=1, max_length=120)


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None
    reasons: list[str] | None = None


# The error answers every authenticated operation may give, documented once:
# 401 before any view runs (no or a bad token/session), then the domain errors.
ERRORS: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
