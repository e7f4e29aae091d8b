from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "opsdesk.billing"
    label = "billing"

    def ready(self) -> None:
        from opsdesk.billing.selectors import load_billing
        from opsdesk.cases.context import register_case_context

        register_case_context("billing", load_billing)
