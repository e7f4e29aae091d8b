"""Everything opsdesk holds about one customer, for their access request (KVKK
art. 11, GDPR art. 15 and 20): `customer_data` as a dict, `write_zip` as a ZIP
holding `data.json` and the stored files (documents, visit photos, message
attachments) under `files/`.

Rows are written as they are stored (every column; foreign keys as `<name>_id`,
times in ISO 8601 UTC, money as strings), grouped by what they belong to. Not
included: the audit log (it is about staff, who read the record) and other
customers' rows (tests/privacy/test_export.py checks both).
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.core.files.storage import default_storage
from django.db import models
from django.db.models import Q

from opsdesk.applications.models import Application
from opsdesk.billing.models import Invoice, Quote, Retainer
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.chat.models import ChatPost
from opsdesk.common import clock
from opsdesk.comms.models import Message
from opsdesk.contacts.models import Contact
from opsdesk.customers.models import Customer, Document, Order
from opsdesk.feedback.models import Feedback, Testimonial
from opsdesk.field.models import WorkOrder
from opsdesk.intake.models import Request
from opsdesk.orders.models import ServiceOrder
from opsdesk.partners.models import StatusPush
from opsdesk.scheduling.models import Appointment
from opsdesk.tasks.models import Task

FORMAT = "opsdesk-customer-export/1"
# What a task shows the customer's side of the work; who it is assigned to is staff's.
TASK_FIELDS = ("id", "case", "title", "description", "status", "due_at", "created_at")
TASK_FIELDS += ("completed_at", "checklist")


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def row(obj: models.Model, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every concrete column of `obj` (or `only` those), JSON-ready."""
    out: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if only and f.name not in only:
            continue
        if isinstance(f, models.ForeignKey):
            out[f.attname] = getattr(obj, f.attname)
        elif isinstance(f, models.FileField):
            out[f.name] = getattr(obj, f.name).name or ""
        else:
            out[f.name] = _value(getattr(obj, f.name))
    return out


@dataclass
class StoredFile:
    storage_name: str
    zip_name: str


@dataclass
class Export:
    data: dict[str, Any]
    files: list[StoredFile] = field(default_factory=list)


