from django.contrib import admin

from opsdesk.common.admin import ReadOnlyAdmin
from opsdesk.feedback.models import Feedback, Testimonial


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "customer", "rating", "consent", "channel", "created_at")
    list_filter = ("rating", "consent", "channel")


@admin.register(Testimonial)
class TestimonialAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "rating", "published", "created_at")
    list_filter = ("published", "rating")
