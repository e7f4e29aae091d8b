"""Feedback on a case and the testimonials kept from it: the only code that writes them.

`feedback_submit` records what the customer said and tells the case
`feedback.received`; the playbook decides what follows (a `testimonial`, a
complaint task). `testimonial_keep` is how the engine's `testimonial` action is
carried out (from `opsdesk.cases.apply`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case, CaseStatus
from opsdesk.cases.services import dispatch_news, lock_case
from opsdesk.common import clock
from opsdesk.common.actors import SYSTEM, Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.engine.types import Event
from opsdesk.feedback.models import Channel, Feedback, Testimonial

COMMENT_MAX = 2000
ALREADY_GIVEN = "Feedback for this case has already been given."
NO_CONSENT = "no consent to publish"


def _rating(value: Any) -> int | None:
    """An int 1-5 (a form posts it as text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and 1 <= value <= 5 else None


def feedback_submit(
    case_id: str, rating: Any, comment: str, consent: bool, channel: str, actor: Actor
) -> Feedback:
    """Record the customer's feedback on a case (once) and tell the case. Raises
    ValidationFailed, Conflict (already given) or Case.DoesNotExist."""
    errors: dict[str, list[str]] = {}
    value = _rating(rating)
    if value is None:
        errors["rating"] = ["Choose a rating from 1 to 5."]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [f"At most {COMMENT_MAX} characters ({len(comment)} given)."]
    if channel not in Channel.values:
        errors["channel"] = [f"one of {', '.join(Channel.values)}"]
    if errors:
        raise ValidationFailed(errors)
    assert value is not None
    with transaction.atomic():
        case = lock_case(case_id)
        # The case lock serializes submissions; the unique constraint backs it up.
        if Feedback.objects.filter(case_id=case.pk).exists():
            raise Conflict(ALREADY_GIVEN)
        now = clock.now()
        try:
            with transaction.atomic():
                feedback = Feedback.objects.create(
                    case=case,
                    customer_id=case.customer_id,
                    rating=value,
                    comment=comment,
                    consent=bool(consent),
                    channel=channel,
                    actor=actor.label,
                    created_at=now,
                )
        except IntegrityError:
            raise Conflict(ALREADY_GIVEN) from None
        timeline_row(
            case,
            case.customer_id,
            "FEEDBACK_RECEIVED",
            actor,
            now,
            feedback_id=feedback.pk,
            rating=value,
            comment=comment,
            consent=feedback.consent,
        ).save()
        _tell_case(case, feedback, actor)
    return feedback


def _tell_case(case: Case, feedback: Feedback, actor: Actor) -> None:
    """`feedback.received` to the case, in the caller's transaction. A closed case is
    not told; a playbook that refuses the event does not undo the feedback (a savepoint)."""
    if case.status != CaseStatus.OPEN:
        return
    data = {
        "rating": feedback.rating,
        "comment": feedback.comment,
        "consent": feedback.consent,
        "feedback_id": feedback.pk,
    }
    dispatch_news(case.pk, Event("feedback.received", data), actor)


def testimonial_keep(case: Case, feedback_id: str, now: dt.datetime) -> Testimonial | None:
    """The playbook's `testimonial` action: keep the case's feedback as a testimonial
    when the customer consented to publishing it; otherwise say why not on the timeline.
    Runs inside the engine's transaction, with the case locked."""
    feedback = Feedback.objects.filter(pk=feedback_id, case_id=case.pk).first()
    reason = "" if feedback is None or feedback.consent else NO_CONSENT
    if feedback is None:
        reason = "the feedback is not this case's"
    if reason:
        timeline_row(
            case, case.customer_id, "TESTIMONIAL_SKIPPED", SYSTEM, now, reason=reason
        ).save()
        return None
    testimonial, _ = Testimonial.objects.get_or_create(
        feedback=feedback,
        defaults={
            "customer_id": feedback.customer_id,
            "text": feedback.comment,
            "rating": feedback.rating,
            "created_at": now,
        },
    )
    return testimonial


def testimonial_publish(testimonial_id: str, published: bool, actor: Actor) -> Testimonial:
    """Publish (or withdraw) a kept testimonial. Publishing again changes nothing."""
    with transaction.atomic():
        testimonial = Testimonial.objects.select_for_update().get(pk=testimonial_id)
        if testimonial.published == published:
            return testimonial
        testimonial.published = published
        testimonial.published_at = clock.now() if published else None
        testimonial.save(update_fields=["published", "published_at"])
    return testimonial
