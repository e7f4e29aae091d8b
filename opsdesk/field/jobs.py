"""The technician's day: start travel, arrive, complete, or give up.

Each step is one transaction: the work order's status (compare-and-set on the
status it must have), a `WorkOrderEvent` for the record, and, when the work
order belongs to a case, the matching playbook event (`work.travelling`,
`work.arrived`, `work.completed`, `work.not_completed`), so the playbook sends
"On the way" with the ETA, the survey, the invoice for extra parts, or
reschedules. Running late against the plan, finishing early or giving up
queues a re-plan of the rest of the day (opsdesk.field.replan).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from opsdesk.billing.services import Line, invoice_context, invoice_issue
from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import CaseStatus
from opsdesk.cases.services import decide_and_apply, lock_case
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed, status_word
from opsdesk.engine.types import Event
from opsdesk.field.models import (
    LocationKind,
    Part,
    StockLocation,
    WorkEventKind,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderPhoto,
    WorkOrderStatus,
)
from opsdesk.field.planning import default_matrix, technician_zone
from opsdesk.field.replan import day_bounds, local_day, replan_request
from opsdesk.field.services import ShortStock, parts_use

MAX_PHOTOS = 10
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}
FINISHED = (WorkOrderStatus.DONE, WorkOrderStatus.CANNOT_COMPLETE)


def _locked(work_order_id: str, allowed: Sequence[str], doing: str) -> WorkOrder:
    wo = (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("technician__agent")
        .filter(pk=work_order_id)
        .first()
    )
    if wo is None:
        raise ValidationFailed({"work_order": [f"no work order {work_order_id}"]})
    if wo.status not in allowed:
        raise Conflict(f"work order {wo.pk} is {status_word(wo.status)}: cannot {doing}")
    return wo


def _record(wo: WorkOrder, kind: str, actor: Actor, now: dt.datetime, **data: Any) -> None:
    WorkOrderEvent.objects.create(work_order=wo, kind=kind, at=now, actor=actor.label, data=data)


def _tell_case(wo: WorkOrder, event: str, actor: Actor, now: dt.datetime, **data: Any) -> None:
    """The case's playbook hears about the work; a closed case has nothing more to say."""
    if wo.case_id is None:
        return
    case = lock_case(wo.case_id)
    if case.status != CaseStatus.OPEN:
        return
    # The desk reads what the technician did on the case's timeline, before what followed.
    kind = event.removeprefix("work.")
    note = timeline_row(
        case, case.customer_id, "WORK_ORDER", actor, now, kind=kind, work_order_id=wo.pk, **data
    )
    decide_and_apply(
        case, Event(event, {"work_order_id": wo.pk, **data}), actor, now, first_timeline=(note,)
    )


def _previous_place(wo: WorkOrder) -> tuple[float, float]:
    """Where the technician sets off from: the last job finished today, else home."""
    tech = wo.technician
    assert tech is not None
    start, end = day_bounds(local_day(wo.window_start))
    last = (
        WorkOrder.objects.filter(
            technician=tech, status__in=FINISHED, finished_at__gte=start, finished_at__lt=end
        )
        .order_by("-finished_at", "-pk")
        .values_list("latitude", "longitude")
        .first()
    )
    return last or (tech.home_latitude, tech.home_longitude)


def _off_plan(wo: WorkOrder, finished: dt.datetime) -> bool:
    """Finished well after (ran long) or well before its planned end."""
    if wo.planned_start is None:
        return False
    end = wo.planned_start + dt.timedelta(minutes=wo.duration_minutes)
    slack = dt.timedelta(minutes=settings.OPSDESK_REPLAN_SLACK_MINUTES)
    return not end - slack <= finished <= end + slack


def _late(planned: dt.datetime | None, actual: dt.datetime) -> bool:
    slack = dt.timedelta(minutes=settings.OPSDESK_REPLAN_SLACK_MINUTES)
    return planned is not None and actual > planned + slack


