"""Service orders in from sales channels: one, a bulk batch, a CSV file, an email.

Every path goes through `orders_receive`: validate each row (a bad row is
reported with field-level reasons and nothing of it is written), drop repeats
of an external reference (idempotent retries), then for the rest, in one
transaction: customers, the zone, eligibility and classification from the
channel's playbook, and for eligible routed orders a case running its first
state (the confirmation cadence). Ineligible orders are stored and handed back
to the channel with the failed checks; orders no rule routes wait in the
exceptions queue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import IntegrityError, transaction

from opsdesk.cases.apply import timeline_row
from opsdesk.cases.batch import NewCase, open_cases
from opsdesk.cases.models import Case, PlaybookVersion
from opsdesk.cases.playbooks import active_versions_for
from opsdesk.cases.services import reserve_case_numbers
from opsdesk.cases.snapshot import customer_context
from opsdesk.common import bulk, clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.customers.models import Customer, Source
from opsdesk.customers.services import profile_values
from opsdesk.engine.decide import playbook_calendar
from opsdesk.engine.orders import Intake, assess
from opsdesk.orders import handback
from opsdesk.orders.context import order_dict
from opsdesk.orders.models import OrderStatus, SalesChannel, ServiceOrder
from opsdesk.playbook.fields import coerce_fields, to_json
from opsdesk.playbook.model import Playbook
from opsdesk.staff.models import Team

MAX_BATCH = 5000  # rows per bulk request
_CHUNK = 500  # rows per transaction inside a batch


@dataclass
class OrderInput:
    external_ref: str
    given_name: str
    family_name: str
    service_type: str
    customer_type: str = "residential"
    phone: str = ""
    whatsapp: bool = True
    email: str = ""
    language: str = ""
    address: str = ""
    city: str = ""
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    notes: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # more of the playbook's fields


Outcome = Literal["created", "duplicate", "rejected"]


@dataclass
class RowResult:
    index: int
    external_ref: str
    outcome: Outcome
    order: ServiceOrder | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Valid:
    index: int
    data: OrderInput
    profile: dict[str, Any]
    case_fields: dict[str, Any]
    documents: list[dict[str, Any]]


def channel_playbook(channel: SalesChannel) -> tuple[PlaybookVersion, Playbook]:
    for version, pb in active_versions_for("order.received"):
        if pb.key == channel.playbook_key:
            return version, pb
    raise ValidationFailed(
        {"channel": [f"no active order playbook {channel.playbook_key!r} for this channel"]}
    )


def order_receive(channel: SalesChannel, data: OrderInput, actor: Actor) -> RowResult:
    """One order. Raises ValidationFailed for bad input; a repeat returns the first."""
    (result,) = orders_receive(channel, [data], actor)
    if result.outcome == "rejected":
        raise ValidationFailed(result.errors)
    return result


def orders_receive(
    channel: SalesChannel,
    rows: Sequence[OrderInput],
    actor: Actor,
    progress: Any = None,
) -> list[RowResult]:
    """Every row's outcome, in order. `progress(n)` is called after each chunk."""
    if len(rows) > MAX_BATCH:
        raise ValidationFailed({"orders": [f"at most {MAX_BATCH} orders per request"]})
    version, pb = channel_playbook(channel)
    results: list[RowResult] = []
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        results += _receive_chunk(channel, version, pb, chunk, start, actor)
        if progress is not None:
            progress(len(chunk))
    return results


def _receive_chunk(
    channel: SalesChannel,
    version: PlaybookVersion,
    pb: Playbook,
    rows: Sequence[OrderInput],
    offset: int,
    actor: Actor,
) -> list[RowResult]:
    results: dict[int, RowResult] = {}
    valid: list[_Valid] = []
    seen: dict[str, int] = {}
    for i, data in enumerate(rows, start=offset):
        ref = str(data.external_ref or "").strip()
        clean, errors = _validate(pb, data)
        if errors:
            results[i] = RowResult(i, ref, "rejected", errors=errors)
        elif ref in seen:
            results[i] = RowResult(i, ref, "duplicate")  # the order is filled in below
        else:
            seen[ref] = i
            valid.append(_prepare(i, data, clean))
    for attempt in range(2):
        try:
            with transaction.atomic(), bulk.pipelined():
                written = _write(channel, version, pb, valid, actor)
            break
        except IntegrityError:
            # A concurrent request stored one of these references first: the
            # second pass finds it and reports it as a duplicate.
            if attempt == 1:
                raise
    for i, ref in ((v.index, v.data.external_ref.strip()) for v in valid):
        order, created = written[ref]
        results[i] = RowResult(i, ref, "created" if created else "duplicate", order=order)
    for result in results.values():
        if result.outcome == "duplicate" and result.order is None:
            result.order = results[seen[result.external_ref]].order
    return [results[i] for i in sorted(results)]


