from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "opsdesk.intake"
    label = "intake"
    verbose_name = "Customer requests"

    def ready(self) -> None:
        from opsdesk.cases.context import register_case_context
        from opsdesk.intake.context import load_intake

        # Later decisions of a request's case still see how it came in (`intake`).
        register_case_context("intake", load_intake, triggers=frozenset({"request.received"}))
