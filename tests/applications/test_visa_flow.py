"""The visa SOP end to end through the API: a partner platform assigns an
application with two travellers; review with a missing item, introduction,
bookings pushed to the partner (which is down at first), documents, filing with
a four-eyes QA that sends the work back once, submission, the pack, the
embassy, the outcome per traveller, feedback and the customer's source."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from opsdesk.applications.models import Application
from opsdesk.cases.models import Case, CaseMilestone
from opsdesk.comms.models import Message
from opsdesk.partners.models import StatusPush
from opsdesk.runtime.worker import Worker
from opsdesk.tasks.models import Task
from tests.applications.helpers import APPLICATION, as_agent, bearer, post
from tests.fakes.partner_webhook import FakePartnerWebhook

pytestmark = pytest.mark.django_db

APPOINTMENT = dt.datetime(2026, 11, 9, 7, 30, tzinfo=dt.UTC)  # 10:30 in Istanbul


def open_task(case: Case, key: str) -> Task:
    return Task.objects.get(case=case, key=key, status="OPEN")


def complete(task: Task, auth: dict[str, str], **fields: Any) -> Any:
    return post(f"/api/v1/tasks/{task.pk}/complete", auth, {"fields": fields})


def test_an_application_with_two_travellers_from_the_partner_to_feedback(
    desk: dict[str, Any], partner_site: FakePartnerWebhook, frozen_clock: Any
) -> None:
    staff = desk["staff"]
    ayse, john = as_agent(staff.ayse), as_agent(staff.john)

    def tick() -> None:  # a minute passes between two steps
        frozen_clock.set_now(frozen_clock.now() + dt.timedelta(minutes=1))

    partner = bearer(desk["partner_token"])

    created = post("/api/v1/applications", partner, APPLICATION)
    assert created.status_code == 201, created.content
    body = created.json()
    assert [t["given_name"] for t in body["travellers"]] == ["Deniz", "Ece"]
    assert (body["case_state"], body["destination"]) == ("reviewing", "DE")
    again = post("/api/v1/applications", partner, APPLICATION)
    assert (again.status_code, again.json()["id"]) == (200, body["id"])
    app = Application.objects.get(pk=body["id"])
    case = Case.objects.get(pk=app.case_id)
    deniz, ece = app.travellers.order_by("position")

    # 1. Review: Ece's passport copy is missing, recorded on the application.
    review = open_task(case, "review_application")
    assert review.title == "Review TP-77812: visit details and the document checklist"
    item = post(
        f"/api/v1/applications/{app.pk}/missing-items",
        ayse,
        {
            "kind": "DOCUMENT",
            "key": "passport_copy",
            "label": "Passport copy",
            "traveller_id": ece.pk,
        },
    )
    assert item.status_code == 201, item.content
    assert complete(review, ayse).status_code == 200
    case.refresh_from_db()
    assert case.state == "introduction"
    asked = Message.objects.get(case=case, template="missing_items")
    assert "we still need: Passport copy" in asked.body

    # 2. Introduction call with the German script.
    intro = open_task(case, "introduction_call")
    assert intro.description.startswith("Call script: Germany: Schengen C visa")
    done = complete(
        intro, ayse, introduction_notes="Both can attend in Istanbul", customer_ready="yes"
    )
    assert done.status_code == 200, done.content

    # 3-4. Bookings, one per traveller, each pushed to the partner (down at first).
    booking = open_task(case, "book_appointments")
    assert "German visa centre, İstanbul (Gayrettepe)" in booking.description
    partner_site.fail_next(503, count=2)
    for t in (deniz, ece):
        tick()
        booked = post(
            f"/api/v1/travellers/{t.pk}",
            ayse,
            {
                "status": "APPOINTMENT_BOOKED",
                "appointment_at": APPOINTMENT.isoformat(),
                "appointment_place": "Gayrettepe, İstanbul",
            },
        )
        assert booked.status_code == 200, booked.content
        if t is deniz:  # one booked, one not: the task may not close yet
            refused = complete(booking, ayse)
            assert refused.status_code == 409
            assert refused.json()["reasons"] == ["every traveller needs a booked appointment first"]
    Worker().run_once()
    first = StatusPush.objects.order_by("created_at", "pk").first()
    assert first is not None and (first.state, first.attempts) == ("PENDING", 1)
    assert complete(booking, ayse).status_code == 200

    # 5. The documents review waits for the missing passport copy.
    docs = open_task(case, "review_documents")
    assert complete(docs, ayse).json()["reasons"] == [
        "items are still missing: resolve or waive them first"
    ]
    resolved = post(
        f"/api/v1/missing-items/{item.json()['id']}/resolve", ayse, {"status": "RECEIVED"}
    )
    assert resolved.status_code == 200
    assert complete(docs, ayse).status_code == 200

    # 6-7. Filing and its four-eyes QA: Ayşe may not check her own work; John sends it back.
    assert complete(open_task(case, "file_application"), ayse).status_code == 200
    qa = open_task(case, "qa_online_submission")
    own = complete(qa, ayse, qa_outcome="approve")
    assert own.status_code == 409
    assert own.json()["reasons"] == [
        "Four eyes: you completed the work under review (file_application); "
        "someone else must review it"
    ]
    assert Task.objects.get(pk=qa.pk).status == "OPEN"
    assert (
        complete(qa, john, qa_outcome="reject", qa_reasons="Hotel dates differ").status_code == 200
    )
    again_filing = open_task(case, "file_application")
    assert again_filing.description == "Sent back by QA: Hotel dates differ"
    assert complete(again_filing, ayse).status_code == 200
    approved = complete(open_task(case, "qa_online_submission"), john, qa_outcome="approve")
    assert approved.status_code == 200, approved.content

    # 8-11. Submission, the pack and its QA, sending the pack.
    tick()
    assert (
        complete(
            open_task(case, "submit_and_pay"), ayse, submission_reference="DE-2026-55"
        ).status_code
        == 200
    )
    assert complete(open_task(case, "prepare_pack"), ayse).status_code == 200
    assert complete(open_task(case, "qa_pack"), john, qa_outcome="approve").status_code == 200
    assert complete(open_task(case, "send_pack"), ayse).status_code == 200
    case.refresh_from_db()
    assert case.state == "at_embassy"

    # 12-14. At the embassy, then a decision per traveller.
    for t, outcome in ((deniz, "APPROVED"), (ece, "REJECTED")):
        tick()
        assert post(f"/api/v1/travellers/{t.pk}", ayse, {"status": "AT_EMBASSY"}).status_code == 200
        tick()
        assert post(f"/api/v1/travellers/{t.pk}", ayse, {"status": outcome}).status_code == 200
    case.refresh_from_db()
    assert case.state == "feedback"
    assert Message.objects.filter(case=case, template="feedback_request").count() == 1

    # 15-16. The customer's source closes the case.
    assert (
        complete(
            open_task(case, "customer_source"), ayse, customer_source="partner_platform"
        ).status_code
        == 200
    )
    case.refresh_from_db()
    assert (case.state, case.status) == ("closed", "CLOSED")
    assert set(CaseMilestone.objects.filter(case=case).values_list("name", flat=True)) == {
        "introduced",
        "appointments_booked",
        "pack_sent",
        "decided",
    }

    # The partner comes back: every status arrives once, in order, signed.
    for _ in range(6):
        frozen_clock.set_now(frozen_clock.now() + dt.timedelta(hours=2))
        Worker().run_once()
    pushes = list(StatusPush.objects.order_by("created_at", "pk"))
    assert [(p.status, p.subject, p.state) for p in pushes] == [
        ("appointment_booked", deniz.pk, "DELIVERED"),
        ("appointment_booked", ece.pk, "DELIVERED"),
        ("submitted", "", "DELIVERED"),
        ("at_embassy", deniz.pk, "DELIVERED"),
        ("approved", deniz.pk, "DELIVERED"),
        ("at_embassy", ece.pk, "DELIVERED"),
        ("rejected", ece.pk, "DELIVERED"),
    ]
    # The partner's two 503s hit the two bookings' first attempts; the retries got through.
    assert [p.attempts for p in pushes] == [2, 2, 1, 1, 1, 1, 1]
    # The partner's view of the application shows each push and how it went.
    seen = Client().get(f"/api/v1/applications/{app.pk}", **partner).json()["status_pushes"]
    assert [(p["status"], p["state"], p["attempts"], p["http_status"]) for p in seen] == [
        ("appointment_booked", "DELIVERED", 2, 200),
        ("appointment_booked", "DELIVERED", 2, 200),
        ("submitted", "DELIVERED", 1, 200),
        ("at_embassy", "DELIVERED", 1, 200),
        ("approved", "DELIVERED", 1, 200),
        ("at_embassy", "DELIVERED", 1, 200),
        ("rejected", "DELIVERED", 1, 200),
    ]
    # Each arrived once; the first, retried, arrived after the later ones (the
    # payload's `at` says when each status happened).
    received = [(r["status"], r["subject"], r["reference"]) for r in partner_site.requests]
    assert sorted(received) == sorted((p.status, p.subject, "TP-77812") for p in pushes)