def _validate(pb: Playbook, data: OrderInput) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The normalised customer profile and typed case fields, and the row's errors by field."""
    errors: dict[str, list[str]] = {}
    ref = str(data.external_ref or "").strip()
    if not ref:
        errors["external_ref"] = ["this field is required"]
    elif len(ref) > 100:
        errors["external_ref"] = ["at most 100 characters"]
    profile, profile_errors = profile_values(_profile_input(pb, data))
    errors.update(profile_errors)
    for name in ("given_name", "family_name"):
        if not str(getattr(data, name) or "").strip():
            errors.setdefault(name, []).append("this field is required")
    if not (data.phone or data.email):
        errors["phone"] = ["give a phone number or an email address to reach the customer"]
    elif not (profile.get("phone") or profile.get("email")):
        # Nothing the cadence could reach: refused rather than stored to go nowhere.
        if data.phone:
            errors.setdefault("phone", []).append(
                "not a valid phone number; give it with the country code, e.g. +90 532 123 45 67"
            )
        if data.email:
            errors.setdefault("email", []).append("not a valid email address")
    if (data.latitude is None) != (data.longitude is None):
        errors["latitude"] = ["give both latitude and longitude, or neither"]
    elif data.latitude is not None and not (
        -90 <= data.latitude <= 90 and -180 <= data.longitude <= 180  # type: ignore[operator]
    ):
        errors["latitude"] = ["latitude in [-90, 90] and longitude in [-180, 180]"]
    for k, doc in enumerate(data.documents):
        if not isinstance(doc, dict) or not str(doc.get("type") or "").strip():
            errors[f"documents[{k}].type"] = ["this field is required"]
            continue
        until = doc.get("valid_until")
        if until not in (None, ""):
            try:
                dt.date.fromisoformat(str(until))
            except ValueError:
                errors[f"documents[{k}].valid_until"] = ["a date as YYYY-MM-DD"]
    values, field_errors = coerce_fields(pb, _case_fields_raw(pb, data))
    for name, messages in field_errors.items():
        key = name if name in ("service_type", "customer_type") else f"fields.{name}"
        errors.setdefault(key, []).extend(messages)
    return {"profile": profile, "fields": values}, errors


def _profile_input(pb: Playbook, data: OrderInput) -> dict[str, Any]:
    return {
        "given_name": data.given_name,
        "family_name": data.family_name,
        "phone": data.phone,
        "email": data.email,
        "language": data.language or pb.default_language,
        "whatsapp": data.whatsapp,
    }


def _case_fields_raw(pb: Playbook, data: OrderInput) -> dict[str, Any]:
    raw = dict(data.fields)
    for name in ("service_type", "customer_type"):
        if name in pb.fields:
            raw[name] = getattr(data, name)
    return raw


def _prepare(index: int, data: OrderInput, clean: dict[str, Any]) -> _Valid:
    documents = [
        {"type": str(d["type"]).strip(), "valid_until": str(d.get("valid_until") or "") or None}
        for d in data.documents
    ]
    return _Valid(index, data, clean["profile"], to_json(clean["fields"]), documents)


