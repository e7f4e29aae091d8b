"""The customer's feedback form on the customer link (/c/<token>/feedback/) through the
HTTP client, and what the playbook makes of the feedback: a testimonial with
consent, a complaint task for a poor rating."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.test import Client

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.feedback import models as fm
from opsdesk.feedback.models import Feedback
from opsdesk.portal.links import case_link
from opsdesk.tasks.models import Task
from tests.feedback.helpers import AGENT

COMMENT = "Ayşe sorted out my residence permit in two days. Wonderful service!"


def html(response: Any) -> str:
    return response.content.decode()


def text_of(response: Any, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html(response), re.S)
    assert match, f"no #{element_id} on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def form_url(case: Case) -> str:
    return case_link(case.pk) + "feedback/"


def post(case: Case, **data: Any) -> Any:
    return Client().post(form_url(case), data)


def written(case: Case) -> tuple[Any, ...]:
    """Everything a submission may write, to assert that nothing was."""
    return (
        Feedback.objects.count(),
        fm.Testimonial.objects.count(),
        list(TimelineEvent.objects.filter(case=case).values_list("type", flat=True)),
        Task.objects.filter(case=case).count(),
        Case.objects.get(pk=case.pk).updated_at,
    )


def new_types(case: Case, before: list[str]) -> list[str]:
    types = list(
        TimelineEvent.objects.filter(case=case).order_by("id").values_list("type", flat=True)
    )
    return types[len(before) :]


def test_the_link_ends_with_a_slash_so_templates_can_append_feedback(case: Case) -> None:
    assert case_link(case.pk).endswith("/")
    assert form_url(case) == f"/c/{case_link(case.pk).split('/')[2]}/feedback/"


def test_the_form_offers_five_ratings_a_comment_and_consent(case: Case) -> None:
    response = Client().get(form_url(case))
    assert response.status_code == 200
    page = html(response)
    assert '<html lang="en">' in page
    assert text_of(response, "feedback-title") == "How did we do?"
    labels = re.findall(r'<label for="rating-(\d)">([^<]+)</label>', page)
    assert labels == [
        ("1", "1 – Very poor"),
        ("2", "2 – Poor"),
        ("3", "3 – Okay"),
        ("4", "4 – Good"),
        ("5", "5 – Excellent"),
    ]
    assert re.findall(r'type="radio" name="rating" value="(\d)"', page) == list("12345")
    assert '<textarea name="comment"' in page
    assert text_of(response, "feedback-submit") == "Send my feedback"
    assert "You may quote my feedback on your website" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_form_speaks_turkish(case: Case) -> None:
    response = Client().get(form_url(case) + "?lang=tr")
    assert text_of(response, "feedback-title") == "Nasıldık?"
    assert "Görüşümü web sitenizde alıntılayabilirsiniz" in html(response)
    assert 'name="lang" value="tr"' in html(response)


def test_five_stars_with_consent_keep_a_testimonial(case: Case, frozen_clock: Any) -> None:
    before = written(case)[2]
    response = post(case, rating="5", comment=f"  {COMMENT} ", consent="yes")
    assert response.status_code == 302
    assert response["Location"] == form_url(case) + "?done=1"

    feedback = Feedback.objects.get()
    assert (feedback.case_id, feedback.customer_id) == (case.pk, case.customer_id)
    assert (feedback.rating, feedback.comment, feedback.consent) == (5, COMMENT, True)
    assert (feedback.channel, feedback.actor) == ("WEB", "customer")
    assert feedback.created_at == frozen_clock.now()
    testimonial = fm.Testimonial.objects.get()
    assert testimonial.feedback_id == feedback.pk
    assert (testimonial.customer_id, testimonial.text, testimonial.rating) == (
        case.customer_id,
        COMMENT,
        5,
    )
    assert (testimonial.published, testimonial.published_at) == (False, None)
    assert new_types(case, before) == ["FEEDBACK_RECEIVED", "TESTIMONIAL_KEPT"]
    received = TimelineEvent.objects.get(case=case, type="FEEDBACK_RECEIVED")
    assert received.payload == {
        "feedback_id": feedback.pk,
        "rating": 5,
        "comment": COMMENT,
        "consent": True,
    }
    assert received.actor == "customer"
    assert Task.objects.filter(case=case).count() == 0

    thanks = Client().get(response["Location"])
    assert thanks.status_code == 200
    assert text_of(thanks, "feedback-title") == "Thank you!"
    assert text_of(thanks, "feedback-thanks") == (
        "Thank you for your feedback. It helps us do better."
    )


def test_five_stars_without_consent_keep_no_testimonial(case: Case) -> None:
    before = written(case)[2]
    response = post(case, rating="5", comment=COMMENT)
    assert response.status_code == 302
    assert Feedback.objects.get().consent is False
    assert fm.Testimonial.objects.count() == 0
    assert new_types(case, before) == [
        "FEEDBACK_RECEIVED",
        "TESTIMONIAL_KEPT",  # the engine asked for it ...
        "TESTIMONIAL_SKIPPED",  # ... and the feedback app says why none was kept
    ]
    skipped = TimelineEvent.objects.get(case=case, type="TESTIMONIAL_SKIPPED")
    assert skipped.payload == {"reason": "no consent to publish"}


def test_a_poor_rating_opens_the_complaint_task(case: Case) -> None:
    before = written(case)[2]
    response = post(case, rating="2", comment="Nobody called me back.", consent="yes")
    assert response.status_code == 302
    task = Task.objects.get(case=case)
    assert (task.key, task.status, task.priority) == ("complaint", "OPEN", "HIGH")
    assert task.title == "Call Deniz Aksoy about their complaint"
    assert task.description == "Nobody called me back."
    assert task.assignee_id == case.agent_id
    assert fm.Testimonial.objects.count() == 0
    assert new_types(case, before) == ["FEEDBACK_RECEIVED", "TASK_CREATED"]


def test_a_middling_rating_is_only_recorded(case: Case) -> None:
    before = written(case)[2]
    assert post(case, rating="3").status_code == 302
    assert Feedback.objects.get().comment == ""
    assert (fm.Testimonial.objects.count(), Task.objects.count()) == (0, 0)
    assert new_types(case, before) == ["FEEDBACK_RECEIVED"]


def test_a_second_submission_is_refused_and_changes_nothing(case: Case) -> None:
    post(case, rating="5", comment=COMMENT, consent="yes")
    before = written(case)
    response = post(case, rating="1", comment="Changed my mind", consent="yes")
    assert response.status_code == 409
    assert text_of(response, "feedback-title") == "Feedback already given"
    assert text_of(response, "feedback-given") == (
        "We have already received your feedback on this order. Thank you!"
    )
    assert written(case) == before
    assert Feedback.objects.get().rating == 5
    # Opening the form again says so too, without a form.
    again = Client().get(form_url(case))
    assert again.status_code == 200
    assert text_of(again, "feedback-title") == "Feedback already given"
    assert 'id="feedback-form"' not in html(again)


def test_a_bad_rating_is_refused_with_the_field_error(case: Case) -> None:
    before = written(case)
    for rating in ("", "0", "6", "five", "4.5"):
        response = post(case, rating=rating, comment=COMMENT, consent="yes")
        assert response.status_code == 400, rating
        assert text_of(response, "rating-error") == "Please choose a rating from 1 to 5."
        # What the customer wrote is kept in the form.
        assert f">{COMMENT}</textarea>" in html(response)
        assert 'name="consent" value="yes" id="feedback-consent" checked' in html(response)
    assert written(case) == before


def test_a_too_long_comment_is_refused(case: Case) -> None:
    before = written(case)
    response = post(case, rating="4", comment="x" * 2001, lang="tr")
    assert response.status_code == 400
    assert text_of(response, "comment-error") == (
        "Lütfen yorumunuzu en fazla 2000 karakterle sınırlayın."
    )
    assert 'id="rating-error"' not in html(response)
    assert written(case) == before
    assert post(case, rating="4", comment="x" * 2000).status_code == 302


def test_an_expired_or_forged_link_is_refused(case: Case, frozen_clock: Any) -> None:
    url = form_url(case)
    frozen_clock.set_now(frozen_clock.now() + dt.timedelta(days=31))
    before = written(case)
    for response in (Client().get(url), Client().post(url, {"rating": "5", "consent": "yes"})):
        assert response.status_code == 404
        assert "This link is no longer valid" in html(response)
        assert "Bu bağlantı artık geçerli değil" in html(response)
    forged = url.replace("/c/", "/c/x", 1)
    assert Client().post(forged, {"rating": "5"}).status_code == 404
    assert written(case) == before


def test_the_case_page_links_to_the_form_until_feedback_is_given(case: Case) -> None:
    page = Client().get(case_link(case.pk))
    assert page.status_code == 200
    assert text_of(page, "give-feedback") == "Give feedback"
    assert f'href="{form_url(case)}"' in html(page)
    post(case, rating="4")
    assert 'id="give-feedback"' not in html(Client().get(case_link(case.pk)))


def test_feedback_on_a_closed_case_is_recorded_without_telling_the_case(case: Case) -> None:
    from opsdesk.cases.services import case_transition

    case_transition(case.pk, "done", AGENT)
    before = written(case)[2]
    assert post(case, rating="5", comment=COMMENT, consent="yes").status_code == 302
    assert Feedback.objects.get().rating == 5
    assert fm.Testimonial.objects.count() == 0
    assert new_types(case, before) == ["FEEDBACK_RECEIVED"]


def test_a_playbook_that_refuses_the_event_does_not_undo_the_feedback(
    case: Case, monkeypatch: Any
) -> None:
    from opsdesk.cases import services as case_services
    from opsdesk.common.errors import Refused

    def refuse(case_id: str, event: Any, actor: Any) -> None:
        # Something written before the refusal is rolled back with the event alone.
        c = Case.objects.get(pk=case_id)
        TimelineEvent.objects.create(
            customer_id=c.customer_id, case=c, type="NOTE", actor="x", at=c.updated_at
        )
        raise Refused(["not now"])

    monkeypatch.setattr(case_services, "dispatch", refuse)
    before = written(case)[2]
    assert post(case, rating="5", comment=COMMENT, consent="yes").status_code == 302
    assert Feedback.objects.count() == 1
    assert fm.Testimonial.objects.count() == 0
    assert new_types(case, before) == ["FEEDBACK_RECEIVED"]
