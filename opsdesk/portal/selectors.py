"""What the customer page shows: the order's status in plain words, the visit,
and the free slots to move it to. Reads only."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from opsdesk.cases.models import Case, CaseMilestone, CaseStatus
from opsdesk.cases.playbooks import playbook_of
from opsdesk.cases.snapshot import build_snapshot
from opsdesk.engine.calendar import BusinessCalendar
from opsdesk.engine.decide import context_of, playbook_calendar
from opsdesk.field.models import WorkOrder, WorkOrderStatus
from opsdesk.orders.models import ServiceOrder
from opsdesk.playbook.expressions import ExpressionError
from opsdesk.playbook.model import Playbook
from opsdesk.portal import texts
from opsdesk.portal.services import (
    CustomerChanges,
    customer_changes,
    customer_language,
    refusal_text,
)
from opsdesk.scheduling.models import Appointment
from opsdesk.scheduling.services import booked_appointment, free_slots

# The milestones a customer sees as steps, in order.
STEPS = ("received", "confirmed", "scheduled", "on_the_way", "completed")


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    current: bool


@dataclass(frozen=True)
class SlotChoice:
    value: str  # ISO UTC, what the form posts
    label: str  # "09:00–11:00", local
    id: str  # an HTML id


@dataclass(frozen=True)
class SlotDay:
    label: str  # "Tuesday 3 November 2026"
    slots: list[SlotChoice]


@dataclass
class PortalPage:
    case: Case
    pb: Playbook
    lang: str
    order: ServiceOrder | None
    service: str
    status: str  # the status line
    status_key: str  # received, confirmed, scheduled, on_the_way, completed, ...
    steps: list[Step]
    appointment: Appointment | None
    visit_day: str = ""
    visit_time: str = ""
    changes: CustomerChanges = field(default_factory=lambda: CustomerChanges(False, False))
    changes_note: str = ""  # until when changes are possible, or why not any more
    slot_days: list[SlotDay] = field(default_factory=list)
    has_ics: bool = False
    is_request: bool = False  # a customer's request (request.received), not an order

    def text(self, key: str, **values: Any) -> str:
        return texts.t(self.lang, key, **values)

    @property
    def order_label(self) -> str:
        return self.text("order_number", number=self.case.number)

    @property
    def cancel_question(self) -> str:
        text = self.text("cancel_question", service=self.service)
        return text[:1].upper() + text[1:]

    @property
    def cancel_visit(self) -> str:
        return self.text("cancel_visit", day=self.visit_day, time=self.visit_time)

    @property
    def cancel_refusal(self) -> str:
        return refusal_text(self.pb, self.changes.cancel_refusal or "err_no_cancel", self.lang)


def case_for_portal(case_id: str) -> Case | None:
    return Case.objects.select_related("customer", "playbook", "team").filter(pk=case_id).first()


def service_name(case: Case, pb: Playbook, lang: str, now: dt.datetime) -> str:
    """The playbook's computed `service_name` (in `lang`) if it has one, else the
    order's service type."""
    order = ServiceOrder.objects.filter(case_id=case.pk).values_list("service_type", flat=True)
    fallback = str(case.fields.get("service_type") or next(iter(order), "") or "")
    fallback = fallback.replace("_", " ")
    if "service_name" not in pb.computed:
        return fallback
    snap = build_snapshot(case, pb)
    snap = dataclasses.replace(snap, customer={**snap.customer, "language": lang})
    try:
        value = context_of(pb, snap, now).get("service_name")
    except ExpressionError:
        return fallback
    return str(value) if value else fallback


def visit_words(pb: Playbook, appointment: Appointment, lang: str) -> tuple[str, str]:
    """("Tuesday 3 November 2026", "09:00–11:00") in the playbook's time zone."""
    calendar = playbook_calendar(pb)
    start, end = calendar.to_local(appointment.start), calendar.to_local(appointment.end)
    return texts.day(start.date(), lang), texts.span(start, end)


def latest_appointment(case_id: str) -> Appointment | None:
    """The booked visit, else the last one (cancelled), for the calendar file."""
    return booked_appointment(case_id) or (
        Appointment.objects.filter(case_id=case_id).order_by("-sequence", "-created_at").first()
    )


def _status(case: Case, milestones: set[str], appointment: Appointment | None) -> str:
    if case.state == "cancelled" or "cancelled" in milestones:
        return "cancelled"
    if "completed" in milestones:
        return "completed"
    if case.state == "on_the_way" or "on_the_way" in milestones:
        return "on_the_way"
    if appointment is not None:
        return "scheduled"
    if case.status != CaseStatus.OPEN:
        return "closed"
    if case.state == "retention":
        return "contact"
    if "confirmed" in milestones:
        return "confirmed"
    return "received"


