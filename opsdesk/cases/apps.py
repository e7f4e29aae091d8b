from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "opsdesk.cases"
    label = "cases"
