from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "opsdesk.chat"
    label = "chat"
    verbose_name = "Internal chat channels"

    def ready(self) -> None:
        from opsdesk.chat import services
        from opsdesk.runtime.outbox import register_effect

        register_effect(services.EFFECT, services.deliver, on_retry=services.retry)
