"""What a customer may do through the link, and the domain functions that do it.

The playbook governs both: its `scheduling` section (`customer_changes_until`,
`customer_can_cancel`) and whether the case's state has a transition on
`customer.rescheduled` / `customer.cancelled`. `customer_changes` says what is
allowed (the page shows only what is); `customer_reschedule` and
`customer_cancel` check the same rules again under the case lock, then hand
the event to the engine. Messages are in the customer's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from opsdesk.cases.models import Case, CaseStatus
from opsdesk.cases.playbooks import playbook_of
from opsdesk.cases.services import decide_and_apply, lock_case
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, Refused, ValidationFailed
from opsdesk.customers.models import Customer
from opsdesk.engine.decide import due_after, playbook_calendar
from opsdesk.engine.slots import candidate_slots
from opsdesk.engine.types import Event
from opsdesk.playbook.model import Playbook
from opsdesk.portal import texts
from opsdesk.scheduling.models import Appointment
from opsdesk.scheduling.services import booked_appointment, free_slots

# Written to the timeline as the one who acted.
CUSTOMER = Actor("customer")
RESCHEDULED = "customer.rescheduled"
CANCELLED = "customer.cancelled"


@dataclass(frozen=True)
class CustomerChanges:
    """What the link offers now. `refusal` names the text that says why not
    (a key of `texts`), for the change that is not allowed."""

    reschedule: bool
    cancel: bool
    reschedule_refusal: str = ""
    cancel_refusal: str = ""
    # The last moment a change is allowed (None: no visit booked, or a
    # business-time limit that has no exact moment before the visit).
    deadline: dt.datetime | None = None
    deadline_passed: bool = False


def customer_language(customer: Customer, pb: Playbook) -> str:
    """The customer's language if the portal speaks it, else the playbook's default."""
    return texts.language(customer.language, pb.default_language)


def _has_transition(pb: Playbook, state: str, event: str) -> bool:
    spec = pb.states.get(state)
    return spec is not None and any(tr.on == event for tr in spec.transitions)


def _deadline(pb: Playbook, start: dt.datetime) -> dt.datetime | None:
    """`customer_changes_until` before `start`, when that is an exact moment."""
    assert pb.scheduling is not None
    until = pb.scheduling.customer_changes_until
    if until.business_days is not None or until.business_hours is not None:
        return None
    return start - dt.timedelta(
        days=until.days or 0, hours=until.hours or 0, minutes=until.minutes or 0
    )


def customer_changes(
    pb: Playbook, case: Case, appointment: Appointment | None, now: dt.datetime
) -> CustomerChanges:
    """What the customer may change now (pure apart from the arguments)."""
    if pb.scheduling is None:
        return CustomerChanges(False, False, "err_no_reschedule", "err_no_cancel")
    if case.status != CaseStatus.OPEN:
        return CustomerChanges(False, False, "err_closed", "err_closed")
    deadline, passed = None, False
    if appointment is not None:
        deadline = _deadline(pb, appointment.start)
        passed = (
            due_after(pb.scheduling.customer_changes_until, now, playbook_calendar(pb))
            > appointment.start
        )
    reschedule_refusal = cancel_refusal = ""
    if not _has_transition(pb, case.state, RESCHEDULED):
        reschedule_refusal = "err_no_reschedule"
    elif passed:
        reschedule_refusal = "err_deadline"
    if not pb.scheduling.customer_can_cancel or not _has_transition(pb, case.state, CANCELLED):
        cancel_refusal = "err_no_cancel"
    elif passed:
        cancel_refusal = "err_deadline"
    return CustomerChanges(
        reschedule=not reschedule_refusal,
        cancel=not cancel_refusal,
        reschedule_refusal=reschedule_refusal,
        cancel_refusal=cancel_refusal,
        deadline=deadline,
        deadline_passed=passed,
    )


def refusal_text(pb: Playbook, key: str, lang: str) -> str:
    until = pb.scheduling.customer_changes_until.model_dump() if pb.scheduling else {}
    return texts.t(lang, key, until=texts.duration(until, lang))


def _slot_start(start: dt.datetime | str, lang: str) -> dt.datetime:
    if isinstance(start, str):
        if not start.strip():
            raise ValidationFailed({"start": [texts.t(lang, "err_start_missing")]})
        try:
            start = dt.datetime.fromisoformat(start.strip())
        except ValueError:
            raise ValidationFailed({"start": [texts.t(lang, "err_start_invalid")]}) from None
    if start.tzinfo is None:
        raise ValidationFailed({"start": [texts.t(lang, "err_start_invalid")]})
    return start.astimezone(dt.UTC)


def customer_reschedule(
    case_id: str, start: dt.datetime | str, now: dt.datetime, *, lang: str | None = None
) -> Appointment:
    """Move the case's visit to the free slot starting at `start` (aware, or an ISO
    string with an offset). Raises Refused (past the deadline, not in this state,
    case closed) or ValidationFailed (not a slot we offer, the same slot, full);
    nothing changes then. `lang` overrides the customer's language for messages."""
    with transaction.atomic():
        case = lock_case(case_id)
        pb = playbook_of(case.playbook)
        lang = texts.language(lang) if lang else customer_language(case.customer, pb)
        wanted = _slot_start(start, lang)
        current = booked_appointment(case.pk)
        rules = customer_changes(pb, case, current, now)
        if not rules.reschedule:
            raise Refused([refusal_text(pb, rules.reschedule_refusal, lang)])
        assert pb.scheduling is not None
        if current is not None and current.start == wanted:
            raise ValidationFailed({"start": [texts.t(lang, "err_same_slot")]})
        offered = candidate_slots(pb.scheduling, playbook_calendar(pb), now, wanted)
        if not offered or offered[0].start != wanted:
            raise ValidationFailed({"start": [texts.t(lang, "err_start_invalid")]})
        team = case.team.name if case.team_id else None
        # Locks the team's slots until commit: nobody takes the last place meanwhile.
        free = free_slots(pb, team, wanted, now)
        if not free or free[0].start != wanted:
            raise ValidationFailed({"start": [texts.t(lang, "err_slot_full")]})
        decide_and_apply(case, Event(RESCHEDULED, {"start": wanted.isoformat()}), CUSTOMER, now)
        booked = booked_appointment(case.pk)
        if booked is None or booked.start != wanted:
            # The playbook booked something else (or nothing): undo it all.
            raise Conflict(texts.t(lang, "err_changed"))
        return booked


def customer_cancel(case_id: str, now: dt.datetime, *, lang: str | None = None) -> None:
    """Cancel the order (the playbook moves the case to its cancelled state, which
    cancels the visit). Raises Refused when the playbook does not allow it now."""
    with transaction.atomic():
        case = lock_case(case_id)
        pb = playbook_of(case.playbook)
        lang = texts.language(lang) if lang else customer_language(case.customer, pb)
        rules = customer_changes(pb, case, booked_appointment(case.pk), now)
        if not rules.cancel:
            raise Refused([refusal_text(pb, rules.cancel_refusal, lang)])
        decide_and_apply(case, Event(CANCELLED), CUSTOMER, now)
