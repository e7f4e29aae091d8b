"""Domain functions for customers: create (the onboarding trigger), edit, orders, documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import active_versions_for
from opsdesk.cases.services import Known, case_open, dispatch_open_cases, flags_recheck
from opsdesk.common import bulk, clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.customers.models import Customer, Document, Order, Source
from opsdesk.customers.profile import normalize_email, normalize_phone, valid_country
from opsdesk.engine.types import Event
from opsdesk.playbook.fields import coerce_fields

LANGUAGES = {"tr", "en", "de", "fr", "ar", "ru", "fa", "uk", "es"}
PROFILE_FIELDS = (
    "given_name",
    "middle_name",
    "family_name",
    "phone",
    "whatsapp",
    "email",
    "nationality",
    "language",
)


@dataclass
class CustomerInput:
    given_name: str
    family_name: str
    middle_name: str = ""
    phone: str = ""
    whatsapp: bool = False
    email: str = ""
    nationality: str = ""
    language: str = "en"
    source: str = Source.STAFF
    fields: dict[str, Any] = field(default_factory=dict)  # the playbook's case fields
    order: dict[str, Any] | None = None  # {"service_type", "notes"}
    documents: list[str] = field(default_factory=list)  # document types already uploaded


def profile_values(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Normalize what can be normalized. Missing or suspicious values are kept and
    become flags on the case (SOP step 1); only malformed input is refused here."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for name in ("given_name", "middle_name", "family_name"):
        if name in data:
            value = " ".join(str(data[name] or "").split())
            if len(value) > 100:
                errors[name] = ["at most 100 characters"]
            out[name] = value
    if "phone" in data:
        raw = str(data["phone"] or "").strip()
        if len(raw) > 40:
            errors["phone"] = ["at most 40 characters"]
        e164 = normalize_phone(raw) if raw else None
        out["phone"], out["phone_raw"] = (e164 or ""), ("" if e164 else raw)
    if "email" in data:
        raw = str(data["email"] or "").strip()
        if len(raw) > 254:
            errors["email"] = ["at most 254 characters"]
        normalized = normalize_email(raw) if raw else None
        out["email"], out["email_raw"] = (normalized or ""), ("" if normalized else raw)
    if "nationality" in data:
        code = str(data["nationality"] or "").strip().upper()
        if code and not valid_country(code):
            errors["nationality"] = [f"{code!r} is not an ISO 3166 country code (e.g. TR, GB)"]
        out["nationality"] = code
    if "language" in data:
        lang = str(data["language"] or "").strip().lower()
        if lang not in LANGUAGES:
            errors["language"] = [f"one of {', '.join(sorted(LANGUAGES))}"]
        out["language"] = lang
    if "whatsapp" in data:
        out["whatsapp"] = bool(data["whatsapp"])
    return out, errors


def customer_create(data: CustomerInput, actor: Actor) -> Customer:
    """Create a customer and open a case under every playbook it triggers.

    Everything happens in one transaction: either the customer, order,
    documents, cases and their first decisions are all saved, or nothing is.
    """
    values, errors = profile_values(
        {k: getattr(data, k) for k in PROFILE_FIELDS if k != "whatsapp"}
        | {"whatsapp": data.whatsapp}
    )
    for name in ("given_name", "family_name"):
        if not values.get(name):
            errors.setdefault(name, []).append("this field is required")
    if data.source not in Source.values:
        errors["source"] = [f"one of {', '.join(Source.values)}"]
    versions = active_versions_for("customer.created")
    for _, pb in versions:
        _, field_errors = coerce_fields(pb, data.fields)
        for k, v in field_errors.items():
            errors.setdefault(f"fields.{k}", []).extend(v)
    if data.order is not None and not str(data.order.get("service_type", "")).strip():
        errors["order.service_type"] = ["this field is required"]
    if errors:
        raise ValidationFailed(errors)

    now = clock.now()
    with transaction.atomic(), bulk.pipelined():
        customer = Customer(
            **values,
            source=data.source,
            created_at=now,
            updated_at=now,
            created_by=actor.user,
        )
        bulk.insert([customer])
        created = timeline_row(
            None, customer.pk, "CUSTOMER_CREATED", actor, now, source=data.source
        )
        order = None
        if data.order is not None:
            order = Order(
                customer=customer,
                service_type=str(data.order["service_type"]).strip(),
                notes=str(data.order.get("notes") or ""),
                placed_at=now,
            )
            bulk.insert([order])
        documents = tuple(dict.fromkeys(data.documents))
        bulk.insert(
            [
                Document(customer=customer, doc_type=d, received_at=now, source="APP_WEB")
                for d in documents
            ]
        )
        if not versions:
            created.save()
        for i, (version, _) in enumerate(versions):
            # The first case writes CUSTOMER_CREATED with its own timeline rows.
            known = Known(order=order, documents=documents, timeline=(created,) if i == 0 else ())
            case_open(
                customer=customer, version=version, fields=data.fields, actor=actor, known=known
            )
    return customer


def customer_update(customer_id: str, changes: dict[str, Any], actor: Actor) -> Customer:
    """Edit the profile; flags whose problem is gone resolve themselves."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    values, errors = profile_values(changes)
    for name in unknown:
        errors[name] = ["not a profile field"]
    for name in ("given_name", "family_name"):
        if name in values and not values[name]:
            errors[name] = ["this field is required"]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        changed = {k: v for k, v in values.items() if getattr(customer, k) != v}
        if not changed:
            return customer
        now = clock.now()
        for k, v in changed.items():
            setattr(customer, k, v)
        customer.updated_at = now
        customer.save(update_fields=[*changed, "updated_at"])
        timeline_row(
            None, customer.pk, "CUSTOMER_UPDATED", actor, now, fields=sorted(changed)
        ).save()
        flags_recheck(customer, actor)
        dispatch_open_cases(customer.pk, Event("customer.updated"), actor)
    return customer


