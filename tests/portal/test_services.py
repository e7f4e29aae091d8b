"""customer_reschedule / customer_cancel: the playbook's rules, enforced under the case lock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.cases.services import dispatch
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Refused, ValidationFailed
from opsdesk.engine.types import Event
from opsdesk.field.models import WorkOrder
from opsdesk.portal.links import case_link
from opsdesk.portal.services import customer_cancel, customer_reschedule
from opsdesk.scheduling.models import Appointment
from tests.portal.conftest import VISIT
from tests.service_desk import field_crew

NEW_SLOT = dt.datetime(2026, 11, 5, 11, 0, tzinfo=dt.UTC)
DEADLINE = VISIT - dt.timedelta(hours=24)  # customer_changes_until: {hours: 24}


def booked(case: Case) -> list[tuple[dt.datetime, int]]:
    return list(
        Appointment.objects.filter(case=case, status="BOOKED").values_list("start", "sequence")
    )


def test_changes_are_allowed_until_exactly_the_deadline(visit: Case, frozen_clock: Any) -> None:
    frozen_clock.set_now(DEADLINE)
    appointment = customer_reschedule(visit.pk, NEW_SLOT, clock.now())
    assert (appointment.start, appointment.sequence) == (NEW_SLOT, 1)
    assert booked(visit) == [(NEW_SLOT, 1)]


def test_a_second_past_the_deadline_is_refused(visit: Case, frozen_clock: Any) -> None:
    frozen_clock.set_now(DEADLINE + dt.timedelta(seconds=1))
    events = TimelineEvent.objects.count()
    with pytest.raises(Refused) as refused:
        customer_reschedule(visit.pk, NEW_SLOT, clock.now(), lang="en")
    assert refused.value.reasons == [
        "Changes are possible up to 24 hours before the visit, so this one can no longer be "
        "changed here. Please call us."
    ]
    with pytest.raises(Refused):
        customer_cancel(visit.pk, clock.now())
    assert booked(visit) == [(VISIT, 0)]
    assert Case.objects.get(pk=visit.pk).state == "scheduled"
    assert TimelineEvent.objects.count() == events


def test_while_the_technician_travels_the_link_shows_who_and_when(visit: Case) -> None:
    tech = field_crew()
    eta = dt.datetime(2026, 11, 3, 10, 55, tzinfo=dt.UTC)  # 13:55 in Istanbul
    WorkOrder.objects.filter(case=visit).update(
        status="TRAVELLING", technician=tech, eta=eta, travel_started_at=eta
    )
    event = Event("work.travelling", {"eta": "13:55", "technician": "Tolga Demir"})
    dispatch(visit.pk, event, Actor("user:tolga"))
    page = Client().get(case_link(visit.pk)).content.decode()
    assert (
        '<p class="p-status-line" id="status-line">'
        "Teknisyenimiz Tolga Demir yolda, tahmini varış saati 13:55.</p>"
    ) in page


def test_a_start_without_a_time_zone_is_refused(visit: Case) -> None:
    with pytest.raises(ValidationFailed) as invalid:
        customer_reschedule(visit.pk, "2026-11-05T14:00:00", clock.now(), lang="en")
    assert invalid.value.errors == {
        "start": ["This is not a time we can offer. Please choose one from the list."]
    }
    assert booked(visit) == [(VISIT, 0)]


def test_once_the_technician_is_on_the_way_nothing_can_be_changed(visit: Case) -> None:
    event = Event("work.travelling", {"eta": "13:50", "technician": "Tolga Demir"})
    dispatch(visit.pk, event, Actor("user:tolga"))
    with pytest.raises(Refused) as refused:
        customer_reschedule(visit.pk, NEW_SLOT, clock.now())
    assert refused.value.reasons == ["Siparişinizin bu aşamasında ziyaret zamanı değiştirilemez."]
    with pytest.raises(Refused) as refused:
        customer_cancel(visit.pk, clock.now())
    assert refused.value.reasons == ["Siparişinizin bu aşamasında buradan iptal yapılamaz."]
    assert booked(visit) == [(VISIT, 0)]

    page = Client().get(case_link(visit.pk)).content.decode()
    assert '<p class="p-status-line" id="status-line">Teknisyenimiz yolda.</p>' in page
    assert 'name="start"' not in page
    assert "cancel-order" not in page
