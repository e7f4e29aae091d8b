from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "opsdesk.scheduling"
    label = "scheduling"
