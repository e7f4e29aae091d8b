"""Applications in from partner platforms, and what the back office records on
them: items found missing at review, each traveller's status and appointment.

Every change that matters to the playbook is told to the case as an event:
`application.updated` (an item noted missing or resolved) and
`traveller.updated` (a traveller's status or appointment), so the playbook
decides what follows (a request to the customer, the next stage, a status push
to the partner).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from opsdesk.applications.context import application_dict
from opsdesk.applications.models import (
    Application,
    ItemKind,
    ItemStatus,
    MissingItem,
    Traveller,
    TravellerStatus,
)
from opsdesk.cases.apply import timeline_row
from opsdesk.cases.playbooks import active_versions_for
from opsdesk.cases.services import Known, case_open, dispatch
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.customers.documents import document_upload
from opsdesk.customers.models import Customer, Document, Source
from opsdesk.customers.profile import valid_country
from opsdesk.customers.services import profile_values
from opsdesk.engine.types import Event
from opsdesk.partners.models import PartnerPlatform
from opsdesk.playbook.fields import coerce_fields

TRIGGER = "application.received"
CONFIRMATION = "appointment_confirmation"  # the document type of a booking's PDF
KEY = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")
MAX_TRAVELLERS = 20


@dataclass
class TravellerInput:
    given_name: str
    family_name: str
    date_of_birth: dt.date | None = None
    passport_number: str = ""


@dataclass
class ApplicationInput:
    partner_ref: str
    destination: str
    visa_type: str
    given_name: str  # the customer (who the agency talks to)
    family_name: str
    travellers: list[TravellerInput]
    phone: str = ""
    whatsapp: bool = True
    email: str = ""
    language: str = "en"
    partner_url: str = ""
    travel_start: dt.date | None = None
    travel_end: dt.date | None = None
    checklist: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # the playbook's case fields


def _validate(data: ApplicationInput) -> tuple[dict[str, Any], dict[str, list[str]]]:
    profile, errors = profile_values(
        {
            "given_name": data.given_name,
            "family_name": data.family_name,
            "phone": data.phone,
            "email": data.email,
            "language": data.language,
            "whatsapp": data.whatsapp,
        }
    )
    for name in ("given_name", "family_name"):
        if not profile.get(name):
            errors[name] = ["this field is required"]
    if not profile.get("phone") and not profile.get("email"):
        errors.setdefault("phone", []).append("a phone number or an email is needed")
    ref = (data.partner_ref or "").strip()
    if not ref or len(ref) > 100:
        errors["partner_ref"] = ["1-100 characters"]
    if not valid_country((data.destination or "").strip().upper()):
        errors["destination"] = [f"{data.destination!r} is not an ISO 3166 country code"]
    if not (data.visa_type or "").strip() or len(data.visa_type) > 60:
        errors["visa_type"] = ["1-60 characters"]
    if data.travel_start and data.travel_end and data.travel_end < data.travel_start:
        errors["travel_end"] = ["must not be before the travel start"]
    if not data.travellers:
        errors["travellers"] = ["at least one traveller"]
    elif len(data.travellers) > MAX_TRAVELLERS:
        errors["travellers"] = [f"at most {MAX_TRAVELLERS} travellers"]
    for n, t in enumerate(data.travellers):
        if not (t.given_name or "").strip() or not (t.family_name or "").strip():
            errors[f"travellers[{n}]"] = ["given_name and family_name are required"]
    keys = [str(item.get("key", "")) for item in data.checklist]
    bad = [f"{k!r}: a lower-case key such as passport_copy" for k in keys if not KEY.match(k)]
    bad += [f"{k!r} twice" for k in sorted({k for k in keys if keys.count(k) > 1})]
    if bad:
        errors["checklist"] = bad
    return profile, errors


def application_receive(
    partner: PartnerPlatform, data: ApplicationInput, actor: Actor
) -> tuple[Application, bool]:
    """A partner assigns an application: the customer, the case under the playbook
    triggered by `application.received`, the travellers and the checklist. A repeat
    of the partner's reference returns the first (False: not created)."""
    existing = Application.objects.filter(partner=partner, partner_ref=data.partner_ref.strip())
    if (found := existing.first()) is not None:
        return found, False
    profile, errors = _validate(data)
    versions = active_versions_for(TRIGGER)
    if not versions:
        errors["playbook"] = [f"no active playbook is triggered by {TRIGGER}"]
    else:
        _, field_errors = coerce_fields(versions[0][1], data.fields)
        errors.update({f"fields.{k}": v for k, v in field_errors.items()})
    if errors:
        raise ValidationFailed(errors)
    version, _ = versions[0]
    now = clock.now()
    try:
        with transaction.atomic():
            customer = _customer(profile, actor, now)
            app = Application(
                partner=partner,
                partner_ref=data.partner_ref.strip(),
                partner_url=data.partner_url.strip(),
                customer=customer,
                destination=data.destination.strip().upper(),
                visa_type=data.visa_type.strip(),
                travel_start=data.travel_start,
                travel_end=data.travel_end,
                checklist=[
                    {
                        "key": str(i["key"]),
                        "label": str(i.get("label") or i["key"]),
                        "per_traveller": bool(i.get("per_traveller", False)),
                    }
                    for i in data.checklist
                ],
                received_at=now,
                updated_at=now,
            )
            app.save()
            Traveller.objects.bulk_create(
                Traveller(
                    application=app,
                    position=n,
                    given_name=" ".join(t.given_name.split()),
                    family_name=" ".join(t.family_name.split()),
                    date_of_birth=t.date_of_birth,
                    passport_number=t.passport_number.strip(),
                    updated_at=now,
                )
                for n, t in enumerate(data.travellers, start=1)
            )
            case = case_open(
                customer=customer,
                version=version,
                fields=data.fields,
                actor=actor,
                known=Known(context={"application": application_dict(app)}),
            )
            Application.objects.filter(pk=app.pk).update(case=case)
            app.case = case
    except IntegrityError:
        # The same reference sent twice at once: the other request created it.
        return existing.get(), False
    return app, True


