"""Erase a customer's personal data on request (KVKK art. 7, GDPR art. 17), and
prune the audit log's old views and exports (`audit_prune`).

`customer_erase` replaces what identifies the person with placeholders and
deletes their stored files, in one transaction, while keeping what the
business must or may keep: ids, case numbers and states, the timeline's
event types and times, quotes, invoices, payments and their amounts (tax law
keeps invoices for years), and every audit entry (they name the customer by
id only). docs/security.md, "Personal data", lists what is kept and why.

How personal values are found: the customer's own fields and the values
copied from them into other rows (names, phone, email, addresses, travellers'
names and passports) are the *needles*; every text and JSON value tied to the
customer is scrubbed of them, and fields that hold free text written by or
about the person (message bodies, comments, remarks, notes, text case fields)
are blanked whole. tests/privacy/test_erase.py scans every model's text and
JSON columns afterwards for the old values.

The timeline is append-only, and erasure is the one writer allowed to rewrite
its rows' payloads (with a queryset update: `TimelineEvent.save` refuses).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from opsdesk.applications.models import Application, MissingItem, Traveller
from opsdesk.billing.models import Retainer
from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case, CaseStatus, EventType, Flag, TimelineEvent
from opsdesk.cases.playbooks import playbook_of
from opsdesk.chat.models import ChatPost
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.comms.models import DeliveryStatus, Direction, Message
from opsdesk.contacts.models import Contact
from opsdesk.customers.models import Customer, Document, Order
from opsdesk.feedback.models import Feedback, Testimonial
from opsdesk.field.models import WorkOrder, WorkOrderEvent, WorkOrderPhoto
from opsdesk.intake.models import Request
from opsdesk.orders.models import HandBack, ServiceOrder
from opsdesk.partners.models import StatusPush
from opsdesk.privacy import audit
from opsdesk.privacy.models import AuditAction, AuditEntry
from opsdesk.privacy.selectors import audit_prunable
from opsdesk.runtime.models import OutboxItem, OutboxStatus
from opsdesk.tasks.models import Task

ERASED = "[erased]"
# Shorter values (a two-letter name) would match inside unrelated words.
MIN_NEEDLE = 3
# Timeline payload keys that hold free text from or about the person: blanked whole.
FREE_TEXT_KEYS = frozenset({"text", "comment", "remarks", "payload", "note", "message", "error"})
# Case field types that hold no free text: kept (reports count them).
KEPT_FIELD_TYPES = frozenset({"choice", "date", "number", "bool"})
NOT_SENT = "not sent: the customer's personal data was erased"


def placeholder_name(customer_id: str) -> tuple[str, str]:
    """(given_name, family_name): full_name reads "Erased customer #<id>"."""
    return "Erased customer", f"#{customer_id}"


@dataclass
class Erasure:
    customer_id: str
    already: bool = False  # erased before: nothing was changed
    rows: dict[str, int] = field(default_factory=dict)  # model label -> rows changed
    files: list[str] = field(default_factory=list)  # storage names deleted after commit


def is_erased(customer_id: str) -> bool:
    return TimelineEvent.objects.filter(
        customer_id=customer_id, type=EventType.CUSTOMER_ERASED
    ).exists()


class _Scrubber:
    """Replaces every needle (case-insensitively) in strings, lists and dicts."""

    def __init__(self, needles: Iterable[str]):
        words = sorted({n.strip() for n in needles if len(n.strip()) >= MIN_NEEDLE}, key=len)
        self.pattern = (
            re.compile("|".join(re.escape(w) for w in reversed(words)), re.IGNORECASE)
            if words
            else None
        )

    def text(self, value: str) -> str:
        if self.pattern is None or not value:
            return value
        return self.pattern.sub(ERASED, value)

    def json(self, value: Any, blank: frozenset[str] = frozenset()) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v, blank) for v in value]
        if isinstance(value, dict):
            return {k: (_blank(v) if k in blank else self.json(v, blank)) for k, v in value.items()}
        return value


def _blank(value: Any) -> Any:
    if value in (None, "", [], {}):
        return value
    return ERASED if isinstance(value, str) else None


def _needles(customer: Customer) -> list[str]:
    values = [
        customer.given_name,
        customer.middle_name,
        customer.family_name,
        customer.full_name,
        customer.phone,
        customer.phone_raw,
        customer.email,
        customer.email_raw,
    ]
    if customer.phone.startswith("+"):
        values.append(customer.phone[1:])  # as some providers write it
    for order in ServiceOrder.objects.filter(customer=customer):
        values += [order.address, order.postcode]
    for wo in WorkOrder.objects.filter(_work_orders_of(customer)):
        values.append(wo.address)
    for t in Traveller.objects.filter(application__customer=customer):
        values += [t.given_name, t.family_name, t.passport_number]
    return [v for v in values if v]


def _work_orders_of(customer: Customer) -> Q:
    return Q(case__customer=customer) | Q(service_order__customer=customer)


def _text_fields(case: Case) -> set[str] | None:
    """The case's fields that may hold free text; None: every field (no playbook)."""
    try:
        pb = playbook_of(case.playbook)
    except Exception:  # a stored version that no longer loads: treat all as text
        return None
    return {name for name, spec in pb.fields.items() if spec.type not in KEPT_FIELD_TYPES}


