from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "opsdesk.privacy"
    label = "privacy"
