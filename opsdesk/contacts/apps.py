from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "opsdesk.contacts"
    label = "contacts"
    verbose_name = "Contact desks"

    def ready(self) -> None:
        from opsdesk.cases.context import register_case_context
        from opsdesk.contacts.context import load_contacts, load_tickets

        register_case_context("ticket", load_tickets, triggers=frozenset({"contact.received"}))
        register_case_context("contact", load_contacts, triggers=frozenset({"contact.received"}))
