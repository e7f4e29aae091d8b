from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "opsdesk.orders"
    label = "orders"

    def ready(self) -> None:
        from opsdesk.orders import handback
        from opsdesk.runtime.outbox import register_effect

        register_effect(handback.EFFECT, handback.deliver)
