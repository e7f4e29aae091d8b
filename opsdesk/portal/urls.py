from django.urls import path

from opsdesk.portal import views

app_name = "portal"
urlpatterns = [
    path("c/<str:token>/", views.case_page, name="case"),
]
