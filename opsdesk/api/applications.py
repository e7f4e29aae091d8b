"""/api/v1/applications: partner platforms assign applications; staff record
what the review finds missing and each traveller's status and appointment.

A partner is the integration user of a `PartnerPlatform`; it creates
applications and reads its own (another partner's id answers 404). Staff act
under `case.act` on the application's customer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opsdesk.access.policy import restrict
from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.schemas import ERRORS, UtcDatetime
from opsdesk.applications import services
from opsdesk.applications.models import Application, MissingItem, Traveller
from opsdesk.common.errors import NotAllowed
from opsdesk.partners.models import PartnerPlatform
from opsdesk.partners.selectors import case_pushes
from opsdesk.privacy.audit import record_view

router = Router(tags=["applications"], auth=AUTH)


class TravellerIn(Schema):
    given_name: str
    family_name: str
    date_of_birth: dt.date | None = None
    passport_number: str = ""


class ChecklistItemIn(Schema):
    key: str = Field(description="e.g. passport_copy")
    label: str = ""
    per_traveller: bool = False


class ApplicationIn(Schema):
    partner_ref: str = Field(description="The partner's own reference; retries reuse it")
    partner_url: str = Field(default="", description="The application on the partner's platform")
    destination: str = Field(description="ISO 3166 alpha-2, e.g. DE")
    visa_type: str
    travel_start: dt.date | None = None
    travel_end: dt.date | None = None
    given_name: str = Field(description="The customer we talk to")
    family_name: str
    phone: str = ""
    whatsapp: bool = True
    email: str = ""
    language: str = "en"
    travellers: list[TravellerIn]
    checklist: list[ChecklistItemIn] = []
    fields: dict[str, Any] = {}


class TravellerOut(Schema):
    id: str
    position: int
    given_name: str
    family_name: str
    status: str
    appointment_at: dt.datetime | None
    appointment_place: str
    appointment_document_id: str | None


class MissingItemOut(Schema):
    id: int
    kind: str
    key: str
    label: str
    traveller_id: str | None
    note: str
    status: str
    noted_by: str
    noted_at: dt.datetime
    resolved_at: dt.datetime | None


class StatusPushOut(Schema):
    status: str
    subject: str
    state: str  # PENDING, DELIVERED, FAILED, NO_WEBHOOK
    attempts: int
    http_status: int | None
    last_error: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class ApplicationOut(Schema):
    id: str
    partner: str
    partner_ref: str
    partner_url: str
    destination: str
    visa_type: str
    travel_start: dt.date | None
    travel_end: dt.date | None
    customer_id: str
    case_number: str | None
    case_state: str | None
    checklist: list[dict[str, Any]]
    travellers: list[TravellerOut]
    missing_items: list[MissingItemOut]
    status_pushes: list[StatusPushOut]  # to the partner, oldest first


class MissingItemIn(Schema):
    kind: Literal["DOCUMENT", "INFORMATION"]
    key: str
    label: str
    traveller_id: str | None = None
    note: str = ""


class ResolveIn(Schema):
    status: Literal["RECEIVED", "WAIVED"]


class TravellerUpdateIn(Schema):
    status: str | None = None
    appointment_at: UtcDatetime | None = None
    appointment_place: str | None = None


def _partner(request: HttpRequest) -> PartnerPlatform | None:
    user = request.user
    return PartnerPlatform.objects.filter(user=user, active=True).first() if user else None


def _qs() -> Any:
    return Application.objects.select_related("partner", "case").prefetch_related(
        "travellers", "missing_items"
    )


def application_out(app: Application) -> dict[str, Any]:
    return {
        "id": app.pk,
        "partner": app.partner.key,
        "partner_ref": app.partner_ref,
        "partner_url": app.partner_url,
        "destination": app.destination,
        "visa_type": app.visa_type,
        "travel_start": app.travel_start,
        "travel_end": app.travel_end,
        "customer_id": app.customer_id,
        "case_number": app.case.number if app.case else None,
        "case_state": app.case.state if app.case else None,
        "checklist": app.checklist,
        "travellers": list(app.travellers.all()),
        "missing_items": sorted(app.missing_items.all(), key=lambda i: i.pk),
        "status_pushes": list(reversed(case_pushes(app.case_id))) if app.case_id else [],
    }


@router.post("/applications", response={200: ApplicationOut, 201: ApplicationOut, **ERRORS})
def create(request: HttpRequest, payload: ApplicationIn) -> Any:
    """A partner platform assigns an application (201; a repeat of `partner_ref` 200)."""
    partner = _partner(request)
    if partner is None:
        raise NotAllowed("not allowed: only a partner platform assigns applications")
    data = payload.model_dump()
    data["travellers"] = [services.TravellerInput(**t) for t in data["travellers"]]
    app, created = services.application_receive(
        partner, services.ApplicationInput(**data), lookups.actor(request)
    )
    return Status(201 if created else 200, application_out(_qs().get(pk=app.pk)))


def _readable(request: HttpRequest, application_id: str) -> Application:
    app = _qs().get(pk=application_id)
    partner = _partner(request)
    if partner is not None:
        if app.partner_id != partner.pk:
            raise Application.DoesNotExist  # another partner's: 404
        return app
    restrict(request.user, "customer.view", app.customer)
    return app


@router.get("/applications/{application_id}", response={200: ApplicationOut, **ERRORS})
def get(request: HttpRequest, application_id: str) -> Any:
    app = _readable(request, application_id)
    record_view(request, app.customer_id, app.case_id)
    return application_out(app)


@router.post(
    "/applications/{application_id}/missing-items", response={201: MissingItemOut, **ERRORS}
)
def missing(request: HttpRequest, application_id: str, payload: MissingItemIn) -> Any:
    """Record a document or item of information the review found missing."""
    app = _qs().get(pk=application_id)
    restrict(request.user, "case.act", app.customer)
    item = services.missing_item_record(app.pk, actor=lookups.actor(request), **payload.dict())
    return Status(201, item)


@router.post("/missing-items/{item_id}/resolve", response={200: MissingItemOut, **ERRORS})
def resolve(request: HttpRequest, item_id: int, payload: ResolveIn) -> Any:
    item = MissingItem.objects.select_related("application__customer").get(pk=item_id)
    restrict(request.user, "case.act", item.application.customer)
    return services.missing_item_resolve(
        item.pk, status=payload.status, actor=lookups.actor(request)
    )


@router.post("/travellers/{traveller_id}", response={200: TravellerOut, **ERRORS})
def traveller(request: HttpRequest, traveller_id: str, payload: TravellerUpdateIn) -> Any:
    """A traveller's status and/or booked appointment (the confirmation PDF is
    uploaded as a document and linked through the UI)."""
    t = Traveller.objects.select_related("application__customer").get(pk=traveller_id)
    restrict(request.user, "case.act", t.application.customer)
    return services.traveller_update(t.pk, actor=lookups.actor(request), **payload.dict())