def _case_fields(fields: dict[str, Any], text: set[str] | None, s: _Scrubber) -> dict[str, Any]:
    return {
        name: _blank(value) if text is None or name in text else s.json(value)
        for name, value in fields.items()
    }


def _update(model: Any, pk: Any, counts: dict[str, int], **values: Any) -> None:
    model.objects.filter(pk=pk).update(**values)
    label = model._meta.label
    counts[label] = counts.get(label, 0) + 1


def _changed(obj: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if getattr(obj, k) != v}


def _save(obj: Any, counts: dict[str, int], **values: Any) -> None:
    changed = _changed(obj, values)
    if changed:
        _update(type(obj), obj.pk, counts, **changed)


def customer_erase(
    customer: Customer, actor: Actor, reason: str, *, access: audit.Access | None = None
) -> Erasure:
    """Erase the customer's personal data. Refuses (Conflict, nothing changed) while a
    case of theirs is open; ValidationFailed without a reason. A second call changes
    nothing and returns `already=True`. Files are deleted from storage after commit.
    The caller authorizes (admins only: opsdesk.privacy.access)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed({"reason": ["say why (e.g. the request's reference)"]})
    if len(reason) > 500:
        raise ValidationFailed({"reason": ["at most 500 characters"]})
    access = access or _access_of(actor)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        result = Erasure(customer.pk)
        if is_erased(customer.pk):
            result.already = True
            return result
        cases = list(
            Case.objects.select_for_update()
            .filter(customer=customer)
            .select_related("playbook")
            .order_by("opened_at")
        )
        still_open = [c.number for c in cases if c.status == CaseStatus.OPEN]
        if still_open:
            raise Conflict(
                f"the customer has {len(still_open)} open case(s) ({', '.join(still_open)}): "
                "close them before erasing"
            )
        s = _Scrubber(_needles(customer))
        _erase_rows(customer, cases, s, result)
        now = clock.now()
        given, family = placeholder_name(customer.pk)
        _save(
            customer,
            result.rows,
            given_name=given,
            middle_name="",
            family_name=family,
            phone="",
            phone_raw="",
            whatsapp=False,
            email="",
            email_raw="",
            nationality="",
            updated_at=now,
        )
        timeline_row(None, customer.pk, "CUSTOMER_ERASED", actor, now, reason=s.text(reason)).save()
        audit.record(
            access,
            AuditAction.ERASE,
            customer.pk,
            detail={"rows": sum(result.rows.values()), "files": len(result.files)},
        )
        files = list(result.files)
        transaction.on_commit(lambda: _delete_files(files))
    return result


def _access_of(actor: Actor) -> audit.Access:
    user = actor.user
    return audit.Access(
        user_id=user.pk if user is not None else None,
        username=user.get_username() if user is not None else actor.label,
        surface="cli" if actor.label.startswith("cli") else "ui",
        route="customer_erase",
    )


def _delete_files(names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):  # already gone: erasure wanted it gone
            default_storage.delete(name)


def _erase_rows(customer: Customer, cases: list[Case], s: _Scrubber, r: Erasure) -> None:
    n = r.rows
    for order in Order.objects.filter(customer=customer):
        _save(order, n, notes="")
    for doc in Document.objects.filter(customer=customer):
        if doc.file:
            r.files.append(doc.file.name)
        _save(doc, n, file="", original_name="", sha256="")
    for case in cases:
        text = _text_fields(case)
        _save(case, n, fields=_case_fields(case.fields or {}, text, s))
    for flag in Flag.objects.filter(case__customer=customer):
        _save(flag, n, message=s.text(flag.message), reason=s.text(flag.reason))
    _erase_timeline(customer, cases, s, n)
    _erase_messages(customer, s, r)
    for task in Task.objects.filter(customer=customer):
        _save(
            task,
            n,
            title=s.text(task.title),
            description=s.text(task.description),
            checklist=s.json(task.checklist),
        )
    for fb in Feedback.objects.filter(customer=customer):
        _save(fb, n, comment="", consent=False)
    for t in Testimonial.objects.filter(customer=customer):
        # Off the website too: consent goes with the person's data.
        _save(t, n, text="", published=False)
    for req in Request.objects.filter(customer=customer):
        _save(req, n, text="")
    for c in Contact.objects.filter(customer=customer):
        _save(c, n, remarks="", answers=s.json(c.answers), path=s.json(c.path), tag=s.text(c.tag))
    for so in ServiceOrder.objects.filter(customer=customer):
        _save(
            so,
            n,
            address="",
            city="",
            postcode="",
            latitude=None,
            longitude=None,
            notes="",
            extra=s.json({k: _blank(v) for k, v in (so.extra or {}).items()}),
            documents=s.json(so.documents),
            failed_checks=s.json(so.failed_checks),
        )
    for hb in HandBack.objects.filter(order__customer=customer):
        _save(hb, n, reason=s.text(hb.reason))
    work_orders = list(WorkOrder.objects.filter(_work_orders_of(customer)))
    for wo in work_orders:
        # Rounded to about a kilometre: the district stays for the field reports,
        # the home does not.
        _save(
            wo,
            n,
            address="",
            notes="",
            outcome_reason=s.text(wo.outcome_reason),
            unplanned_reason=s.text(wo.unplanned_reason),
            latitude=round(wo.latitude, 2),
            longitude=round(wo.longitude, 2),
        )
    wo_ids = [wo.pk for wo in work_orders]
    for ev in WorkOrderEvent.objects.filter(work_order_id__in=wo_ids):
        _save(ev, n, data=s.json(ev.data, FREE_TEXT_KEYS | {"reason"}))
    for photo in WorkOrderPhoto.objects.filter(work_order_id__in=wo_ids):
        if photo.image:
            r.files.append(photo.image.name)
        _save(photo, n, image="")
    for app in Application.objects.filter(customer=customer):
        _save(app, n, partner_url="")
    for t in Traveller.objects.filter(application__customer=customer):
        _save(
            t,
            n,
            given_name="Erased",
            family_name="traveller",
            date_of_birth=None,
            passport_number="",
            appointment_place="",
        )
    for item in MissingItem.objects.filter(application__customer=customer):
        _save(item, n, note="", label=s.text(item.label))
    case_ids = [c.pk for c in cases]
    for push in StatusPush.objects.filter(case_id__in=case_ids):
        _save(push, n, payload=s.json(push.payload), last_error=s.text(push.last_error))
    for post in ChatPost.objects.filter(case_id__in=case_ids):
        _save(post, n, text=s.text(post.text), last_error=s.text(post.last_error))
    for ret in Retainer.objects.filter(customer=customer, active=True):
        # No more bills for a person who asked to be forgotten.
        _save(ret, n, active=False)


def _erase_timeline(
    customer: Customer, cases: list[Case], s: _Scrubber, counts: dict[str, int]
) -> None:
    text_by_case = {c.pk: _text_fields(c) for c in cases}
    for ev in TimelineEvent.objects.filter(customer=customer).only("id", "type", "payload", "case"):
        payload = ev.payload if isinstance(ev.payload, dict) else {}
        new = s.json(payload, FREE_TEXT_KEYS)
        if ev.type == EventType.FIELD_SET:
            text = text_by_case.get(ev.case_id) if ev.case_id else None
            if text is None or payload.get("field") in text:
                new["value"] = _blank(payload.get("value"))
        if new != payload:
            # The one sanctioned rewrite of the append-only timeline.
            _update(TimelineEvent, ev.pk, counts, payload=new)


def _erase_messages(customer: Customer, s: _Scrubber, r: Erasure) -> None:
    n = r.rows
    waiting = (DeliveryStatus.QUEUED, DeliveryStatus.UNKNOWN)
    for m in Message.objects.filter(customer=customer):
        for a in m.attachments or []:
            if isinstance(a, dict) and a.get("storage_path"):
                r.files.append(str(a["storage_path"]))
        values: dict[str, Any] = {
            "body": ERASED if m.body else "",
            "subject": ERASED if m.subject else "",
            "to_address": "",
            "whatsapp_params": [],
            "attachments": [],
            "error": s.text(m.error),
        }
        if m.direction == Direction.OUTBOUND and m.status in waiting:
            # Never sent now: the address is gone.
            values.update(status=DeliveryStatus.FAILED, error=NOT_SENT)
            OutboxItem.objects.filter(message=m, status=OutboxStatus.PENDING).update(
                status=OutboxStatus.DONE, last_error=NOT_SENT
            )
        _save(m, n, **values)
    for item in OutboxItem.objects.filter(message__customer=customer).exclude(last_error=""):
        _save(item, n, last_error=s.text(item.last_error))


def audit_prune(before: dt.datetime, *, batch: int = 5000) -> int:
    """Delete the audit log's views and exports recorded before `before`, `batch`
    rows per transaction (a long delete would hold its locks while agents work);
    returns how many. Data exports and erasures stay (selectors.KEPT_FOR_GOOD)."""
    old = audit_prunable(before)
    pruned = 0
    while True:
        with transaction.atomic():
            ids = list(old.order_by("id").values_list("id", flat=True)[:batch])
            if not ids:
                return pruned
            # A queryset delete: AuditEntry.delete refuses single rows, by design.
            pruned += AuditEntry.objects.filter(id__in=ids).delete()[0]
