"""The onboarding SOP through the domain functions, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from opsdesk.cases.models import Case, Flag, TimelineEvent
from opsdesk.cases.services import case_assign, case_transition, flag_resolve
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, Refused, ValidationFailed
from opsdesk.comms.models import Message
from opsdesk.comms.services import message_log
from opsdesk.customers.models import Customer
from opsdesk.customers.services import (
    CustomerInput,
    customer_create,
    customer_update,
    document_receive,
    order_review,
)
from opsdesk.runtime.models import OutboxItem, Timer
from opsdesk.staff.models import Agent
from opsdesk.tasks.models import Task
from opsdesk.tasks.services import task_complete, task_create

pytestmark = pytest.mark.django_db

IMMIGRATION_DOCS = [
    "Passport (all pages)",
    "Biometric photo",
    "Residence permit card",
    "Rental contract or proof of address",
    "Health insurance policy",
]


def clean_customer(**changes: Any) -> CustomerInput:
    data: dict[str, Any] = {
        "given_name": "Mehmet",
        "middle_name": "Ali",
        "family_name": "Kaya",
        "phone": "+90 532 123 45 67",
        "whatsapp": True,
        "email": "mehmet@example.com",
        "nationality": "TR",
        "language": "tr",
        "source": "APP_WEB",
        "fields": {"service_type": "immigration"},
    }
    data.update(changes)
    return CustomerInput(**data)


def timeline_types(customer: Customer) -> list[str]:
    return list(customer.timeline.order_by("id").values_list("type", flat=True))


def test_clean_customer_goes_straight_to_intake(
    onboarding: Any, staff: Any, frozen_clock: Any
) -> None:
    actor = Actor.of_user(staff.integration.user, "api")
    customer = customer_create(clean_customer(), actor)

    assert customer.phone == "+905321234567"
    case = Case.objects.get(customer=customer)
    assert case.number == "ONB-2026-000001"
    assert case.state == "intake"
    assert case.agent_id == staff.ayse.pk  # the only Turkish-speaking immigration agent
    assert Agent.objects.get(pk=staff.ayse.pk).open_cases == 1
    assert timeline_types(customer) == [
        "CUSTOMER_CREATED",
        "CASE_OPENED",
        "STATE_CHANGED",
        "AGENT_ASSIGNED",
        "MESSAGE_QUEUED",
        "TASK_CREATED",
        "MESSAGE_QUEUED",
        "TIMER_SET",
        "MESSAGE_QUEUED",
    ]
    assigned = customer.timeline.get(type="AGENT_ASSIGNED")
    assert assigned.actor == "api:app-web"
    assert assigned.payload["reason"] == "handles immigration; speaks tr; workload 0/20"
    welcome = Message.objects.get(customer=customer, template="welcome")
    assert (welcome.channel, welcome.direction, welcome.status) == (
        "WHATSAPP",
        "OUTBOUND",
        "QUEUED",
    )
    assert welcome.body.startswith("Merhaba Mehmet, Ikamet’e hoş geldiniz! Ben Ayşe Yılmaz,")
    assert OutboxItem.objects.filter(message__customer=customer).count() == 3
    task = Task.objects.get(customer=customer)
    assert task.title == "Review Mehmet Ali Kaya — initial document check"
    assert (task.priority, task.status, task.assignee_id) == ("MEDIUM", "OPEN", staff.ayse.pk)
    # Wed 28 Oct 10:00 + 2 business days, 29 Oct (Republic Day) skipped: Mon 2 Nov 18:00.
    assert task.due_at == dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
    assert Timer.objects.get(case=case).name == "document_reminder"


def test_invalid_input_is_refused_with_field_messages_and_nothing_saved(
    onboarding: Any, staff: Any
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        customer_create(
            clean_customer(
                given_name="",
                nationality="XX",
                language="klingon",
                fields={"service_type": "tourism", "colour": "red"},
            ),
            Actor("test"),
        )
    assert exc.value.errors == {
        "nationality": ["'XX' is not an ISO 3166 country code (e.g. TR, GB)"],
        "language": ["one of ar, de, en, es, fa, fr, ru, tr, uk"],
        "given_name": ["this field is required"],
        "fields.colour": ["unknown field; this playbook has service_type, deadline, intake_notes"],
        "fields.service_type": ["must be one of immigration, insurance"],
    }
    assert Customer.objects.count() == 0
    assert Case.objects.count() == 0
    assert TimelineEvent.objects.count() == 0


def test_suspicious_profile_raises_flags_and_blocks_until_each_is_handled(
    onboarding: Any, staff: Any, frozen_clock: Any
) -> None:
    actor = Actor.of_user(staff.manager.user)
    customer = customer_create(
        clean_customer(given_name="mehmet", phone="5321234567", nationality=""), actor
    )
    case = Case.objects.get(customer=customer)
    assert case.state == "profile_review"
    assert case.agent_id is None
    assert sorted(Flag.objects.filter(case=case).values_list("code", flat=True)) == [
        "name_not_passport_like",
        "nationality_missing",
        "phone_no_country_code",
    ]
    assert Message.objects.count() == 0 and Task.objects.count() == 0

    # Fixing fields resolves their flags by themselves.
    customer_update(customer.pk, {"phone": "+905321234567", "nationality": "TR"}, actor)
    assert dict(Flag.objects.filter(case=case).values_list("code", "status")) == {
        "name_not_passport_like": "OPEN",
        "nationality_missing": "RESOLVED",
        "phone_no_country_code": "RESOLVED",
    }
    case.refresh_from_db()
    assert case.state == "profile_review"

    # A flag whose problem is still there cannot be "resolved" without a reason...
    name_flag = Flag.objects.get(case=case, code="name_not_passport_like")
    with pytest.raises(ValidationFailed) as exc:
        flag_resolve(name_flag.pk, actor)
    assert exc.value.errors == {
        "reason": ["the problem is still there: fix the field, or override with a reason"]
    }
    name_flag.refresh_from_db()
    assert name_flag.status == "OPEN"
    # ...but can be overridden with one, which lets the case proceed.
    flag_resolve(name_flag.pk, actor, reason="Passport printed in lower case; checked the scan")
    name_flag.refresh_from_db()
    assert (name_flag.status, name_flag.resolved_by) == ("OVERRIDDEN", staff.manager.user)
    case.refresh_from_db()
    assert case.state == "intake"
    assert case.agent_id == staff.ayse.pk
    with pytest.raises(Conflict):
        flag_resolve(name_flag.pk, actor, reason="again")


def test_whole_sop_to_onboarded(onboarding: Any, staff: Any, frozen_clock: Any) -> None:
    agent = Actor.of_user(staff.ayse.user)
    customer = customer_create(
        clean_customer(
            order={"service_type": "immigration", "notes": "Family residence permit"},
            documents=["Passport (all pages)", "Biometric photo"],
        ),
        Actor("api:app-web"),
    )
    case = Case.objects.get(customer=customer)
    intake = Task.objects.get(case=case, key="intake")
    assert intake.description.splitlines()[-3:] == [
        "- Residence permit card",
        "- Rental contract or proof of address",
        "- Health insurance policy",
    ]

    with pytest.raises(Refused) as exc:
        task_complete(intake.pk, agent)
    assert exc.value.reasons == [
        "Order reviewed and service type confirmed",
        "Next follow-up task created",
    ]
    intake.refresh_from_db()
    assert intake.status == "OPEN"

    order_review(customer.orders.get().pk, agent, service_type="immigration", notes="Spouse visa")
    follow_up = task_create(case_id=case.pk, key="follow_up", actor=agent)
    assert follow_up.title == "Follow up with Mehmet Ali Kaya on documents"
    with pytest.raises(Conflict):
        task_create(case_id=case.pk, key="follow_up", actor=agent)
    task_complete(intake.pk, agent)
    case.refresh_from_db()
    assert case.state == "collecting_documents"

    for doc in IMMIGRATION_DOCS[2:]:
        document_receive(customer.pk, doc, agent)
    case.refresh_from_db()
    assert (case.state, case.status) == ("onboarded", "CLOSED")
    assert Agent.objects.get(pk=staff.ayse.pk).open_cases == 0
    assert Timer.objects.get(case=case, name="document_reminder").status == "CANCELLED"
    assert customer.timeline.filter(type="NOTE").get().payload == {
        "text": "Onboarding complete: every required document is in."
    }


def test_logged_welcome_counts_as_sent(onboarding: Any, staff: Any) -> None:
    # The customer has no WhatsApp flag: no automatic welcome; the agent logs one.
    customer = customer_create(clean_customer(whatsapp=False), Actor("test"))
    case = Case.objects.get(customer=customer)
    flag = Flag.objects.get(case=case)
    assert flag.code == "phone_not_whatsapp"
    flag_resolve(flag.pk, Actor("test"), reason="Customer prefers email")
    case.refresh_from_db()
    assert case.state == "intake"
    assert not Message.objects.filter(customer=customer, template="welcome").exists()
    assert customer.timeline.get(type="MESSAGE_NOT_SENT").payload == {
        "template": "welcome",
        "reason": "the customer has no whatsapp address",
    }
    message_log(
        customer_id=customer.pk,
        case_id=case.pk,
        channel="PHONE",
        direction="OUTBOUND",
        template="welcome",
        body="Called and welcomed the customer",
        actor=Actor("test"),
    )
    intake = Task.objects.get(case=case, key="intake")
    with pytest.raises(Refused) as exc:
        task_complete(intake.pk, Actor("test"))
    assert "Welcome message sent" not in exc.value.reasons


def test_manual_reassignment_writes_agent_assigned_and_moves_tasks(
    onboarding: Any, staff: Any
) -> None:
    customer = customer_create(clean_customer(), Actor("test"))
    case = Case.objects.get(customer=customer)
    case_assign(case.pk, staff.john.pk, Actor.of_user(staff.manager.user), "Ayşe on leave")
    case.refresh_from_db()
    assert case.agent_id == staff.john.pk
    event = customer.timeline.filter(type="AGENT_ASSIGNED").order_by("-id").first()
    assert event is not None
    assert event.payload == {
        "agent_id": staff.john.pk,
        "agent_name": "John Carter",
        "previous_agent_id": staff.ayse.pk,
        "reason": "Ayşe on leave",
    }
    assert event.actor == "user:maria"
    assert Task.objects.get(case=case, key="intake").assignee_id == staff.john.pk
    counts = dict(Agent.objects.values_list("pk", "open_cases"))
    assert (counts[staff.ayse.pk], counts[staff.john.pk]) == (0, 1)
    with pytest.raises(Conflict):
        case_assign(case.pk, staff.john.pk, Actor("test"))


def test_withdrawn_by_hand_and_refused_afterwards(onboarding: Any, staff: Any) -> None:
    customer = customer_create(clean_customer(), Actor("test"))
    case = Case.objects.get(customer=customer)
    case_transition(case.pk, "withdrawn", Actor("test"))
    case.refresh_from_db()
    assert (case.state, case.status) == ("withdrawn", "CLOSED")
    # No work is left behind: the intake task and the reminder are cancelled.
    assert list(case.tasks.values_list("key", "status")) == [("intake", "CANCELLED")]
    assert list(Timer.objects.filter(case=case).values_list("status", flat=True)) == ["CANCELLED"]
    closed = customer.timeline.get(type="CASE_CLOSED")
    assert closed.payload == {"state": "withdrawn", "tasks_cancelled": 1, "timers_cancelled": 1}
    assert Agent.objects.get(pk=staff.ayse.pk).open_cases == 0
    before = TimelineEvent.objects.count()
    with pytest.raises(Refused):
        case_transition(case.pk, "intake", Actor("test"))
    with pytest.raises(Refused):
        case_assign(case.pk, staff.john.pk, Actor("test"))
    assert TimelineEvent.objects.count() == before
    assert Case.objects.get(pk=case.pk).agent_id == staff.ayse.pk


def test_case_numbers_use_the_teams_year(onboarding: Any, staff: Any, frozen_clock: Any) -> None:
    # 31 December 22:30 UTC is already 1 January 01:30 in Istanbul.
    frozen_clock.set_now(dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC))
    customer = customer_create(clean_customer(), Actor("test"))
    assert Case.objects.get(customer=customer).number == "ONB-2027-000001"


def test_the_timeline_is_append_only_and_typed(onboarding: Any, staff: Any) -> None:
    from opsdesk.cases.apply import timeline_row

    customer = customer_create(clean_customer(), Actor("test"))
    event = customer.timeline.get(type="AGENT_ASSIGNED")
    event.payload = {"agent_name": "someone else"}
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    event.refresh_from_db()
    assert event.payload["agent_name"] == "Ayşe Yılmaz"
    with pytest.raises(ValueError, match="unknown timeline event type 'AGENT_ASIGNED'"):
        timeline_row(None, customer.pk, "AGENT_ASIGNED", Actor("test"), event.at)


def test_a_database_error_mid_intake_leaves_nothing_and_the_next_intake_works(
    onboarding: Any, staff: Any, frozen_clock: Any
) -> None:
    from django.db import IntegrityError

    from opsdesk.cases.models import CaseNumberCounter

    first = customer_create(clean_customer(), Actor("test"))
    # Wind the counter back: the next case number collides with the first case's.
    CaseNumberCounter.objects.update(value=0)
    counts = (Customer.objects.count(), Case.objects.count(), TimelineEvent.objects.count())
    with pytest.raises(IntegrityError):
        customer_create(clean_customer(given_name="Zeynep"), Actor("test"))
    assert (Customer.objects.count(), Case.objects.count(), TimelineEvent.objects.count()) == counts
    assert Message.objects.exclude(customer=first).count() == 0
    assert Agent.objects.get(pk=staff.ayse.pk).open_cases == 1
    # The failed intake's counter step was rolled back too; put the counter right
    # and the same connection takes the next intake.
    assert CaseNumberCounter.objects.get().value == 0
    CaseNumberCounter.objects.update(value=1)
    second = customer_create(clean_customer(given_name="Zeynep"), Actor("test"))
    assert Case.objects.get(customer=second).number == "ONB-2026-000002"
