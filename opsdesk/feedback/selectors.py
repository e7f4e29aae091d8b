"""Read queries over feedback and testimonials, shared by the portal, the UI and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.access.policy import visible_via
from opsdesk.feedback.models import Feedback, Testimonial


def feedback_of_case(case_id: str) -> Feedback | None:
    return Feedback.objects.filter(case_id=case_id).first()


def feedback_given(case_id: str) -> bool:
    return Feedback.objects.filter(case_id=case_id).exists()


def testimonials(user: Any, published: bool | None = None) -> QuerySet[Testimonial]:
    """The testimonials of customers `user` may see, newest first."""
    qs = Testimonial.objects.filter(visible_via(user)).select_related("customer", "feedback__case")
    if published is not None:
        qs = qs.filter(published=published)
    return qs.order_by("-created_at", "-id")
