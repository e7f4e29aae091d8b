"""The REST API under /api/v1/, assembled from each app's router."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="opsdesk API",
    version="1",
    description="Run service-operations SOPs as code. See docs/api.md.",
    urls_namespace="api",
)
