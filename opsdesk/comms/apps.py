from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "opsdesk.comms"
    label = "comms"
