from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "opsdesk.field"
    label = "field"
    verbose_name = "Field service"

    def ready(self) -> None:
        from opsdesk.field import replan
        from opsdesk.runtime.outbox import register_effect

        register_effect(replan.EFFECT, replan.run)
