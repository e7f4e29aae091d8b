"""What a contact desk's playbook sees: `ticket` (the service-order case the customer
calls about: its state, visit, payments) and `contact` (channel, reason, answers).

Loaded for many contact cases at once (one query per table, whatever the count).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Max

from opsdesk.billing.models import Invoice, Payment, PaymentKind, PaymentStatus
from opsdesk.cases.models import Case, CaseStatus, TimelineEvent
from opsdesk.contacts.models import Contact
from opsdesk.field.models import WorkOrder, WorkOrderStatus
from opsdesk.scheduling.models import Appointment, AppointmentStatus

# The desk's dates are Istanbul's: a visit at 01:00 local is still "yesterday" in UTC.
LOCAL = zoneinfo.ZoneInfo("Europe/Istanbul")


def local_date(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(LOCAL).date() if moment else None


def _money(values: Iterable[Decimal | None]) -> str | None:
    amounts = [v for v in values if v is not None]
    return f"{sum(amounts, Decimal(0)):.2f}" if amounts else None


def tickets_context(tickets: list[Case]) -> dict[str, dict[str, Any]]:
    """`{ticket case id: ticket dict}` (the keys docs/contacts.md lists)."""
    ids = [t.pk for t in tickets]
    orders: dict[str, list[WorkOrder]] = defaultdict(list)
    for wo in WorkOrder.objects.filter(case_id__in=ids).order_by("created_at", "id"):
        orders[wo.case_id or ""].append(wo)
    payments: dict[str, list[Payment]] = defaultdict(list)
    settled = Payment.objects.filter(quote__case_id__in=ids, status=PaymentStatus.SUCCEEDED)
    for p in settled.select_related("quote").order_by("settled_at", "created_at"):
        payments[p.quote.case_id or ""].append(p)
    # Field work invoices name their work order in `source` (opsdesk.field.jobs).
    sources = {f"work_order:{wo.pk}": case_id for case_id, wos in orders.items() for wo in wos}
    invoiced: dict[str, list[Decimal]] = defaultdict(list)
    for source, total in Invoice.objects.filter(source__in=sources).values_list("source", "total"):
        invoiced[sources[source]].append(total)
    booked = set(
        Appointment.objects.filter(case_id__in=ids, status=AppointmentStatus.BOOKED).values_list(
            "case_id", flat=True
        )
    )
    last = dict(
        TimelineEvent.objects.filter(case_id__in=ids)
        .values("case_id")
        .annotate(at=Max("at"))
        .values_list("case_id", "at")
    )
    out = {}
    for t in tickets:
        wos = orders.get(t.pk, [])
        latest = wos[-1] if wos else None
        done = [wo for wo in wos if wo.status == WorkOrderStatus.DONE and wo.finished_at]
        paid = [p for p in payments.get(t.pk, []) if p.kind == PaymentKind.PAYMENT]
        refunds = [p for p in payments.get(t.pk, []) if p.kind == PaymentKind.REFUND]
        out[t.pk] = {
            "number": t.number,
            "state": t.state,
            "closed": t.status == CaseStatus.CLOSED,
            "work_status": latest.status if latest else None,
            "technician_rescheduled": any(
                wo.status == WorkOrderStatus.CANNOT_COMPLETE for wo in wos
            ),
            "promise_date": latest.promise_date if latest else None,
            "service_date": local_date(max(wo.finished_at for wo in done)) if done else None,
            "paid": bool(paid),
            "paid_on": local_date(paid[-1].settled_at) if paid else None,
            # What was paid online (the L1 desk compares it with the invoices).
            "paid_amount": _money([sum((p.amount for p in paid), Decimal(0))]) if paid else None,
            "refunded": bool(refunds),
            "refund_on": local_date(refunds[-1].settled_at) if refunds else None,
            "cash_collected": _money(wo.cash_collected for wo in wos),
            "invoice_total": _money(invoiced.get(t.pk, [])),
            "service_details": t.pk in booked or bool(wos),
            "last_update_on": local_date(last.get(t.pk)),
        }
    return out


def load_tickets(case_ids: list[str]) -> dict[str, dict[str, Any]]:
    contacts = list(Contact.objects.filter(case_id__in=case_ids).select_related("ticket"))
    if not contacts:
        return {}
    facts = tickets_context([c.ticket for c in contacts])
    return {c.case_id: facts[c.ticket_id] for c in contacts}


def contact_dict(contact: Contact) -> dict[str, Any]:
    return {"channel": contact.channel, "reason": contact.reason, "answers": dict(contact.answers)}


def load_contacts(case_ids: list[str]) -> dict[str, dict[str, Any]]:
    return {c.case_id: contact_dict(c) for c in Contact.objects.filter(case_id__in=case_ids)}
