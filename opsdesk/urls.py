from django.contrib import admin
from django.urls import include, path

from opsdesk.api.root import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("opsdesk.portal.urls")),
    path("", include("opsdesk.web.urls")),
]
