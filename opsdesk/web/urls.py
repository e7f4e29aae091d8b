"""The agent UI. Customer URLs carry the public id (cus_...)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from opsdesk.web import (
    actions,
    applications,
    contact_reports,
    contacts,
    deadletters,
    dispatch,
    documents,
    language,
    playbooks,
    priority_clients,
    privacy,
    queues,
    quotes,
    reports,
    requests,
    retainers,
    technician,
    testimonials,
    views,
)
from opsdesk.web.shortcuts import secure_headers
from opsdesk.web.signin import SignInForm

app_name = "web"

W = "customers/<str:customer_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        secure_headers(
            auth_views.LoginView.as_view(
                template_name="web/login.html",
                redirect_authenticated_user=True,
                authentication_form=SignInForm,
            )
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),  # POST only
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("settings/language/", language.language_setting, name="language"),
    path("customers/", views.customer_list, name="customers"),
    path("customers/new/", views.customer_new, name="customer_new"),
    path("contacts/new/", contacts.contact_new, name="contact_new"),
    path("contacts/safety/", contacts.safety_queue, name="contact_safety"),
    path("contacts/<str:contact_id>/", contacts.contact_page, name="contact"),
    path("contacts/<str:contact_id>/reason/", contacts.contact_reason_view, name="contact_reason"),
    path("contacts/<str:contact_id>/answer/", contacts.contact_answer_view, name="contact_answer"),
    path("contacts/<str:contact_id>/close/", contacts.contact_close_view, name="contact_close"),
    path("requests/new/<str:playbook>/", requests.request_new, name="request_new"),
    path("request/<str:playbook>/", requests.public_request, name="public_request"),
    path("request/<str:playbook>/done/", requests.public_request_done, name="public_request_done"),
    path("exceptions/", queues.exceptions, name="exceptions"),
    path("exceptions/<str:order_id>/route/", queues.order_route_view, name="order_route"),
    path("retention/", queues.retention, name="retention"),
    path(
        "retention/tasks/<str:task_id>/complete/",
        queues.retention_task_complete,
        name="retention_task_complete",
    ),
    path(
        "retention/cases/<str:case_id>/transition/",
        queues.retention_transition,
        name="retention_transition",
    ),
    path("dispatch/", dispatch.dispatch_board, name="dispatch"),
    path("dispatch/plan/", dispatch.plan_day, name="dispatch_plan"),
    path("dispatch/work-orders/<str:work_order_id>/move/", dispatch.move, name="dispatch_move"),
    path(
        "dispatch/technicians/<str:technician_id>/out/",
        dispatch.technician_out,
        name="dispatch_out",
    ),
    path("my-day/", technician.my_day, name="my_day"),
    path("my-day/<str:work_order_id>/travel/", technician.travel, name="my_day_travel"),
    path("my-day/<str:work_order_id>/arrived/", technician.arrived, name="my_day_arrived"),
    path("my-day/<str:work_order_id>/complete/", technician.complete, name="my_day_complete"),
    path(
        "my-day/<str:work_order_id>/cannot-complete/",
        technician.cannot_complete,
        name="my_day_cannot",
    ),
    path("reports/channels/", reports.channels, name="channels"),
    path("reports/channels.csv", reports.channels_csv, name="channels_csv"),
    path("reports/contacts/", contact_reports.contacts, name="contact_report"),
    path("reports/contacts.csv", contact_reports.contacts_csv, name="contact_report_csv"),
    path("playbooks/", playbooks.playbook_list, name="playbooks"),
    path("playbooks/<str:key>/", playbooks.playbook_detail, name="playbook"),
    path("testimonials/", testimonials.testimonials, name="testimonials"),
    path("testimonials.csv", testimonials.testimonials_csv, name="testimonials_csv"),
    path(
        "testimonials/<str:testimonial_id>/publish/",
        testimonials.publish,
        name="testimonial_publish",
    ),
    path("clients/priority/", priority_clients.priority_client_list, name="priority_clients"),
    path(
        "clients/priority/<str:customer_id>/",
        priority_clients.priority_client_save,
        name="priority_client_save",
    ),
    path(
        "clients/priority/<str:customer_id>/remove/",
        priority_clients.priority_client_remove_view,
        name="priority_client_remove",
    ),
    path(W, views.workspace, name="workspace"),
    path(W + "timeline/", views.timeline_more, name="timeline"),
    path(W + "messages/older/", views.messages_more, name="messages"),
    path(W + "profile/", actions.profile_edit, name="profile_edit"),
    path(W + "flags/<str:flag_id>/resolve/", actions.flag_resolve_view, name="flag_resolve"),
    path(W + "flags/<str:flag_id>/override/", actions.flag_override, name="flag_override"),
    path(W + "cases/<str:case_id>/assign/", actions.assign, name="assign"),
    path(W + "cases/<str:case_id>/transition/", actions.transition, name="transition"),
    path(W + "cases/<str:case_id>/tasks/", actions.task_new, name="task_new"),
    path(W + "cases/<str:case_id>/send/", actions.message_send, name="message_send"),
    path(W + "orders/<str:order_id>/review/", actions.order_review_view, name="order_review"),
    path(W + "documents/", actions.document_add, name="document_add"),
    path(W + "tasks/<str:task_id>/check/", actions.task_check, name="task_check"),
    path(W + "tasks/<str:task_id>/complete/", actions.task_done, name="task_complete"),
    path(W + "messages/", actions.message_log_view, name="message_log"),
    path(W + "call/", actions.call_view, name="call"),
    path(
        W + "applications/<str:application_id>/missing-items/",
        applications.missing_item_add,
        name="missing_item_add",
    ),
    path(
        W + "missing-items/<int:item_id>/resolve/",
        applications.missing_item_resolve_view,
        name="missing_item_resolve",
    ),
    path(
        W + "travellers/<str:traveller_id>/appointment/",
        applications.traveller_appointment,
        name="traveller_appointment",
    ),
    path(
        W + "travellers/<str:traveller_id>/status/",
        applications.traveller_status,
        name="traveller_status",
    ),
    path(W + "documents/upload/", documents.document_upload_view, name="document_upload"),
    path(
        W + "documents/<str:document_id>/verify/",
        documents.document_verify_view,
        name="document_verify",
    ),
    path(W + "documents/pack.zip", documents.document_pack_download, name="document_pack"),
    path(W + "documents/pack/email/", documents.document_pack_email_view, name="document_email"),
    path(W + "quotes/", quotes.quote_create_view, name="quote_create"),
    path(W + "quotes/<str:quote_id>/send/", quotes.quote_send_view, name="quote_send"),
    path(W + "quotes/<str:quote_id>/links/", quotes.quote_link_view, name="quote_link"),
    path(W + "quotes/<str:quote_id>/payments/", quotes.quote_payment_view, name="quote_payment"),
    path("quotes/<str:quote_id>/pdf", quotes.quote_pdf_view, name="quote_pdf"),
    path("invoices/<str:invoice_id>/pdf", quotes.invoice_pdf_view, name="invoice_pdf"),
    # Personal data (opsdesk.privacy): the audit log, the data export, erasure.
    path(W + "audit/", privacy.audit_log, name="customer_audit"),
    path(W + "privacy/export/", privacy.data_export, name="customer_data_export"),
    path(W + "privacy/erase/", privacy.erase_view, name="customer_erase"),
    path("retainers/", retainers.retainer_list, name="retainers"),
    path("operations/dead-letters/", deadletters.dead_letter_list, name="dead_letters"),
    path(
        "operations/dead-letters/retry/",
        deadletters.dead_letter_retry,
        name="dead_letter_retry",
    ),
]
