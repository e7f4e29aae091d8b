"""build_snapshots gives, for every case, exactly what build_snapshot gives it alone."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from opsdesk.cases.models import Case, CaseMilestone, Flag, FlagStatus
from opsdesk.cases.playbooks import playbook_of
from opsdesk.cases.services import lock_case
from opsdesk.cases.snapshot import build_snapshot, build_snapshots
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.comms.models import Message
from opsdesk.customers.models import Document, Order
from opsdesk.customers.services import CustomerInput, customer_create
from opsdesk.orders.intake import OrderInput, orders_receive
from opsdesk.runtime.models import Timer
from opsdesk.scheduling.models import Appointment
from opsdesk.tasks.models import Task

pytestmark = pytest.mark.django_db
ACTOR = Actor("test")


def onboard(i: int, **changes: Any) -> Case:
    data: dict[str, Any] = {
        "given_name": "Deniz",
        "family_name": "Kaya",
        "phone": f"+90532{1234500 + i:07d}",
        "whatsapp": True,
        "email": f"deniz{i}@example.com",
        "nationality": "TR",
        "language": "tr",
        "fields": {"service_type": "immigration"},
    }
    data.update(changes)
    customer = customer_create(CustomerInput(**data), ACTOR)
    return Case.objects.get(customer=customer)


def service_order(channel: Any, ref: str, i: int) -> Case:
    row = OrderInput(
        external_ref=ref,
        given_name="Mehmet",
        family_name="Demir",
        phone=f"+90 532 123 {45 + i:02d} 67",
        language="tr",
        service_type="fiber_install",
        customer_type="residential",
        address="Bağdat Cad. 10, Kadıköy",
        city="İstanbul",
        postcode="34710",
        latitude=40.98,
        longitude=29.06,
        documents=[{"type": "id_card", "valid_until": "2030-01-01"}],
    )
    (result,) = orders_receive(channel, [row], Actor("api:channel-telesales"))
    assert result.outcome == "created", result
    return Case.objects.get(service_order__external_ref=ref)


def message(case: Case, **kw: Any) -> None:
    now = clock.now()
    Message.objects.create(
        customer_id=case.customer_id,
        case=case,
        body="x",
        actor="test",
        created_at=kw.pop("created_at", now),
        updated_at=now,
        **kw,
    )


def comparable(snapshot: Any) -> dict[str, Any]:
    # free_slots is a closure made per snapshot; everything else must be equal.
    out = {f.name: getattr(snapshot, f.name) for f in dataclasses.fields(snapshot)}
    out.pop("free_slots")
    return out


def test_bulk_snapshots_equal_single_ones(
    onboarding: Any, service_desk: Any, frozen_clock: Any
) -> None:
    now = clock.now()
    plain = onboard(1)  # missing documents: a reminder timer, tasks, messages
    flagged = onboard(2, email="not-an-email", nationality="")  # flags
    busy = onboard(3)
    Flag.objects.filter(case=flagged).update(status=FlagStatus.RESOLVED)
    Flag.objects.create(case=busy, code="x", field="email", message="m", created_at=now)
    Task.objects.create(
        customer_id=busy.customer_id, case=busy, key="intake", title="t", status="DONE",
        created_at=now - dt.timedelta(days=1),
    )  # fmt: skip
    Task.objects.create(
        customer_id=busy.customer_id, case=busy, key="other", title="t", status="CANCELLED",
        created_at=now,
    )  # fmt: skip
    message(busy, channel="WHATSAPP", direction="INBOUND", status="RECEIVED")
    message(busy, channel="WHATSAPP", direction="INBOUND", status="RECEIVED",
            created_at=now - dt.timedelta(hours=3))  # fmt: skip
    message(busy, channel="EMAIL", direction="OUTBOUND", status="FAILED", template="gone")
    message(busy, channel="EMAIL", direction="OUTBOUND", status="SENT", template="kept")
    Document.objects.create(customer_id=busy.customer_id, doc_type="passport", received_at=now)
    Document.objects.create(customer_id=busy.customer_id, doc_type="visa", received_at=now)
    for days, kind in ((3, "old"), (1, "new")):
        Order.objects.create(
            customer_id=busy.customer_id, service_type=kind, placed_at=now - dt.timedelta(days)
        )
    Timer.objects.create(case=busy, name="extra", due_at=now, created_at=now)
    Timer.objects.create(case=busy, name="done", due_at=now, created_at=now, status="FIRED")
    CaseMilestone.objects.create(case=busy, name="reviewed", at=now)

    first = service_order(service_desk.channel, "TS-1", 1)
    second = service_order(service_desk.channel, "TS-2", 2)
    CaseMilestone.objects.create(case=second, name="confirmed", at=now)
    CaseMilestone.objects.create(case=second, name="scheduled", at=now)
    Appointment.objects.create(
        case=second, start=now + dt.timedelta(days=2), end=now + dt.timedelta(days=2, hours=2),
        created_at=now,
    )  # fmt: skip
    message(first, channel="WHATSAPP", direction="INBOUND", status="RECEIVED")

    ids = [plain.pk, flagged.pk, busy.pk, first.pk, second.pk]
    cases = [lock_case(case_id) for case_id in ids]
    pbs = {c.pk: playbook_of(c.playbook) for c in cases}
    bulk = build_snapshots(cases, pbs)
    assert list(bulk) == ids
    for case in cases:
        alone = build_snapshot(lock_case(case.pk), pbs[case.pk])
        assert comparable(bulk[case.pk]) == comparable(alone), case.number

    # The cases differ where they should: the comparison is not vacuous.
    assert bulk[busy.pk].whatsapp_window_until == now + dt.timedelta(hours=24)
    assert bulk[busy.pk].sent >= {"kept"} and "gone" not in bulk[busy.pk].sent
    assert bulk[busy.pk].timers == {"document_reminder", "extra"}
    assert bulk[busy.pk].order is not None and bulk[busy.pk].order["service_type"] == "new"
    assert bulk[busy.pk].flags_open == 1 and bulk[flagged.pk].flag_codes
    assert bulk[flagged.pk].flags_open == 0
    assert bulk[second.pk].appointment is not None
    assert bulk[second.pk].milestones == {"confirmed", "scheduled"}
    assert bulk[first.pk].order is not None and bulk[first.pk].whatsapp_window_until
    assert build_snapshots([], {}) == {}