def _steps(status: str, milestones: set[str], lang: str) -> list[Step]:
    reached = milestones | {"received"}
    if status == "scheduled":
        reached.add("scheduled")
    keys = list(STEPS)
    if status == "cancelled":
        keys = [k for k in STEPS if k in reached] + ["cancelled"]
        reached.add("cancelled")
    last = max((i for i, k in enumerate(keys) if k in reached), default=0)
    return [
        Step(k, texts.t(lang, f"step_{k}"), k in reached, i == last) for i, k in enumerate(keys)
    ]


def slot_days(
    pb: Playbook, team: str | None, calendar: BusinessCalendar, lang: str, now: dt.datetime
) -> list[SlotDay]:
    """The free slots the customer can move to, grouped by local day (no lock: display)."""
    slots = free_slots(pb, team, now, now, lock=False)
    local = [(calendar.to_local(s.start), calendar.to_local(s.end), s.start) for s in slots]
    out = []
    for day, group in groupby(local, key=lambda x: x[0].date()):
        choices = [
            SlotChoice(
                value=start_utc.isoformat(),
                label=texts.span(start, end),
                id=f"slot-{start_utc:%Y%m%dT%H%M}",
            )
            for start, end, start_utc in group
        ]
        out.append(SlotDay(texts.day(day, lang), choices))
    return out


def portal_page(case: Case, now: dt.datetime, lang: str | None = None) -> PortalPage:
    pb = playbook_of(case.playbook)
    lang = texts.language(lang) if lang else customer_language(case.customer, pb)
    calendar = playbook_calendar(pb)
    milestones = set(CaseMilestone.objects.filter(case_id=case.pk).values_list("name", flat=True))
    appointment = booked_appointment(case.pk) if pb.scheduling else None
    status_key = _status(case, milestones, appointment)
    page = PortalPage(
        case=case,
        pb=pb,
        lang=lang,
        order=ServiceOrder.objects.filter(case_id=case.pk).first(),
        service=service_name(case, pb, lang, now),
        status="",
        status_key=status_key,
        steps=_steps(status_key, milestones, lang),
        appointment=appointment,
        has_ics=pb.scheduling is not None and latest_appointment(case.pk) is not None,
    )
    if appointment is not None:
        page.visit_day, page.visit_time = visit_words(pb, appointment, lang)
    page.status = texts.t(lang, f"status_{status_key}", day=page.visit_day, time=page.visit_time)
    if "request.received" in pb.trigger.events:
        # A request's steps are its playbook's own: the order steps do not apply.
        page.is_request, page.steps = True, []
        state = pb.states.get(case.state)
        step = (state.label if state and state.label else case.state).lower()
        page.status = texts.t(lang, "status_request", number=case.number, step=step)
    if status_key == "on_the_way":
        page.status = _on_the_way(case, calendar, lang) or page.status
    if pb.scheduling is None:
        return page
    page.changes = customer_changes(pb, case, appointment, now)
    until = texts.duration(pb.scheduling.customer_changes_until.model_dump(), lang)
    if "err_deadline" in (page.changes.reschedule_refusal, page.changes.cancel_refusal):
        page.changes_note = texts.t(lang, "changes_closed", until=until)
    elif page.changes.deadline is not None and (page.changes.reschedule or page.changes.cancel):
        local = calendar.to_local(page.changes.deadline)
        when = f"{texts.day(local.date(), lang)} {texts.clock(local)}"
        page.changes_note = texts.t(lang, "changes_until", when=when)
    if page.changes.reschedule:
        team = case.team.name if case.team_id else None
        current = appointment.start if appointment else None
        days = slot_days(pb, team, calendar, lang, now)
        page.slot_days = [
            SlotDay(d.label, [s for s in d.slots if s.value != _iso(current)]) for d in days
        ]
        page.slot_days = [d for d in page.slot_days if d.slots]
    return page


def _on_the_way(case: Case, calendar: BusinessCalendar, lang: str) -> str | None:
    """The technician's name and ETA while they travel (the customer asking "where is he?")."""
    wo = (
        WorkOrder.objects.filter(case_id=case.pk, status=WorkOrderStatus.TRAVELLING)
        .exclude(eta=None)
        .select_related("technician__agent")
        .order_by("-travel_started_at")
        .first()
    )
    if wo is None or wo.eta is None or wo.technician is None:
        return None
    eta = texts.clock(calendar.to_local(wo.eta))
    return texts.t(lang, "status_on_the_way_eta", name=wo.technician.agent.name, eta=eta)


def _iso(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).isoformat() if moment else ""