def _customer(profile: dict[str, Any], actor: Actor, now: dt.datetime) -> Customer:
    found = None
    if profile.get("phone"):
        found = Customer.objects.filter(phone=profile["phone"]).first()
    if found is None and profile.get("email"):
        found = Customer.objects.filter(email=profile["email"]).first()
    if found is not None:
        return found
    customer = Customer.objects.create(
        **profile, source=Source.API, created_at=now, updated_at=now, created_by=actor.user
    )
    timeline_row(None, customer.pk, "CUSTOMER_CREATED", actor, now, source=Source.API).save()
    return customer


def _tell(app: Application, event: str, actor: Actor, **data: Any) -> None:
    if app.case_id is not None:
        dispatch(app.case_id, Event(event, {"application_id": app.pk, **data}), actor)


def missing_item_record(
    application_id: str,
    *,
    kind: str,
    key: str,
    label: str,
    actor: Actor,
    traveller_id: str | None = None,
    note: str = "",
) -> MissingItem:
    """The review found something missing: recorded on the application (not only in a
    note), and the playbook hears `application.updated` (e.g. to ask the customer)."""
    errors: dict[str, list[str]] = {}
    if kind not in ItemKind.values:
        errors["kind"] = [f"one of {', '.join(ItemKind.values)}"]
    if not KEY.match(key or ""):
        errors["key"] = ["a lower-case key such as passport_copy"]
    if not (label or "").strip() or len(label) > 200:
        errors["label"] = ["1-200 characters"]
    app = Application.objects.filter(pk=application_id).first()
    if app is None:
        raise ValidationFailed({"application": [f"no application {application_id}"]})
    if traveller_id and not app.travellers.filter(pk=traveller_id).exists():
        errors["traveller"] = ["not a traveller of this application"]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    with transaction.atomic():
        # The application's row lock serialises notes on it: the unique constraint
        # cannot see a repeat for the whole application (traveller NULL).
        Application.objects.select_for_update().filter(pk=app.pk).first()
        again = MissingItem.objects.filter(
            application=app, traveller_id=traveller_id or None, key=key, status=ItemStatus.MISSING
        )
        if again.exists():
            raise Conflict(f"{label.strip()} is already noted as missing")
        item = MissingItem.objects.create(
            application=app,
            traveller_id=traveller_id or None,
            kind=kind,
            key=key,
            label=label.strip(),
            note=(note or "").strip(),
            noted_by=actor.label,
            noted_at=now,
        )
        _tell(app, "application.updated", actor, item=key, change="missing")
    return item


