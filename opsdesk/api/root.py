"""The REST API under /api/v1/, assembled from the routers of this package."""

from __future__ import annotations

from ninja import NinjaAPI

from opsdesk.api import (
    applications,
    billing,
    cases,
    contacts,
    customers,
    documents,
    errors,
    feedback,
    field,
    orders,
    reports,
    requests,
    tasks,
    twilio_webhooks,
    webhooks,
)

api = NinjaAPI(
    title="opsdesk API",
    version="1",
    description=(
        "Run service-operations SOPs as code. Integrations authenticate with "
        "`Authorization: Bearer <token>`; the staff UI uses its session. See docs/api.md."
    ),
    urls_namespace="api",
)
errors.install(api)
# The provider webhooks (webhooks, twilio_webhooks) check their own input.
for _router in (
    customers.router,
    documents.router,
    cases.router,
    tasks.router,
    orders.router,
    reports.router,
    field.router,
    applications.router,
    billing.router,
    requests.router,
    feedback.router,
    contacts.router,
):
    _router.add_decorator(errors.refuse_nul)
api.add_router("", customers.router)
api.add_router("", documents.router)
api.add_router("", cases.router)
api.add_router("", tasks.router)
api.add_router("", orders.router)
api.add_router("", webhooks.router)
api.add_router("", twilio_webhooks.router)
api.add_router("", reports.router)
api.add_router("", field.router)
api.add_router("", applications.router)
api.add_router("", billing.router)
api.add_router("", requests.router)
api.add_router("", feedback.router)
api.add_router("", contacts.router)
