"""Customers' feedback on a case (a rating, a comment, consent to publish it) and the
testimonials kept from it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.common import ids


# Named functions: migrations refer to a default by import path.
def feedback_id() -> str:
    return ids.new_id("fb")


def testimonial_id() -> str:
    return ids.new_id("tst")


class Channel(models.TextChoices):
    WEB = "WEB", _("Customer link")
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    EMAIL = "EMAIL", _("Email")
    STAFF = "STAFF", _("Recorded by staff")


class Feedback(models.Model):
    """What the customer thought of a case: at most one per case."""

    id = models.CharField(primary_key=True, max_length=32, default=feedback_id, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="feedback")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField()  # 1 (bad) to 5 (excellent)
    comment = models.TextField(blank=True)
    consent = models.BooleanField(default=False)  # we may quote it publicly
    channel = models.CharField(max_length=20, choices=Channel.choices)
    actor = models.CharField(max_length=100)  # who recorded it, as on the timeline
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case"], name="feedback_one_per_case"),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 ({self.pk})"


class Testimonial(models.Model):
    """Feedback given with consent, kept to be published on the website once a
    manager approves it."""

    id = models.CharField(primary_key=True, max_length=32, default=testimonial_id, editable=False)
    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="testimonial")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="testimonials"
    )
    text = models.TextField(blank=True)  # the feedback's comment
    rating = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["-created_at"], name="testimonial_newest")]

    def __str__(self) -> str:
        return f"{self.rating}/5 ({self.pk})"
