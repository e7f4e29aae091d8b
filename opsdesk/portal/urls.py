from django.urls import path

from opsdesk.portal import views

app_name = "portal"
urlpatterns = [
    path("c/<str:token>/", views.case_page, name="case"),
    path("c/<str:token>/reschedule/", views.reschedule, name="reschedule"),
    path("c/<str:token>/cancel/", views.cancel, name="cancel"),
    path("c/<str:token>/pay/", views.pay, name="pay"),
    path("c/<str:token>/visit.ics", views.visit_calendar, name="ics"),
    path("c/<str:token>/feedback/", views.feedback, name="feedback"),
    path("pay/test/<str:ref>/", views.test_checkout, name="test_checkout"),
]