def _write(
    channel: SalesChannel,
    version: PlaybookVersion,
    pb: Playbook,
    rows: list[_Valid],
    actor: Actor,
) -> dict[str, tuple[ServiceOrder, bool]]:
    """In the caller's transaction: returns {external_ref: (order, created)}."""
    now = clock.now()
    refs = [r.data.external_ref.strip() for r in rows]
    out: dict[str, tuple[ServiceOrder, bool]] = {
        o.external_ref: (o, False)
        for o in ServiceOrder.objects.filter(channel=channel, external_ref__in=refs)
    }
    rows = [r for r in rows if r.data.external_ref.strip() not in out]
    if not rows:
        return out
    customers = _customers(rows, now, actor)
    teams = {t.name: t for t in Team.objects.all()}
    calendar = playbook_calendar(pb)
    today = calendar.local_date(now)
    orders: list[ServiceOrder] = []
    received: list[Any] = []
    new_cases: list[NewCase] = []
    ineligible: list[tuple[ServiceOrder, Intake]] = []
    for row, customer in zip(rows, customers, strict=True):
        d = row.data
        order = ServiceOrder(
            channel=channel,
            external_ref=d.external_ref.strip(),
            customer=customer,
            service_type=str(row.case_fields.get("service_type") or d.service_type),
            customer_type=str(d.customer_type or ""),
            address=d.address.strip(),
            city=d.city.strip(),
            postcode=d.postcode.strip(),
            latitude=d.latitude,
            longitude=d.longitude,
            documents=row.documents,
            notes=d.notes,
            extra={k: v for k, v in row.case_fields.items() if k not in ("service_type",)},
            received_at=now,
            updated_at=now,
        )
        intake = assess(pb, order_dict(order), customer_context(customer), today)
        order.zone = intake.zone or ""
        order.priority = intake.routing.priority
        order.rule = intake.routing.rule or ""
        order.failed_checks = [{"check": f.check, "message": f.message} for f in intake.failed]
        team = teams.get(intake.routing.team) if intake.routing.team else None
        if not intake.eligible:
            order.status = OrderStatus.INELIGIBLE
            ineligible.append((order, intake))
        elif team is None:
            # No rule fits (or its team does not exist yet): routed by hand.
            order.status = OrderStatus.EXCEPTION
        else:
            order.status = OrderStatus.ACCEPTED
            order.team = team
        orders.append(order)
        received.append(
            timeline_row(
                None,
                customer.pk,
                "ORDER_RECEIVED",
                actor,
                now,
                order_id=order.pk,
                channel=channel.key,
                external_ref=order.external_ref,
                status=order.status,
                zone=order.zone,
                rule=order.rule,
                failed_checks=order.failed_checks,
            )
        )
        if order.status == OrderStatus.ACCEPTED:
            new_cases.append(NewCase(Case(), order, []))
    numbers = reserve_case_numbers(pb.case_prefix, today.year, len(new_cases))
    by_order = {}
    for item, number in zip(new_cases, numbers, strict=True):
        order = item.order
        assert order is not None
        item.case = new_case(version, order, number, now)
        order.case = item.case
        by_order[order.pk] = item
    # The ORDER_RECEIVED row of an accepted order joins its case's timeline.
    for order, row in zip(orders, received, strict=True):
        if order.pk in by_order:
            row.case = by_order[order.pk].case
            by_order[order.pk].timeline.append(row)
    open_cases(new_cases, actor, now)
    bulk.insert(orders)
    bulk.insert([r for o, r in zip(orders, received, strict=True) if o.pk not in by_order])
    for order, intake in ineligible:
        reasons = "; ".join(f.message for f in intake.failed)
        handback.record(order, f"Not eligible: {reasons}", now)
    for order in orders:
        out[order.external_ref] = (order, True)
    return out


def new_case(version: PlaybookVersion, order: ServiceOrder, number: str, now: dt.datetime) -> Case:
    return Case(
        number=number,
        customer=order.customer,
        playbook=version,
        state="",
        fields={"service_type": order.service_type, **order.extra},
        team=order.team,
        opened_at=now,
        updated_at=now,
    )


def _customers(rows: list[_Valid], now: dt.datetime, actor: Actor) -> list[Customer]:
    """The customer of each row: the latest one with that phone (else email), or a new one."""
    phones = {r.profile["phone"] for r in rows if r.profile.get("phone")}
    emails = {r.profile["email"] for r in rows if r.profile.get("email")}
    by_phone: dict[str, Customer] = {}
    by_email: dict[str, Customer] = {}
    if phones:
        for c in Customer.objects.filter(phone__in=phones).order_by("created_at"):
            by_phone[c.phone] = c
    if emails:
        for c in Customer.objects.filter(email__in=emails).order_by("created_at"):
            by_email[c.email] = c
    out: list[Customer] = []
    new: list[Customer] = []
    for r in rows:
        p = r.profile
        found = by_phone.get(p.get("phone") or "") or by_email.get(p.get("email") or "")
        if found is None:
            found = Customer(
                **p, source=Source.API, created_at=now, updated_at=now, created_by=actor.user
            )
            new.append(found)
            if p.get("phone"):
                by_phone[p["phone"]] = found
            if p.get("email"):
                by_email[p["email"]] = found
        out.append(found)
    bulk.insert(new)
    bulk.insert(
        [timeline_row(None, c.pk, "CUSTOMER_CREATED", actor, now, source=Source.API) for c in new]
    )
    return out
