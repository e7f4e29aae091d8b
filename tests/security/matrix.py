"""The authorization matrix: every route (method, URL pattern) and, per persona,
what must happen.

Each row is `R("<8 codes>")`, one code per persona in this order:

    admin, manager, agent, other_agent, technician, integration, customer, anonymous

    A  allowed: a 2xx/3xx that is not a redirect to the sign-in page
    D  refused: 401/403/404, or (UI) a redirect to the sign-in page
    I  input refused: 400/409/422. On the UI this comes after authorization (the
       form's feedback), so it means "allowed, but the minimal body was refused".
       On the API, django-ninja checks the body before the view runs: an `I`
       there is only "authenticated"; rows that matter carry a valid `body` so
       that authorization is what answers.

How each persona calls (tests/security/harness.py): staff through a session
(force_login), the integration with its Bearer token, the customer with the
link token in the URL (portal routes; elsewhere it has nothing), anonymous with
nothing. On portal routes everyone but the customer holds a forged link: the
link is the only credential there.

URL parameters come from the world (tests/security/world.py). Where the world
has no such object (flags, visa applications, travellers, missing items) the
row says so: it then shows only that the route is gated and answers 404 for an
id that names nothing, not that the right persona is let in.

Adding an endpoint: add its row here (test_every_route_has_a_row fails until
you do), with a `body` if it is unsafe and django-ninja validates one, and a
note when a parameter cannot be filled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The customer's staff: everyone who may see Mehmet (admin, his team), nobody else.
CASE_STAFF_READ = "AAADDDDD"


@dataclass(frozen=True)
class R:
    expect: str  # eight codes, see the module docstring
    body: dict[str, Any] | None = None  # JSON (API) or form fields (UI); "{name}" is filled
    query: str = ""  # appended to the URL, "{name}" filled
    note: str = ""
    bug: str = ""  # a known authorization bug: the row holds what the product should do
    extra: dict[str, Any] = field(default_factory=dict)


ORDER = {
    "external_ref": "SEC-9",
    "given_name": "Ali",
    "family_name": "Veli",
    "phone": "+90 532 111 22 33",
    "language": "tr",
    "service_type": "fiber_install",
    "customer_type": "residential",
    "address": "Bağdat Cad. 12, Kadıköy",
    "city": "İstanbul",
    "postcode": "34710",
    "latitude": 40.98,
    "longitude": 29.06,
}

MATRIX: dict[tuple[str, str], R] = {
    # ---- operations endpoints (opsdesk.runtime): public or loopback-only --------------
    ("GET", "healthz"): R("AAAAAAAA", note="liveness, no data"),
    ("GET", "readyz"): R("AAAAAAAA", note="readiness, no data"),
    ("GET", "metrics"): R(
        "AAAAAAAA",
        note="answers loopback (the test client is 127.0.0.1) or a bearer token "
        "(settings: metrics); not reachable from outside is not tested here",
    ),
    # ---- the API: framework pages -------------------------------------------------
    ("GET", "api/v1/"): R("DDDDDDDD", note="django-ninja's root: no page (404)"),
    ("GET", "api/v1/openapi.json"): R("AAAAAAAA", note="the public API description"),
    ("GET", "api/v1/docs"): R("AAAAAAAA", note="the public API description"),
    # ---- the API: customers ---------------------------------------------------------
    ("POST", "api/v1/customers"): R(
        "IIIIIIDD",
        note="schema validation answers first for any authenticated caller; "
        "who may create customers is covered in tests/api",
    ),
    ("GET", "api/v1/customers/<customer_id>"): R(CASE_STAFF_READ),
    ("PATCH", "api/v1/customers/<customer_id>"): R("AAADDDDD", body={}),
    ("GET", "api/v1/customers/<customer_id>/timeline"): R(CASE_STAFF_READ),
    ("GET", "api/v1/customers/<customer_id>/messages"): R(CASE_STAFF_READ),
    ("POST", "api/v1/customers/<customer_id>/messages/log"): R(
        "AAADDDDD", body={"channel": "PHONE", "direction": "INBOUND", "body": "called us"}
    ),
    ("POST", "api/v1/customers/<customer_id>/call"): R(
        "DIIDDDDD",
        body={"case_id": "{case_id}"},
        note="admin: a superuser without an agent row cannot place a call (403)",
    ),
    ("POST", "api/v1/customers/<customer_id>/documents"): R(
        "AAADDDDD", body={"doc_type": "passport"}
    ),
    ("GET", "api/v1/customers/<customer_id>/documents/pack.zip"): R(CASE_STAFF_READ),
    ("POST", "api/v1/customers/<customer_id>/documents/pack/email"): R("IIIDDDDD", body={}),
    ("POST", "api/v1/customers/<customer_id>/documents/upload"): R(
        "IIIIIIDD", note="multipart only: a JSON body is refused before authorization"
    ),
    ("POST", "api/v1/documents/<document_id>/verify"): R("AAADDDDD"),
    ("PUT", "api/v1/customers/<customer_id>/priority"): R("AAADDDDD", body={"tier": "repeat"}),
    ("DELETE", "api/v1/customers/<customer_id>/priority"): R(
        "IIIDDDDD", note="Mehmet is no priority client: 409 once authorized"
    ),
    ("GET", "api/v1/priority-clients"): R("AAAAADDD", note="a list: filtered per persona"),
    # ---- the API: cases, flags, tasks, orders under review ---------------------------
    ("POST", "api/v1/cases/<case_id>/transitions"): R("IIIDDDDD", body={"to": "no-such-state"}),
    ("POST", "api/v1/cases/<case_id>/assign"): R("AAADDDDD", body={"agent_id": "{agent_pk}"}),
    ("POST", "api/v1/cases/<case_id>/messages"): R("IIIDDDDD", body={"template": "no-such"}),
    ("POST", "api/v1/cases/<case_id>/tasks"): R("AAADDDDD", body={"title": "Call back"}),
    ("POST", "api/v1/cases/<case_id>/feedback"): R(
        "IIIDDDDD", body={"rating": 5}, note="Mehmet already gave feedback: 409"
    ),
    ("POST", "api/v1/flags/<flag_id>/resolve"): R(
        "DDDDDDDD", body={}, note="no flag in the world: an unknown id is 404 for everyone"
    ),
    ("POST", "api/v1/orders/<order_id>/review"): R(
        "DDDDDDDD",
        body={"service_type": "fiber_install"},
        note="reviews a customer's order (customers.Order); the world has none, and "
        "its service order id names nothing here: 404 for everyone",
    ),
    ("GET", "api/v1/tasks"): R("AAAAAADD", note="a list: each persona's own tasks"),
    ("POST", "api/v1/tasks/<task_id>/complete"): R("AAADDDDD", body={}),
    # ---- the API: sales channel orders (the integration's own) -----------------------
    ("POST", "api/v1/orders"): R("DDDDDADD", body=ORDER),
    ("GET", "api/v1/orders"): R("DDDDDADD", note="a channel's own orders; staff use the UI"),
    ("POST", "api/v1/orders/bulk"): R("IIIIIIDD", note="schema first; see tests/orders"),
    ("GET", "api/v1/orders/<order_id>"): R("DDDDDADD"),
    ("GET", "api/v1/hand-backs"): R("DDDDDADD"),
    # ---- the API: webhooks (signed by the provider, not by a persona) ----------------
    ("GET", "api/v1/webhooks/whatsapp"): R("DDDDDDDD", note="needs the verify token"),
    ("POST", "api/v1/webhooks/whatsapp"): R("DDDDDDDD", note="needs Meta's signature"),
    ("POST", "api/v1/webhooks/email"): R("DDDDDDDD", note="needs the inbound secret"),
    ("POST", "api/v1/webhooks/twilio/voice/<message_id>"): R(
        "DDDDDDDD", note="needs Twilio's signature"
    ),
    ("POST", "api/v1/webhooks/twilio/status/<message_id>"): R(
        "DDDDDDDD", note="needs Twilio's signature"
    ),
    ("POST", "api/v1/webhooks/twilio/sms"): R("DDDDDDDD", note="needs Twilio's signature"),
    ("POST", "api/v1/payments/webhooks/<provider>"): R(
        "IIIIIIII", note="no signature header: 400 for everyone, nothing changes"
    ),
    # ---- the API: reports -------------------------------------------------------------
    ("GET", "api/v1/reports/channels"): R("AADDDDDD"),
    ("GET", "api/v1/reports/contacts"): R("AADDDDDD"),
    # ---- the API: field work ----------------------------------------------------------
    ("GET", "api/v1/work-orders"): R(
        "AADDDDDD", query="?date=2026-11-03", note="a day's board: dispatch.manage"
    ),
    ("GET", "api/v1/work-orders/<work_order_id>"): R("AAADADDD"),
    ("POST", "api/v1/plans"): R("AADDDDDD", body={"date": "2026-11-03"}),
    ("POST", "api/v1/work-orders/<work_order_id>/move"): R(
        "AADDDDDD", body={"technician_id": "{technician_id}", "position": 1}
    ),
    ("POST", "api/v1/work-orders/<work_order_id>/travel"): R("AADDADDD"),
    ("POST", "api/v1/work-orders/<work_order_id>/arrived"): R(
        "IIDDIDDD", note="not travelling yet: 409 once authorized"
    ),
    ("POST", "api/v1/work-orders/<work_order_id>/complete"): R(
        "IIDDIDDD", body={}, note="not arrived yet: 409 once authorized"
    ),
    ("POST", "api/v1/work-orders/<work_order_id>/not-completed"): R(
        "IIDDIDDD", body={"reason": "customer absent"}, note="not arrived: 409 once authorized"
    ),
    # ---- the API: visa applications (no application in this world) -------------------
    ("POST", "api/v1/applications"): R(
        "IIIIIIDD", note="schema first; partner authorization is covered in tests/applications"
    ),
    ("GET", "api/v1/applications/<application_id>"): R(
        "DDDDDDDD", note="no application in the world: unknown id"
    ),
    ("POST", "api/v1/applications/<application_id>/missing-items"): R(
        "IIIIIIDD", note="no application in the world; schema first"
    ),
    ("POST", "api/v1/missing-items/<item_id>/resolve"): R(
        "IIIIIIDD", note="no missing item in the world; schema first"
    ),
    ("POST", "api/v1/travellers/<traveller_id>"): R(
        "DDDDDDDD", body={}, note="no traveller in the world: unknown id"
    ),
    # ---- the API: billing -------------------------------------------------------------
    ("POST", "api/v1/quotes"): R(
        "AAADDDDD",
        body={
            "customer_id": "{customer_id}",
            "case_id": "{case_id}",
            "lines": [{"description": "Cable", "quantity": "1", "unit_price": "10.00"}],
        },
    ),
    ("GET", "api/v1/quotes/<quote_id>"): R(CASE_STAFF_READ),
    ("POST", "api/v1/quotes/<quote_id>/send"): R("IIIDDDDD", note="already sent: 409"),
    ("POST", "api/v1/quotes/<quote_id>/payment-links"): R("AAADDDDD", body={}),
    ("POST", "api/v1/quotes/<quote_id>/payments"): R(
        "AAADDDDD", body={"kind": "PAYMENT", "amount": "10.00", "reference": "SEC-PAY-1"}
    ),
    ("GET", "api/v1/quotes/<quote_id>/pdf"): R(CASE_STAFF_READ),
    ("POST", "api/v1/retainers"): R(
        "AAADDDDD",  # case.act on the customer (docs/billing.md); /retainers/ is for managers
        body={
            "customer_id": "{customer_id}",
            "description": "Quarterly check",
            "amount": "10.00",
            "currency": "TRY",
            "period": "QUARTERLY",
            "starts_on": "2026-12-01",
        },
    ),
    ("GET", "api/v1/retainers"): R("AAAAAADD", note="a list: filtered per persona"),
    ("GET", "api/v1/retainers/<retainer_id>"): R(CASE_STAFF_READ),
    # ---- the API: requests, feedback, contacts ----------------------------------------
    ("POST", "api/v1/requests"): R("IIIIIIDD", note="schema first; see tests/intake"),
    ("GET", "api/v1/testimonials"): R("AADDDDDD"),
    ("GET", "api/v1/contacts/tickets"): R(
        "AAAAADDD", query="?q=Demir", note="a search: filtered per persona"
    ),
    ("POST", "api/v1/contacts"): R("AAADDDDD", body={"ticket_id": "{case_id}"}),
    ("GET", "api/v1/contacts/<contact_id>"): R(CASE_STAFF_READ),
    ("POST", "api/v1/contacts/<contact_id>/reason"): R("IIIDDDDD", body={"reason": "no-such"}),
    ("POST", "api/v1/contacts/<contact_id>/answer"): R(
        "IIIDDDDD", body={"step": "no-such", "answer": "no-such"}
    ),
    ("POST", "api/v1/contacts/<contact_id>/close"): R("IIIDDDDD", body={}),
    # ---- the customer link (opsdesk.portal) --------------------------------------------
    ("GET", "c/<str:token>/"): R("DDDDDDAD"),
    ("GET", "c/<str:token>/cancel/"): R("DDDDDDAD"),
    ("POST", "c/<str:token>/cancel/"): R("DDDDDDAD"),
    ("GET", "c/<str:token>/feedback/"): R("DDDDDDAD"),
    ("POST", "c/<str:token>/feedback/"): R("DDDDDDID", note="no rating: the form's 400"),
    ("POST", "c/<str:token>/pay/"): R("DDDDDDAD"),
    ("POST", "c/<str:token>/reschedule/"): R("DDDDDDID", note="no time chosen: 422"),
    ("GET", "c/<str:token>/visit.ics"): R("DDDDDDAD"),
    ("GET", "pay/test/<str:ref>/"): R(
        "AAAAAAAA", note="the test payment provider's checkout: public like a provider's page"
    ),
    ("POST", "pay/test/<str:ref>/"): R("AAAAAAAA", note="as above; an empty form pays nothing"),
    # ---- the agent UI: sign-in ----------------------------------------------------------
    ("GET", ""): R("AAAAAAAA", note="home redirects to the tasks page (or sign-in)"),
    ("GET", "login/"): R("AAAAAAAA", note="public; signed-in users are sent home"),
    ("POST", "login/"): R("AAAAAAAA", note="public; wrong credentials re-render the form"),
    ("PUT", "login/"): R("AAAAAAAA", note="Django's LoginView treats PUT as POST"),
    ("POST", "logout/"): R(
        "DDDDDDDD",
        note="public; it ends at the sign-in page, which the matrix reads as a redirect "
        "to login. Sessions are not in the nothing-changed snapshot",
    ),
    # ---- the agent UI: lists and queues (filtered per persona) --------------------------
    ("GET", "tasks/"): R("AAAAADDD"),
    ("GET", "settings/language/"): R("AAAAADDD", note="the signed-in user's own setting"),
    ("POST", "settings/language/"): R(
        "IIIIIDDD",
        body={"language": "xx"},
        note="an unknown language: 422; a user only ever sets their own",
    ),
    ("GET", "customers/"): R("AAAAADDD", query="?q=Demir", note="a search: filtered"),
    ("GET", "customers/new/"): R("AAAAADDD"),
    ("POST", "customers/new/"): R("IIIIIDDD", note="any agent may create a customer"),
    ("GET", "contacts/new/"): R("AAAAADDD", query="?q=Demir", note="a search: filtered"),
    ("POST", "contacts/new/"): R(
        "IIIDDDDD",
        body={"ticket_id": "{case_id}"},
        note="no channel chosen: 422; another team's ticket is a 404",
    ),
    ("GET", "contacts/safety/"): R("AAAAADDD"),
    ("GET", "contacts/<str:contact_id>/"): R(CASE_STAFF_READ),
    ("POST", "contacts/<str:contact_id>/reason/"): R("IIIDDDDD"),
    ("POST", "contacts/<str:contact_id>/answer/"): R("IIIDDDDD"),
    ("POST", "contacts/<str:contact_id>/close/"): R("IIIDDDDD"),
    ("GET", "exceptions/"): R("AAAAADDD"),
    ("POST", "exceptions/<str:order_id>/route/"): R("IIIDDDDD"),
    ("GET", "retention/"): R("AAAAADDD"),
    ("POST", "retention/tasks/<str:task_id>/complete/"): R("AAADDDDD"),
    ("POST", "retention/cases/<str:case_id>/transition/"): R("IIIDDDDD"),
    ("GET", "clients/priority/"): R("AAAAADDD"),
    ("POST", "clients/priority/<str:customer_id>/"): R("IIIDDDDD"),
    ("POST", "clients/priority/<str:customer_id>/remove/"): R("IIIDDDDD"),
    # ---- the agent UI: public request forms ---------------------------------------------
    ("GET", "request/<str:playbook>/"): R(
        "DDDDDDDD", note="the service-order playbook has no public form: 404 for everyone"
    ),
    ("POST", "request/<str:playbook>/"): R("DDDDDDDD", note="as above"),
    ("GET", "request/<str:playbook>/done/"): R("DDDDDDDD", note="as above"),
    ("GET", "requests/new/<str:playbook>/"): R(
        "DDDDDDDD", note="the service-order playbook has no intake sheet: 404"
    ),
    ("POST", "requests/new/<str:playbook>/"): R("DDDDDDDD", note="as above"),
    # ---- the agent UI: field work --------------------------------------------------------
    ("GET", "dispatch/"): R("AADDDDDD"),
    ("POST", "dispatch/plan/"): R("AADDDDDD"),
    ("POST", "dispatch/work-orders/<str:work_order_id>/move/"): R("AADDDDDD"),
    ("POST", "dispatch/technicians/<str:technician_id>/out/"): R("IIDDDDDD"),
    ("GET", "my-day/"): R("DDDDADDD", note="only a technician has a day (404 otherwise)"),
    ("POST", "my-day/<str:work_order_id>/travel/"): R("AADDADDD"),
    ("POST", "my-day/<str:work_order_id>/arrived/"): R(
        "DDDDIDDD",
        note="admin and manager have no technician row: 404; the job is not "
        "travelling yet: 409 for its technician",
    ),
    ("POST", "my-day/<str:work_order_id>/complete/"): R("DDDDIDDD", note="as arrived"),
    ("POST", "my-day/<str:work_order_id>/cannot-complete/"): R("DDDDIDDD", note="as arrived"),
    # ---- the agent UI: manager pages -----------------------------------------------------
    ("GET", "reports/channels/"): R("AADDDDDD"),
    ("GET", "reports/channels.csv"): R("AADDDDDD"),
    ("GET", "reports/contacts/"): R("AADDDDDD"),
    ("GET", "reports/contacts.csv"): R("AADDDDDD"),
    ("GET", "playbooks/"): R("AADDDDDD"),
    ("GET", "playbooks/<str:key>/"): R("AADDDDDD"),
    ("GET", "testimonials/"): R("AADDDDDD"),
    ("GET", "testimonials.csv"): R("AADDDDDD"),
    ("POST", "testimonials/<str:testimonial_id>/publish/"): R("AADDDDDD"),
    ("GET", "retainers/"): R("AADDDDDD"),
    ("POST", "retainers/"): R("IIDDDDDD"),
    ("GET", "operations/dead-letters/"): R("AADDDDDD"),
    ("POST", "operations/dead-letters/retry/"): R(
        "IIDDDDDD", note="no item posted: 422 once authorized (tests/runtime/test_deadletters.py)"
    ),
    # ---- the agent UI: the customer workspace --------------------------------------------
    ("GET", "customers/<str:customer_id>/"): R(CASE_STAFF_READ),
    ("GET", "customers/<str:customer_id>/timeline/"): R(CASE_STAFF_READ),
    ("GET", "customers/<str:customer_id>/messages/older/"): R(CASE_STAFF_READ),
    ("POST", "customers/<str:customer_id>/profile/"): R("IIIDDDDD"),
    ("POST", "customers/<str:customer_id>/flags/<str:flag_id>/resolve/"): R(
        "DDDDDDDD", note="no flag in the world: unknown id"
    ),
    ("POST", "customers/<str:customer_id>/flags/<str:flag_id>/override/"): R(
        "DDDDDDDD", note="no flag in the world: unknown id"
    ),
    ("POST", "customers/<str:customer_id>/cases/<str:case_id>/assign/"): R("IIIDDDDD"),
    ("POST", "customers/<str:customer_id>/cases/<str:case_id>/transition/"): R("IIIDDDDD"),
    ("POST", "customers/<str:customer_id>/cases/<str:case_id>/tasks/"): R("IIIDDDDD"),
    ("POST", "customers/<str:customer_id>/cases/<str:case_id>/send/"): R("IIIDDDDD"),
    ("POST", "customers/<str:customer_id>/orders/<str:order_id>/review/"): R(
        "DDDDDDDD", note="the world's order is not waiting for review: 404 for everyone"
    ),
    ("POST", "customers/<str:customer_id>/documents/"): R("IIIDDDDD"),
    ("POST", "customers/<str:customer_id>/documents/upload/"): R("IIIDDDDD"),
    ("POST", "customers/<str:customer_id>/documents/<str:document_id>/verify/"): R("AAADDDDD"),
    ("GET", "customers/<str:customer_id>/documents/pack.zip"): R(CASE_STAFF_READ),
    ("POST", "customers/<str:customer_id>/documents/pack/email/"): R("IIIDDDDD"),
    ("POST", "customers/<str:customer_id>/tasks/<str:task_id>/check/"): R("IIIDDDDD"),
    ("POST", "customers/<str:customer_id>/tasks/<str:task_id>/complete/"): R("AAADDDDD"),
    ("POST", "customers/<str:customer_id>/messages/"): R("IIIDDDDD"),
    ("POST", "customers/<str:customer_id>/call/"): R(
        "DIIDDDDD", note="admin: a superuser without an agent row cannot place a call"
    ),
    ("POST", "customers/<str:customer_id>/applications/<str:application_id>/missing-items/"): R(
        "DDDDDDDD", note="no application in the world: unknown id"
    ),
    ("POST", "customers/<str:customer_id>/missing-items/<int:item_id>/resolve/"): R(
        "DDDDDDDD", note="no missing item in the world: unknown id"
    ),
    ("POST", "customers/<str:customer_id>/travellers/<str:traveller_id>/appointment/"): R(
        "DDDDDDDD", note="no traveller in the world: unknown id"
    ),
    ("POST", "customers/<str:customer_id>/travellers/<str:traveller_id>/status/"): R(
        "DDDDDDDD", note="no traveller in the world: unknown id"
    ),
    ("POST", "customers/<str:customer_id>/quotes/"): R("IIIDDDDD"),
    ("POST", "customers/<str:customer_id>/quotes/<str:quote_id>/send/"): R(
        "IIIDDDDD", note="already sent: 409"
    ),
    ("POST", "customers/<str:customer_id>/quotes/<str:quote_id>/links/"): R("AAADDDDD"),
    ("POST", "customers/<str:customer_id>/quotes/<str:quote_id>/payments/"): R("IIIDDDDD"),
    # ---- files: served only after an authorization check --------------------------------
    ("GET", "quotes/<str:quote_id>/pdf"): R(CASE_STAFF_READ),
    ("GET", "invoices/<str:invoice_id>/pdf"): R(CASE_STAFF_READ),
    # ---- personal data (opsdesk.privacy): admins; the log also the team's manager ------------
    ("GET", "customers/<str:customer_id>/audit/"): R("AADDDDDD"),
    ("POST", "customers/<str:customer_id>/privacy/export/"): R("ADDDDDDD"),
    ("GET", "customers/<str:customer_id>/privacy/erase/"): R("ADDDDDDD"),
    ("POST", "customers/<str:customer_id>/privacy/erase/"): R(
        "IDDDDDDD",
        body={"confirm": "{customer_id}", "reason": "KVKK request"},
        note="the world's case is open: 409 (tests/privacy/test_erase.py erases)",
    ),
}
