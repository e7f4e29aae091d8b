"""One readable line per timeline event, for the workspace.

The payloads are written by the domain (opsdesk.cases.apply, the engine's
`note(...)` calls, the services); an unknown type falls back to "key: value".
Returns plain text: the template escapes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.playbook.model import Playbook
from opsdesk.web import formats
from opsdesk.web.selectors import actor_names, state_label, template_label


@dataclass(frozen=True)
class Entry:
    id: int
    at: dt.datetime
    type: str
    text: str
    actor: str  # display name
    actor_label: str  # as stored: "user:ayse", "worker", ...
    case_number: str


def _when(value: Any) -> str:
    if not value:
        return "no due date"
    try:
        return formats.when(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _title(type_: str) -> str:
    return type_.replace("_", " ").capitalize()


Describe = Callable[[Mapping[str, Any], Playbook | None], str]


def _tpl(p: Mapping[str, Any], pb: Playbook | None) -> str:
    return template_label(pb, str(p.get("template") or "")) or "free text"


def _sla(p: Mapping[str, Any], pb: Playbook | None) -> str:
    sla = pb.slas.get(p.get("sla", "")) if pb is not None else None
    return repr(sla.label if sla is not None and sla.label else p.get("sla"))


def _work_order(p: dict[str, Any]) -> str:
    kind = p.get("kind")
    if kind == "created":
        return f"Work order for the visit of {_when(p.get('window'))} created"
    if kind == "moved":
        return f"Work order moved to {_when(p.get('window'))}, back to planning"
    if kind in ("cancelled", "not_created"):
        return (
            f"Work order {'cancelled' if kind == 'cancelled' else 'not created'}: {p.get('reason')}"
        )
    if kind == "travelling":
        return f"Technician {p.get('technician')} on the way, arriving about {p.get('eta')}"
    if kind == "arrived":
        return "Technician arrived"
    if kind == "completed":
        parts = ", ".join(f"{q} × {sku}" for sku, q in (p.get("parts_used") or {}).items())
        out = "Work completed" + (f"; parts used: {parts}" if parts else "")
        if p.get("cash_collected"):
            out += f"; cash collected {p['cash_collected']} {p.get('cash_currency', '')}".rstrip()
        for inv in p.get("invoices") or []:
            out += f"; invoice {inv['number']} {inv['total']} {inv['currency']}"
        return out
    if kind == "not_completed":
        again = f", customer agreed {_when(p.get('proposed_at'))}" if p.get("proposed_at") else ""
        return f"Technician could not complete: {p.get('reason')}{again}"
    return f"Work order: {kind}"


_DESCRIBE: dict[str, Describe] = {
    "CUSTOMER_CREATED": lambda p, pb: f"Customer created (source {p.get('source', '?')})",
    "CUSTOMER_UPDATED": lambda p, pb: "Profile edited: " + ", ".join(p.get("fields") or []),
    "CASE_OPENED": lambda p, pb: f"Case {p.get('number', '')} opened under {p.get('playbook', '')}",
    "CASE_CLOSED": lambda p, pb: (
        f"Case closed in {state_label(pb, str(p.get('state') or ''))}"
        + (f"; {p['tasks_cancelled']} open task(s) cancelled" if p.get("tasks_cancelled") else "")
    ),
    "STATE_CHANGED": lambda p, pb: (
        f"{state_label(pb, str(p.get('from') or ''))} → {state_label(pb, str(p.get('to') or ''))}"
    ),
    "FLAG_RAISED": lambda p, pb: f"Flag: {p.get('message', p.get('code', ''))}",
    "FLAG_RESOLVED": lambda p, pb: f"Flag resolved: {p.get('code', '')}",
    "FLAG_OVERRIDDEN": lambda p, pb: (
        f"Flag overridden: {p.get('code', '')} — reason: {p.get('reason', '')}"
    ),
    "AGENT_ASSIGNED": lambda p, pb: (
        f"Assigned to {p.get('agent_name', p.get('agent_id', '?'))} — {p.get('reason', '')}"
    ),
    "ASSIGNMENT_FAILED": lambda p, pb: f"No agent assigned: {p.get('reason', '')}",
    "MESSAGE_QUEUED": lambda p, pb: f"{_tpl(p, pb)} queued on {p.get('channel', '?')}",
    "MESSAGE_SENT": lambda p, pb: f"{_tpl(p, pb)} sent on {p.get('channel', '?')}",
    "MESSAGE_NOT_SENT": lambda p, pb: f"{_tpl(p, pb)} not sent: {p.get('reason', '')}",
    "MESSAGE_FAILED": lambda p, pb: f"Message failed: {p.get('error', '')}",
    "MESSAGE_LOGGED": lambda p, pb: (
        f"{p.get('channel', '?')} {str(p.get('direction', '')).lower()} logged"
        + (f" ({_tpl(p, pb)})" if p.get("template") else "")
    ),
    "MESSAGE_RECEIVED": lambda p, pb: f"Message received on {p.get('channel', '?')}",
    "TASK_CREATED": lambda p, pb: f"Task “{p.get('title', '')}”, due {_when(p.get('due_at'))}",
    "TASK_COMPLETED": lambda p, pb: f"Task done: “{p.get('title', '')}”",
    "ORDER_REVIEWED": lambda p, pb: f"Order reviewed, service type {p.get('service_type', '')}",
    "DOCUMENT_RECEIVED": lambda p, pb: f"Document received: {p.get('doc_type', '')}",
    "TIMER_SET": lambda p, pb: f"Timer {p.get('name', '')} set for {_when(p.get('due_at'))}",
    "TIMER_FIRED": lambda p, pb: f"Timer {p.get('name', '')} fired",
    "TIMER_CANCELLED": lambda p, pb: f"Timer {p.get('name', '')} cancelled",
    "FIELD_SET": lambda p, pb: f"{p.get('field', '')} set to {p.get('value', '')}",
    "NOTE": lambda p, pb: str(p.get("text", "")),
    "CADENCE_STARTED": lambda p, pb: f"Cadence {p.get('cadence', '')} started",
    "CADENCE_WAITING": lambda p, pb: (
        f"Cadence {p.get('cadence', '')} waits until {_when(p.get('until'))}"
    ),
    "CADENCE_STOPPED": lambda p, pb: f"Cadence {p.get('cadence', '')} stopped",
    "CADENCE_FINISHED": lambda p, pb: f"Cadence {p.get('cadence', '')} ran its last step",
    "ORDER_RECEIVED": lambda p, pb: (
        f"Order {p.get('external_ref', '')} received from {p.get('channel', '?')}: "
        + {
            "ACCEPTED": f"routed by rule {p.get('rule', '')}",
            "EXCEPTION": "no rule fits, waiting for manual routing",
            "INELIGIBLE": "not eligible — "
            + "; ".join(str(c.get("message", "")) for c in p.get("failed_checks") or []),
        }.get(str(p.get("status", "")), str(p.get("status", "")))
    ),
    "ORDER_ROUTED": lambda p, pb: (
        f"Routed by hand to {p.get('team', '?')} ({str(p.get('priority', '')).lower()})"
    ),
    "TEAM_CHANGED": lambda p, pb: f"Moved to team {p.get('team', '?')}",
    "HANDED_BACK": lambda p, pb: f"Handed back to the sales channel: {p.get('reason', '')}",
    "CHAT_POSTED": lambda p, pb: f"Posted to {p.get('channel', '?')}",
    "MILESTONE": lambda p, pb: f"Milestone: {str(p.get('name', '')).replace('_', ' ')}",
    "APPOINTMENT_BOOKED": lambda p, pb: f"Visit booked for {_when(p.get('start'))}",
    "APPOINTMENT_NOT_BOOKED": lambda p, pb: f"No visit booked: {p.get('reason', '')}",
    "APPOINTMENT_CANCELLED": lambda p, pb: f"Visit of {_when(p.get('start'))} cancelled",
    "WORK_ORDER": lambda p, pb: _work_order(p),
    "SLA_STARTED": lambda p, pb: (
        f"Service level {_sla(p, pb)} started: due {_when(p.get('due_at'))}"
    ),
    "SLA_WARNING": lambda p, pb: f"Service level {_sla(p, pb)} is close to its target",
    "SLA_BREACHED": lambda p, pb: f"Service level {_sla(p, pb)} breached",
    "SLA_MET": lambda p, pb: f"Service level {_sla(p, pb)} met",
    "REQUEST_RECEIVED": lambda p, pb: f"Request received by {str(p.get('channel', '?')).lower()}",
    "CHECKLIST_ITEM": lambda p, pb: (
        f"{'Done' if p.get('done') else 'Not done'}: {p.get('item', '')} ({p.get('task', '')})"
    ),
    "QUOTE_SENT": lambda p, pb: (
        f"Quote {p.get('quote', '')} sent: {p.get('total', '')} {p.get('currency', '')}"
    ),
    "PAYMENT_RECEIVED": lambda p, pb: (
        f"Payment of {p.get('amount', '')} {p.get('currency', '')} received"
        f" for {p.get('quote', '')}"
    ),
    "PAYMENT_REFUNDED": lambda p, pb: (
        f"Refund of {p.get('amount', '')} {p.get('currency', '')} for {p.get('quote', '')}"
    ),
    "FEEDBACK_RECEIVED": lambda p, pb: (
        f"Feedback: {p.get('rating', '?')}/5" + (f" — “{p['comment']}”" if p.get("comment") else "")
    ),
    "TESTIMONIAL_KEPT": lambda p, pb: "Feedback kept as a testimonial",
    "TESTIMONIAL_SKIPPED": lambda p, pb: f"No testimonial kept: {p.get('reason', '')}",
    "CONTACT_OPENED": lambda p, pb: (
        f"Contact {p.get('contact_case', '')} opened ({str(p.get('channel', '')).lower()})"
    ),
    "CONTACT_CLOSED": lambda p, pb: (
        f"Contact closed: {p.get('tag', '')}"
        + (f" ({p['resolution']})" if p.get("resolution") else "")
        + (f"; action {p['action']}" if p.get("action") not in (None, "", "none") else "")
    ),
    "PRIORITY_CLIENT": lambda p, pb: (
        f"On the priority client list ({p['tier']})"
        if p.get("tier")
        else "Removed from the priority client list"
    ),
    "PARTNER_STATUS": lambda p, pb: (
        f"Status {p.get('status')!r} sent to the partner"
        + (f" for {p['subject']}" if p.get("subject") else "")
    ),
    "CUSTOMER_REPLIED": lambda p, pb: (
        f"Customer answered on {p.get('channel', '?')}: "
        + (str(p.get("intent")) if p.get("intent") else "not read for sure, for a person")
        + (f", proposes {_when(p.get('proposed_at'))}" if p.get("proposed_at") else "")
    ),
}


def describe(event: TimelineEvent, pb: Playbook | None) -> str:
    payload = event.payload if isinstance(event.payload, Mapping) else {}
    fn = _DESCRIBE.get(event.type)
    if fn is not None:
        try:
            return fn(payload, pb)
        except Exception:  # an odd payload must not break the workspace
            pass
    details = ", ".join(f"{k}: {v}" for k, v in payload.items() if not k.endswith("_id"))
    return f"{_title(event.type)}" + (f" — {details}" if details else "")


def entries(
    events: Iterable[TimelineEvent], cases: Iterable[Case], default_pb: Playbook | None = None
) -> list[Entry]:
    """`cases` are the customer's cases with `.pb` set (selectors.load_workspace);
    events outside a case (e.g. MESSAGE_SENT) read labels from `default_pb`."""
    events = list(events)
    by_id = {c.pk: c for c in cases}
    names = actor_names(events)
    out = []
    for e in events:
        case = by_id.get(e.case_id) if e.case_id else None
        who = e.actor.split(":", 1)[1] if ":" in e.actor else e.actor
        out.append(
            Entry(
                id=e.pk,
                at=e.at,
                type=e.type,
                text=describe(e, getattr(case, "pb", None) or default_pb),
                actor=names.get(who, who),
                actor_label=e.actor,
                case_number=case.number if case else "",
            )
        )
    return out
