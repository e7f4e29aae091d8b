from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "opsdesk.staff"
    label = "staff"
