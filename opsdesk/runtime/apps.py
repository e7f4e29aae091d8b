from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    name = "opsdesk.runtime"
    label = "runtime"
