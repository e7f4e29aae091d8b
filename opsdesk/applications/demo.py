"""Demo data for the visa desk: a partner platform and applications at three
stages (just assigned, reviewed with an item missing, booking under way),
played through the domain functions with the clock moved back."""

from __future__ import annotations

import datetime as dt

from opsdesk.applications.models import Application, Traveller
from opsdesk.applications.services import (
    ApplicationInput,
    TravellerInput,
    application_receive,
    missing_item_record,
    traveller_update,
)
from opsdesk.common import clock
from opsdesk.common.actors import SYSTEM, Actor
from opsdesk.partners.services import partner_create
from opsdesk.staff.models import BusinessCalendar, Role, Team
from opsdesk.staff.services import agent_create
from opsdesk.tasks.models import Task, TaskStatus
from opsdesk.tasks.services import task_complete

# (username, name, languages)
VISA_STAFF = (("leyla", "Leyla Demir", ("tr", "en")), ("tom", "Tom Becker", ("en",)))


def _application(
    ref: str, given: str, family: str, phone: str, dest: str, **more: object
) -> ApplicationInput:
    travellers = more.pop("travellers", [(given, family)])
    return ApplicationInput(
        partner_ref=ref,
        partner_url=f"https://tourport.example/applications/{ref}",
        destination=dest,
        visa_type="Schengen C (tourism)" if dest != "GB" else "Standard visitor",
        given_name=given,
        family_name=family,
        phone=phone,
        language="en",
        travel_start=dt.date(2027, 1, 15),
        travel_end=dt.date(2027, 1, 25),
        travellers=[TravellerInput(g, f) for g, f in travellers],  # type: ignore[union-attr]
        checklist=[
            {"key": "passport_copy", "label": "Passport copy", "per_traveller": True},
            {"key": "bank_statement", "label": "Bank statement (3 months)"},
            {"key": "hotel_booking", "label": "Hotel booking"},
        ],
    )


def _done(app: Application, key: str, actor: Actor, **fields: object) -> None:
    task = Task.objects.get(case_id=app.case_id, key=key, status=TaskStatus.OPEN)
    task_complete(task.pk, actor, fields)


def seed_visa(password: str, now: dt.datetime) -> str:
    """The visa desk's staff, the TourPort partner and three applications. Returns
    the partner's API token."""
    calendar = BusinessCalendar.objects.filter(name="Istanbul office").first()
    team, _ = Team.objects.get_or_create(name="Visa desk", defaults={"calendar": calendar})
    agents = {
        username: agent_create(
            username=username,
            name=name,
            password=password,
            role=Role.AGENT,
            team=team,
            languages=languages,
            email=f"{username}@ops.example",
        )
        for username, name, languages in VISA_STAFF
    }
    leyla = Actor.of_user(agents["leyla"].user)
    with clock.frozen(now - dt.timedelta(days=10)):
        partner, token = partner_create("tourport", "TourPort", actor=SYSTEM)
    via = Actor.of_user(partner.user, "api")
    with clock.frozen(now - dt.timedelta(days=4)):
        booking, _ = application_receive(
            partner,
            _application(
                "TP-88001", "Deniz", "Aydın", "+90 532 777 31 41", "DE",
                travellers=[("Deniz", "Aydın"), ("Ece", "Aydın")],
            ),
            via,
        )  # fmt: skip
        _done(booking, "review_application", leyla)
        notes = "Both travel together; flexible on dates."
        _done(booking, "introduction_call", leyla, introduction_notes=notes, customer_ready="yes")
    with clock.frozen(now - dt.timedelta(days=3)):
        first = Traveller.objects.filter(application=booking).order_by("position").first()
        assert first is not None
        traveller_update(
            first.pk,
            actor=leyla,
            status="APPOINTMENT_BOOKED",
            appointment_at=now + dt.timedelta(days=9),
            appointment_place="German visa centre, Gayrettepe, İstanbul",
        )
    with clock.frozen(now - dt.timedelta(days=2)):
        reviewed, _ = application_receive(
            partner, _application("TP-88002", "Sarah", "Miller", "+44 7812 345678", "FR"), via
        )
        missing_item_record(
            reviewed.pk, kind="DOCUMENT", key="bank_statement", label="Bank statement (3 months)",
            actor=leyla, note="Only one month uploaded on the portal",
        )  # fmt: skip
        _done(reviewed, "review_application", leyla)
    with clock.frozen(now - dt.timedelta(hours=3)):
        application_receive(
            partner, _application("TP-88003", "Can", "Yücel", "+90 533 777 51 61", "GB"), via
        )
    return token