def order_review(order_id: str, actor: Actor, *, service_type: str, notes: str) -> Order:
    """SOP step 5: the agent confirms the service type and the intake notes."""
    service_type = service_type.strip()
    if not service_type:
        raise ValidationFailed({"service_type": ["this field is required"]})
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.reviewed_at is not None:
            raise Conflict("the order is already reviewed")
        now = clock.now()
        order.service_type, order.notes = service_type, notes
        order.reviewed_at, order.reviewed_by = now, actor.user
        order.save(update_fields=["service_type", "notes", "reviewed_at", "reviewed_by"])
        timeline_row(
            None,
            order.customer_id,
            "ORDER_REVIEWED",
            actor,
            now,
            order_id=order.pk,
            service_type=service_type,
        ).save()
        dispatch_open_cases(order.customer_id, Event("order.reviewed"), actor)
    return order


def document_receive(
    customer_id: str, doc_type: str, actor: Actor, *, file: Any = None
) -> Document:
    doc_type = doc_type.strip()
    if not doc_type:
        raise ValidationFailed({"doc_type": ["this field is required"]})
    with transaction.atomic():
        now = clock.now()
        doc = Document(customer_id=customer_id, doc_type=doc_type, received_at=now, source="STAFF")
        if file is not None:
            doc.file = file
        doc.save()
        document_received(doc, actor)
    return doc


def document_received(doc: Document, actor: Actor) -> None:
    """After a document is saved, in the caller's transaction: the DOCUMENT_RECEIVED
    timeline row and the `document.received` event to the customer's open cases.
    Shared by `document_receive` and `documents.document_upload`."""
    timeline_row(
        None,
        doc.customer_id,
        "DOCUMENT_RECEIVED",
        actor,
        doc.received_at,
        document_id=doc.pk,
        doc_type=doc.doc_type,
    ).save()
    dispatch_open_cases(
        doc.customer_id, Event("document.received", {"doc_type": doc.doc_type}), actor
    )


def open_case_of(customer_id: str) -> Case | None:
    return Case.objects.filter(customer_id=customer_id).order_by("-opened_at").first()
