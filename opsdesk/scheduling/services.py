"""Free slots and bookings. The engine picks a slot through `free_slots`;
`appointment_apply` writes what it decided."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from opsdesk.cases.models import Case
from opsdesk.engine.decide import playbook_calendar
from opsdesk.engine.slots import candidate_slots
from opsdesk.engine.types import Appointment as Slot
from opsdesk.playbook.model import Playbook
from opsdesk.scheduling.models import Appointment, AppointmentStatus
from opsdesk.staff.calendars import calendar_of
from opsdesk.staff.models import Team


def free_slots(
    pb: Playbook, team: str | None, after: dt.datetime, now: dt.datetime, *, lock: bool = True
) -> list[Slot]:
    """The playbook's slots from `after` on, on the team's calendar, that still have room.

    `lock`: take the team row's lock first, so two bookings for one team are
    serialised and cannot both take a slot's last place (PostgreSQL; SQLite
    serialises writers anyway).
    """
    if pb.scheduling is None:
        return []
    team_row = None
    if team is not None:
        rows = Team.objects.filter(name=team).select_related("calendar")
        team_row = (rows.select_for_update(of=("self",)) if lock else rows).first()
    # The team's working days, hours and closures, else the playbook's.
    calendar = (calendar_of(team_row.calendar) if team_row else None) or playbook_calendar(pb)
    slots = candidate_slots(pb.scheduling, calendar, now, after)
    if not slots:
        return []
    booked = Appointment.objects.filter(
        status=AppointmentStatus.BOOKED, start__gte=slots[0].start, start__lte=slots[-1].start
    )
    if team_row is not None:
        booked = booked.filter(team_id=team_row.pk)
    else:
        booked = booked.filter(team__isnull=True)
    taken = Counter(booked.values_list("start", flat=True))
    return [s for s in slots if taken[s.start] < pb.scheduling.capacity]


def booked_appointment(case_id: str) -> Appointment | None:
    return Appointment.objects.filter(case_id=case_id, status=AppointmentStatus.BOOKED).first()


def appointment_apply(
    case: Case, book: Slot | None, cancel: bool, now: dt.datetime
) -> Appointment | None:
    """Cancel the case's booked appointment (when `cancel`) and book `book`.
    A rebooking keeps counting the iCalendar SEQUENCE, so calendars update the event."""
    previous = booked_appointment(case.pk) if cancel or book else None
    sequence = 0
    if previous is not None:
        # A cancellation is a change too: calendars apply the higher SEQUENCE.
        sequence = previous.sequence + 1
        Appointment.objects.filter(pk=previous.pk).update(
            status=AppointmentStatus.CANCELLED, sequence=sequence
        )
    if book is None:
        return None
    return Appointment.objects.create(
        case=case,
        team_id=case.team_id,
        start=book.start,
        end=book.end,
        sequence=sequence,
        created_at=now,
    )
