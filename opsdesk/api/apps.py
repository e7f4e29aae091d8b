from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "opsdesk.api"
    label = "api"
