from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "opsdesk.feedback"
    label = "feedback"
