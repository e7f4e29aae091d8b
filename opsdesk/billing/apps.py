from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "opsdesk.billing"
    label = "billing"