def travel_start(work_order_id: str, *, actor: Actor) -> WorkOrder:
    """PLANNED -> TRAVELLING. The ETA is now plus the travel time from where the
    technician is (the last job, else home) on the planner's own travel matrix."""
    now = clock.now()
    with transaction.atomic():
        wo = _locked(work_order_id, [WorkOrderStatus.PLANNED], "start travel")
        if wo.technician is None:
            raise Conflict(f"work order {wo.pk} has no technician")
        seconds = int(
            default_matrix()
            .matrices([_previous_place(wo), (wo.latitude, wo.longitude)])
            .durations[0, 1]
        )
        eta = now + dt.timedelta(seconds=seconds)
        WorkOrder.objects.filter(pk=wo.pk).update(
            status=WorkOrderStatus.TRAVELLING, travel_started_at=now, eta=eta, updated_at=now
        )
        local = eta.astimezone(technician_zone(wo.technician))
        name = wo.technician.agent.name
        _record(wo, WorkEventKind.TRAVEL_STARTED, actor, now, eta=eta.isoformat(), technician=name)
        _tell_case(
            wo,
            "work.travelling",
            actor,
            now,
            eta=f"{local:%H:%M}",
            eta_at=eta.isoformat(),
            technician=name,
        )
        wo.refresh_from_db()
        return wo


def arrive(work_order_id: str, *, actor: Actor) -> WorkOrder:
    now = clock.now()
    with transaction.atomic():
        wo = _locked(work_order_id, [WorkOrderStatus.TRAVELLING], "arrive")
        WorkOrder.objects.filter(pk=wo.pk).update(
            status=WorkOrderStatus.ON_SITE, arrived_at=now, updated_at=now
        )
        _record(wo, WorkEventKind.ARRIVED, actor, now)
        _tell_case(wo, "work.arrived", actor, now)
        if _late(wo.planned_start, now):
            replan_request(wo.window_start, reason=f"{wo.pk} arrived late", now=now)
        wo.refresh_from_db()
        return wo


def _parts(errors: dict[str, list[str]], parts_used: Mapping[str, Any]) -> dict[str, int]:
    parts: dict[str, int] = {}
    bad: list[str] = []
    for sku, qty in parts_used.items():
        # A form sends digits; 1.5 or True must not quietly become one part.
        if isinstance(qty, str) and qty.strip().isdigit():
            n = int(qty)
        elif isinstance(qty, int) and not isinstance(qty, bool):
            n = qty
        else:
            bad.append(f"{sku}: a whole number, got {qty!r}")
            continue
        if n < 0 or n > 10_000:
            bad.append(f"{sku}: from 0 to 10000, got {n}")
        elif n:
            parts[sku] = n
    known = set(Part.objects.filter(sku__in=list(parts)).values_list("sku", flat=True))
    bad += [f"no part with SKU {sku!r}" for sku in parts if sku not in known]
    if bad:
        errors["parts_used"] = bad
    return parts