def missing_item_resolve(item_id: int, *, status: str, actor: Actor) -> MissingItem:
    """RECEIVED (the customer sent it) or WAIVED (not needed after all)."""
    if status not in (ItemStatus.RECEIVED, ItemStatus.WAIVED):
        raise ValidationFailed({"status": ["RECEIVED or WAIVED"]})
    now = clock.now()
    with transaction.atomic():
        changed = MissingItem.objects.filter(pk=item_id, status=ItemStatus.MISSING).update(
            status=status, resolved_by=actor.label, resolved_at=now
        )
        item = MissingItem.objects.select_related("application").get(pk=item_id)
        if not changed:
            raise Conflict(f"{item.label} is already {item.get_status_display().lower()}")
        _tell(item.application, "application.updated", actor, item=item.key, change=status)
    return item


def traveller_update(
    traveller_id: str,
    *,
    actor: Actor,
    status: str | None = None,
    appointment_at: dt.datetime | None = None,
    appointment_place: str | None = None,
    appointment_document: Document | None = None,
) -> Traveller:
    """A traveller's status, or their booked appointment (date, time, the visa
    centre's address, the confirmation PDF); the playbook hears `traveller.updated`."""
    errors: dict[str, list[str]] = {}
    if status is not None and status not in TravellerStatus.values:
        errors["status"] = [f"one of {', '.join(TravellerStatus.values)}"]
    if appointment_at is not None and appointment_at.tzinfo is None:
        errors["appointment_at"] = ["a date and time with its time zone"]
    if status == TravellerStatus.APPOINTMENT_BOOKED and appointment_at is None:
        errors["appointment_at"] = ["the appointment's date and time are needed"]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    with transaction.atomic():
        t = Traveller.objects.select_for_update().select_related("application").get(pk=traveller_id)
        changes: dict[str, Any] = {"updated_at": now}
        if status is not None:
            changes["status"] = status
        if appointment_at is not None:
            changes["appointment_at"] = appointment_at
        if appointment_place is not None:
            changes["appointment_place"] = appointment_place.strip()
        if appointment_document is not None:
            if appointment_document.customer_id != t.application.customer_id:
                raise ValidationFailed({"appointment_document": ["not this customer's document"]})
            changes["appointment_document"] = appointment_document
        Traveller.objects.filter(pk=t.pk).update(**changes)
        t.refresh_from_db()
        _tell(
            t.application,
            "traveller.updated",
            actor,
            traveller_id=t.pk,
            traveller=f"{t.given_name} {t.family_name}",
            status=t.status,
        )
    return t


def traveller_book_appointment(
    traveller_id: str,
    *,
    actor: Actor,
    appointment_at: dt.datetime | None,
    appointment_place: str,
    confirmation: UploadedFile | None = None,
) -> Traveller:
    """The booked appointment: date and time, the visa centre's address and the
    confirmation PDF (stored as the customer's document, subject = the traveller);
    the traveller becomes APPOINTMENT_BOOKED. All of it or, refused, none of it
    (the stored file too)."""
    t = Traveller.objects.select_related("application__customer", "application__case").get(
        pk=traveller_id
    )
    with transaction.atomic():
        doc = None
        if confirmation is not None:
            doc = document_upload(
                t.application.customer,
                doc_type=CONFIRMATION,
                file=confirmation,
                actor=actor,
                case=t.application.case,
                subject=t.pk,
            )
        try:
            return traveller_update(
                t.pk,
                actor=actor,
                status=TravellerStatus.APPOINTMENT_BOOKED,
                appointment_at=appointment_at,
                appointment_place=appointment_place,
                appointment_document=doc,
            )
        except BaseException:
            if doc is not None:  # the transaction forgets the row, storage keeps files
                default_storage.delete(doc.file.name)
            raise


def travellers_of(application: Application) -> Sequence[Traveller]:
    return list(application.travellers.all())
