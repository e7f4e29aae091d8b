"""An appointment as an iCalendar (RFC 5545) file, for "Add to calendar".

One VEVENT per case: its UID stays the same across rebookings and SEQUENCE
counts them (`Appointment.sequence`), so a calendar that imported the visit
updates it instead of adding a second one. A cancelled visit is sent as
METHOD:CANCEL with STATUS:CANCELLED. Times are UTC; the texts come from the
caller, in the customer's language.
"""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

import icalendar

from opsdesk.scheduling.models import Appointment, AppointmentStatus

PRODID = "-//opsdesk//visit//EN"


def visit_uid(case_id: str) -> str:
    return f"{case_id}@opsdesk"


def visit_ics(
    appointment: Appointment,
    *,
    summary: str,
    description: str,
    stamp: dt.datetime,
    url: str = "",
    location: str = "",
    organizer: str = "",
) -> bytes:
    """The VCALENDAR with the appointment's VEVENT. `stamp` is DTSTAMP (when the
    file was made); `organizer`, if given, is an address like "Desk <desk@example.com>"."""
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = icalendar.Event()
    event.add("uid", visit_uid(appointment.case_id))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", appointment.start.astimezone(dt.UTC))
    event.add("dtend", appointment.end.astimezone(dt.UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
    name, address = parseaddr(organizer)
    if address:
        who = icalendar.vCalAddress(f"mailto:{address}")
        if name:
            who.params["cn"] = name
        event.add("organizer", who)
    cal.add_component(event)
    return cal.to_ical()
