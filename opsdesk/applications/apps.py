from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "opsdesk.applications"
    label = "applications"
    verbose_name = "Partner applications"

    def ready(self) -> None:
        from opsdesk.applications.context import load_applications
        from opsdesk.cases.context import register_case_context

        register_case_context(
            "application", load_applications, triggers=frozenset({"application.received"})
        )
