"""The events a playbook transition can wait for (`on:`)."""

from __future__ import annotations

import re

TIMER_EVENT_PREFIX = "timer."
# A cadence's waits are timers named cadence__<cadence>__<next step>.
CADENCE_TIMER = "cadence__"
# A service level's clocks are timers named sla__<name>__warning and sla__<name>__breach.
SLA_TIMER = "sla__"
# The event a cadence raises when its last step has run.
CADENCE_DONE = re.compile(r"cadence\.([a-z][a-z0-9_]*)\.done")

KNOWN_EVENTS: frozenset[str] = frozenset(
    {
        "manual",  # a staff member pressed the transition's button
        "customer.updated",
        "agent.assigned",  # assigned or reassigned by staff
        "flag.resolved",
        "task.created",
        "task.completed",
        "order.reviewed",
        "document.received",
        "message.received",
        "message.logged",
        # A reply to the case's questions on any channel (WhatsApp button or
        # text, SMS, email, the voice menu, an agent recording a call):
        # event.intent is confirm / reject / reschedule or none (unreadable),
        # event.proposed_at the time the customer named, event.payload a button.
        "customer.replied",
        # Through the customer link: event.start is the new slot.
        "customer.rescheduled",
        "customer.cancelled",
        # The technician flow on a case's work order (opsdesk.field.jobs):
        # event.eta ("14:35", the technician's local time) and event.technician;
        # event.invoice (number, total, currency, lines) for extra parts, or none;
        # event.reason and event.proposed_at when the work could not be done.
        "work.travelling",
        "work.arrived",
        "work.completed",
        "work.not_completed",
        # A partner's application (opsdesk.applications): an item noted missing or
        # resolved (event.item, event.change), a traveller's status or appointment
        # (event.traveller_id, event.traveller, event.status).
        "application.updated",
        "traveller.updated",
        # A quote's payment succeeded (opsdesk.billing): event.quote, amount, net_paid, total,
        # deposit_paid, fully_paid (amounts as strings).
        "payment.received",
        # A quote was sent to the customer (opsdesk.billing): event.quote, total,
        # currency, due_now, payment_url (the link for what is due now, or "").
        "quote.sent",
        # A refund was recorded: event.quote, amount, net_paid (strings).
        "payment.refunded",
        # The customer's feedback (opsdesk.feedback): event.rating (1-5),
        # event.comment, event.consent (to quote it publicly), event.feedback_id.
        "feedback.received",
        # A contact-desk contact was closed (opsdesk.contacts): event.tag, resolution,
        # action, remarks.
        "contact.closed",
    }
)

# Names an order's intake rules (`eligibility`, `classification`) may read.
INTAKE_NAMES: frozenset[str] = frozenset(
    {"order", "customer", "zone", "zone_services", "valid_documents", "catalogs", "today"}
)

# The keys of `event` for each event (what the shell puts in the event's data), for
# checking guards like `event.intent`. An event missing here is not checked; `timer.*`
# and `cadence.<name>.done` carry no data.
EVENT_KEYS: dict[str, frozenset[str]] = {
    "manual": frozenset({"to"}),
    "customer.updated": frozenset(),
    "agent.assigned": frozenset({"agent_id"}),
    "flag.resolved": frozenset({"code"}),
    "task.created": frozenset({"key", "task_id"}),
    "task.completed": frozenset({"key", "task_id", "fields", "by", "checklist_open"}),
    "order.reviewed": frozenset(),
    "document.received": frozenset({"doc_type"}),
    "message.received": frozenset({"channel"}),
    "message.logged": frozenset({"template"}),
    # The reply's message id is on its timeline row, not in the event.
    "customer.replied": frozenset({"channel", "intent", "proposed_at", "text", "payload"}),
    "customer.rescheduled": frozenset({"start"}),
    "customer.cancelled": frozenset(),
    "work.travelling": frozenset({"work_order_id", "eta", "eta_at", "technician"}),
    "work.arrived": frozenset({"work_order_id"}),
    "work.completed": frozenset(
        {"work_order_id", "parts_used", "invoices", "cash_collected", "cash_currency"}
    ),
    "work.not_completed": frozenset({"work_order_id", "reason", "proposed_at"}),
    "application.updated": frozenset({"application_id", "item", "change"}),
    "traveller.updated": frozenset({"application_id", "traveller_id", "traveller", "status"}),
    "payment.received": frozenset(
        {"quote", "amount", "currency", "net_paid", "total", "deposit_paid", "fully_paid"}
    ),
    "quote.sent": frozenset({"quote", "total", "currency", "due_now", "payment_url"}),
    "payment.refunded": frozenset({"quote", "amount", "currency", "net_paid"}),
    "feedback.received": frozenset({"rating", "comment", "consent", "feedback_id"}),
    "contact.closed": frozenset({"tag", "resolution", "action", "remarks"}),
}

# Events only a party outside the desk sends (the customer, a payment provider, a
# partner): a state waiting only for these may wait forever.
OUTSIDE_EVENTS: frozenset[str] = frozenset(
    {
        "customer.replied",
        "customer.rescheduled",
        "customer.cancelled",
        "message.received",
        "document.received",
        "payment.received",
        "feedback.received",
        "application.updated",
        "traveller.updated",
    }
)
