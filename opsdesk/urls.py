from django.contrib import admin
from django.urls import include, path

from opsdesk.api.root import api
from opsdesk.runtime import health, metrics

# A request that lost the database gets 503 with Retry-After, not a bare 500.
handler500 = "opsdesk.runtime.unavailable.server_error"

urlpatterns = [
    # Operations: for load balancers and Prometheus, outside the UI and the API.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("opsdesk.portal.urls")),
    path("", include("opsdesk.web.urls")),
]