def _cash(errors: dict[str, list[str]], value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        errors["cash_collected"] = [f"an amount, got {value!r}"]
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        errors["cash_collected"] = ["an amount of at least 0 with at most two decimals"]
        return None
    return amount


def _photos(errors: dict[str, list[str]], photos: Sequence[UploadedFile]) -> None:
    bad = []
    if len(photos) > MAX_PHOTOS:
        bad.append(f"at most {MAX_PHOTOS} photos")
    for photo in photos:
        if photo.content_type not in PHOTO_TYPES:
            bad.append(f"{photo.name}: a JPEG, PNG, WebP or HEIC image")
        elif (photo.size or 0) > MAX_PHOTO_BYTES:
            bad.append(f"{photo.name}: larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    if bad:
        errors["photos"] = bad


def _extra(wo: WorkOrder, parts: Mapping[str, int]) -> dict[str, list[Line]]:
    """Parts beyond what the job called for, by currency: the customer pays for these."""
    required = {sku: int(q) for sku, q in (wo.required_parts or {}).items()}
    extra = {sku: n - required.get(sku, 0) for sku, n in parts.items() if n > required.get(sku, 0)}
    known = {p.sku: p for p in Part.objects.filter(sku__in=list(extra))}
    lines: dict[str, list[Line]] = {}
    for sku, qty in sorted(extra.items()):
        part = known[sku]
        line = Line(description=part.name, quantity=qty, unit_price=part.unit_price, sku=sku)
        lines.setdefault(part.currency, []).append(line)
    return lines


def complete(
    work_order_id: str,
    *,
    actor: Actor,
    parts_used: Mapping[str, Any],
    notes: str = "",
    photos: Sequence[UploadedFile] = (),
    cash_collected: Any = None,
) -> WorkOrder:
    """ON_SITE -> DONE: the parts come out of the van (all or none), extra parts are
    invoiced to the customer, photos and cash are kept for the desk."""
    errors: dict[str, list[str]] = {}
    parts = _parts(errors, parts_used)
    cash = _cash(errors, cash_collected)
    _photos(errors, photos)
    if len(notes) > 5000:
        errors["notes"] = ["at most 5000 characters"]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    with transaction.atomic():
        wo = _locked(work_order_id, [WorkOrderStatus.ON_SITE], "complete")
        tech = wo.technician
        assert tech is not None  # planned work orders have one
        if parts:
            van = StockLocation.objects.filter(technician=tech, kind=LocationKind.VAN).first()
            if van is None:
                raise ValidationFailed({"parts_used": [f"{tech.agent.name} has no van stock"]})
            try:
                parts_use(wo, van, parts, actor)
            except ShortStock as exc:
                raise ValidationFailed({"parts_used": [str(s) for s in exc.shortages]}) from None
        customer = _customer_of(wo)
        invoices = [
            invoice_issue(
                customer,
                lines,
                currency=currency,
                actor=actor,
                now=now,
                case=wo.case,
                source=f"work_order:{wo.pk}",
            )
            for currency, lines in sorted(_extra(wo, parts).items())
            if customer is not None
        ]
        for photo in photos:
            WorkOrderPhoto.objects.create(
                work_order=wo, image=photo, content_type=photo.content_type or "", uploaded_at=now
            )
        WorkOrder.objects.filter(pk=wo.pk).update(
            status=WorkOrderStatus.DONE,
            finished_at=now,
            notes=notes.strip(),
            cash_collected=cash,
            cash_currency=settings.OPSDESK_CURRENCY if cash is not None else "",
            updated_at=now,
        )
        summary = [invoice_context(inv) for inv in invoices]
        _record(
            wo,
            WorkEventKind.COMPLETED,
            actor,
            now,
            parts_used=parts,
            invoices=summary,
            cash_collected=f"{cash:.2f}" if cash is not None else None,
            photos=len(photos),
        )
        _tell_case(
            wo,
            "work.completed",
            actor,
            now,
            parts_used=parts,
            invoices=summary,
            cash_collected=f"{cash:.2f}" if cash is not None else None,
            cash_currency=settings.OPSDESK_CURRENCY if cash is not None else "",
        )
        end = (
            wo.planned_start + dt.timedelta(minutes=wo.duration_minutes)
            if wo.planned_start
            else None
        )
        if _late(end, now) or (
            end is not None
            and now < end - dt.timedelta(minutes=settings.OPSDESK_REPLAN_SLACK_MINUTES)
        ):
            replan_request(wo.window_start, reason=f"{wo.pk} finished off plan", now=now)
        wo.refresh_from_db()
        return wo


def _customer_of(wo: WorkOrder) -> Any:
    if wo.case_id is not None:
        return wo.case.customer
    if wo.service_order_id is not None:
        return wo.service_order.customer
    return None


def not_complete(
    work_order_id: str,
    *,
    actor: Actor,
    reason: str,
    proposed_at: dt.datetime | None = None,
) -> WorkOrder:
    """TRAVELLING or ON_SITE -> CANNOT_COMPLETE with the reason; the case's playbook
    reschedules (at `proposed_at` when the customer and technician agreed a time)."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["say why the work could not be done"]
    elif len(reason) > 1000:
        errors["reason"] = ["at most 1000 characters"]
    now = clock.now()
    if proposed_at is not None and (proposed_at.tzinfo is None or proposed_at <= now):
        errors["proposed_at"] = ["a time in the future"]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        wo = _locked(
            work_order_id, [WorkOrderStatus.TRAVELLING, WorkOrderStatus.ON_SITE], "give up"
        )
        WorkOrder.objects.filter(pk=wo.pk).update(
            status=WorkOrderStatus.CANNOT_COMPLETE,
            finished_at=now,
            outcome_reason=reason,
            updated_at=now,
        )
        proposed = proposed_at.isoformat() if proposed_at else None
        _record(wo, WorkEventKind.NOT_COMPLETED, actor, now, reason=reason, proposed_at=proposed)
        data: dict[str, Any] = {"reason": reason}
        if proposed:
            data["proposed_at"] = proposed
        _tell_case(wo, "work.not_completed", actor, now, **data)
        replan_request(wo.window_start, reason=f"{wo.pk} could not be completed", now=now)
        wo.refresh_from_db()
        return wo
