from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "opsdesk.field"
    label = "field"
    verbose_name = "Field service"
