from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "opsdesk.access"
    label = "access"
