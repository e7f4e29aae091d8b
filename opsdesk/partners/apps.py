from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "opsdesk.partners"
    label = "partners"

    def ready(self) -> None:
        from opsdesk.partners import services
        from opsdesk.runtime.outbox import register_effect

        register_effect(services.EFFECT, services.deliver, on_dead=services.gave_up)
