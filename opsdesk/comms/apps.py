from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "opsdesk.comms"
    label = "comms"

    def ready(self) -> None:
        from opsdesk.comms import calls
        from opsdesk.runtime.outbox import register_effect

        register_effect(calls.EFFECT, calls.connect, on_retry=calls.never_retried)
