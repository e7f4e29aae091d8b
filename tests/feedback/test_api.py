"""The feedback API: staff record feedback given by phone (channel STAFF), managers list
testimonials; refusals change nothing."""

from __future__ import annotations

from typing import Any

from django.test import Client

from opsdesk.access.tokens import token_create
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.feedback import models as fm
from opsdesk.feedback import services
from opsdesk.feedback.models import Feedback
from opsdesk.feedback.services import feedback_submit
from tests.feedback.helpers import AGENT


def auth(agent: Any) -> dict[str, str]:
    _, secret = token_create(agent.user, "desk")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(url: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return Client().post(url, body, content_type="application/json", **headers)


def written() -> tuple[int, ...]:
    return (
        Feedback.objects.count(),
        fm.Testimonial.objects.count(),
        TimelineEvent.objects.count(),
    )


def test_staff_record_feedback_given_by_phone(case: Case, staff: Any) -> None:
    url = f"/api/v1/cases/{case.pk}/feedback"
    body = {"rating": 5, "comment": "Lovely trip", "consent": True}
    r = post(url, auth(staff.ayse), body)
    assert r.status_code == 201, r.content
    out = r.json()
    feedback = Feedback.objects.get()
    testimonial = fm.Testimonial.objects.get()
    assert out == {
        "id": feedback.pk,
        "case_id": case.pk,
        "customer_id": case.customer_id,
        "rating": 5,
        "comment": "Lovely trip",
        "consent": True,
        "channel": "STAFF",
        "actor": "api:ayse",
        "created_at": "2026-10-28T07:00:00Z",
        "testimonial_id": testimonial.pk,
    }
    assert testimonial.text == "Lovely trip"

    before = written()
    again = post(url, auth(staff.john), {"rating": 1})
    assert again.status_code == 409
    assert again.json() == {"detail": "Feedback for this case has already been given."}
    assert written() == before


def test_invalid_feedback_is_a_422_with_field_errors(case: Case, staff: Any) -> None:
    url = f"/api/v1/cases/{case.pk}/feedback"
    before = written()
    r = post(url, auth(staff.ayse), {"rating": 9, "comment": "x" * 2001})
    assert r.status_code == 422
    assert r.json() == {
        "detail": "invalid input",
        "errors": {
            "rating": ["Choose a rating from 1 to 5."],
            "comment": ["At most 2000 characters (2001 given)."],
        },
    }
    assert post(url, auth(staff.ayse), {"comment": "no rating"}).status_code == 422
    assert written() == before


def test_only_staff_who_see_the_customer_record_feedback(case: Case, staff: Any) -> None:
    url = f"/api/v1/cases/{case.pk}/feedback"
    # The case belongs to the Istanbul team: another team's agent does not see it.
    Case.objects.filter(pk=case.pk).update(team=staff.team)
    before = written()
    assert post(url, auth(staff.outsider), {"rating": 5}).status_code == 404
    integration = {"HTTP_AUTHORIZATION": f"Bearer {staff.token}"}
    assert post(url, integration, {"rating": 5}).status_code == 404  # not a customer it created
    assert Client().post(url, {"rating": 5}, content_type="application/json").status_code == 401
    assert written() == before


def test_managers_list_testimonials(case: Case, staff: Any) -> None:
    feedback = feedback_submit(case.pk, 5, "Great", True, "WEB", AGENT)
    testimonial = fm.Testimonial.objects.get(feedback=feedback)
    services.testimonial_publish(testimonial.pk, True, AGENT)
    r = Client().get("/api/v1/testimonials", **auth(staff.manager))
    assert r.status_code == 200
    assert r.json() == [
        {
            "id": testimonial.pk,
            "customer_id": case.customer_id,
            "customer_name": "Deniz Aksoy",
            "case_number": case.number,
            "rating": 5,
            "text": "Great",
            "created_at": "2026-10-28T07:00:00Z",
            "published": True,
            "published_at": "2026-10-28T07:00:00Z",
        }
    ]
    unpublished = Client().get("/api/v1/testimonials?published=false", **auth(staff.manager))
    assert unpublished.json() == []
    assert Client().get("/api/v1/testimonials", **auth(staff.ayse)).status_code == 403


def test_publishing_and_withdrawing_a_testimonial(case: Case, frozen_clock: Any) -> None:
    feedback = feedback_submit(case.pk, 4, "Good", True, "WEB", AGENT)
    testimonial = fm.Testimonial.objects.get(feedback=feedback)
    published = services.testimonial_publish(testimonial.pk, True, AGENT)
    assert (published.published, published.published_at) == (True, frozen_clock.now())
    withdrawn = services.testimonial_publish(testimonial.pk, False, AGENT)
    assert (withdrawn.published, withdrawn.published_at) == (False, None)