def _safe(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return keep.strip("._")[:80] or "file"


def collect(customer: Customer) -> Export:
    """The customer's rows and the stored files that belong with them."""
    files: list[StoredFile] = []

    def stored(name: str, folder: str, label: str) -> str:
        if not name:
            return ""
        zip_name = f"files/{folder}/{_safe(label)}"
        files.append(StoredFile(name, zip_name))
        return zip_name

    cases = list(Case.objects.filter(customer=customer).select_related("playbook").order_by("id"))
    case_ids = [c.pk for c in cases]
    timeline = list(TimelineEvent.objects.filter(customer=customer).order_by("id"))
    work_orders = list(
        WorkOrder.objects.filter(Q(case__customer=customer) | Q(service_order__customer=customer))
        .prefetch_related("events", "photos")
        .order_by("id")
    )

    def case_out(c: Case) -> dict[str, Any]:
        return {
            **row(c),
            "playbook": f"{c.playbook.key} v{c.playbook.version}",
            "flags": [row(f) for f in c.flags.order_by("id")],
            "milestones": [row(m) for m in c.milestones.order_by("id")],
            "appointments": [
                row(a) for a in Appointment.objects.filter(case=c).order_by("start", "id")
            ],
            "timeline": [row(e) for e in timeline if e.case_id == c.pk],
        }

    def work_order_out(wo: WorkOrder) -> dict[str, Any]:
        return {
            **row(wo),
            "events": [row(e) for e in wo.events.all()],
            "photos": [
                {
                    **row(p),
                    "file": stored(p.image.name, "visit-photos", f"{p.pk}-{p.image.name}"),
                }
                for p in wo.photos.all()
            ],
        }

    documents = []
    for d in Document.objects.filter(customer=customer).order_by("received_at", "id"):
        label = f"{d.pk}-{d.original_name or d.doc_type}"
        documents.append({**row(d), "file": stored(d.file.name, "documents", label)})
    messages = []
    for m in Message.objects.filter(customer=customer).order_by("created_at", "id"):
        out = row(m)
        out["attachments"] = [
            {
                **a,
                "file": stored(
                    str(a.get("storage_path") or ""), f"messages/{m.pk}", str(a.get("name") or "")
                ),
            }
            for a in (m.attachments or [])
            if isinstance(a, dict)
        ]
        messages.append(out)
    quotes = [
        {
            **row(q),
            "lines": [row(ln) for ln in q.lines.all()],
            "payments": [row(p) for p in q.payments.order_by("created_at", "id")],
            "payment_links": [row(p) for p in q.payment_links.order_by("created_at", "id")],
        }
        for q in Quote.objects.filter(customer=customer).order_by("created_at", "id")
    ]
    invoices = [
        {**row(i), "lines": [row(ln) for ln in i.lines.all()]}
        for i in Invoice.objects.filter(customer=customer).order_by("issued_at", "id")
    ]
    applications = [
        {
            **row(a),
            "travellers": [row(t) for t in a.travellers.all()],
            "missing_items": [row(i) for i in a.missing_items.order_by("id")],
        }
        for a in Application.objects.filter(customer=customer).order_by("received_at", "id")
    ]
    service_orders = [
        {**row(o), "hand_backs": [row(h) for h in o.hand_backs.order_by("created_at", "id")]}
        for o in ServiceOrder.objects.filter(customer=customer).order_by("received_at", "id")
    ]
    data = {
        "format": FORMAT,
        "exported_at": clock.now().isoformat(),
        "customer": row(customer),
        "orders": [row(o) for o in Order.objects.filter(customer=customer).order_by("placed_at")],
        "documents": documents,
        "cases": [case_out(c) for c in cases],
        # Events about the customer rather than one case (created, profile edits, ...).
        "timeline": [row(e) for e in timeline if e.case_id is None],
        "messages": messages,
        "tasks": [
            row(t, TASK_FIELDS)
            for t in Task.objects.filter(customer=customer).order_by("created_at", "id")
        ],
        "quotes": quotes,
        "invoices": invoices,
        "retainers": [
            row(r) for r in Retainer.objects.filter(customer=customer).order_by("created_at")
        ],
        "feedback": [
            row(f) for f in Feedback.objects.filter(customer=customer).order_by("created_at")
        ],
        "testimonials": [
            row(t) for t in Testimonial.objects.filter(customer=customer).order_by("created_at")
        ],
        "requests": [
            row(r) for r in Request.objects.filter(customer=customer).order_by("received_at")
        ],
        "contacts": [
            row(c) for c in Contact.objects.filter(customer=customer).order_by("opened_at", "id")
        ],
        "service_orders": service_orders,
        "work_orders": [work_order_out(wo) for wo in work_orders],
        "applications": applications,
        "partner_status_pushes": [
            row(p) for p in StatusPush.objects.filter(case_id__in=case_ids).order_by("id")
        ],
        "team_chat_posts": [
            row(p) for p in ChatPost.objects.filter(case_id__in=case_ids).order_by("id")
        ],
    }
    return Export(data, files)


def customer_data(customer: Customer) -> dict[str, Any]:
    """Everything held about the customer, as JSON-ready data (no file contents)."""
    return collect(customer).data


def write_zip(customer: Customer, out: IO[bytes]) -> list[str]:
    """The export as a ZIP written to `out`: `data.json` and `files/...`. Returns the
    problems (stored files that are missing), also listed in data.json."""
    export = collect(customer)
    problems: list[str] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        seen: set[str] = set()
        for f in export.files:
            if f.zip_name in seen:
                continue
            seen.add(f.zip_name)
            try:
                with (
                    default_storage.open(f.storage_name, "rb") as src,
                    zf.open(f.zip_name, "w") as dst,
                ):
                    for chunk in iter(lambda: src.read(1 << 16), b""):
                        dst.write(chunk)
            except OSError:
                problems.append(f"{f.zip_name}: the stored file {f.storage_name} is missing")
        export.data["problems"] = problems
        zf.writestr("data.json", json.dumps(export.data, ensure_ascii=False, indent=2))
    return problems


def zip_filename(customer: Customer) -> str:
    return f"{customer.pk}-data-{clock.now():%Y%m%d}.zip"


def data_export(customer: Customer, out: IO[bytes], access: Any) -> list[str]:
    """`write_zip`, recorded in the audit log as the customer's data export (one
    entry naming how many files went out and how many were missing)."""
    from opsdesk.privacy import audit
    from opsdesk.privacy.models import AuditAction

    problems = write_zip(customer, out)
    audit.record(
        access,
        AuditAction.DATA_EXPORT,
        customer.pk,
        fmt="zip",
        detail={"missing_files": len(problems)},
    )
    return problems
