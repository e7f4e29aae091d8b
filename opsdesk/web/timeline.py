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

from django.utils.translation import gettext as _

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
        return _("no due date")
    try:
        return formats.when(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _title(type_: str) -> str:
    return type_.replace("_", " ").capitalize()


Describe = Callable[[Mapping[str, Any], Playbook | None], str]


def _tpl(p: Mapping[str, Any], pb: Playbook | None) -> str:
    return template_label(pb, str(p.get("template") or "")) or _("free text")


def _sla(p: Mapping[str, Any], pb: Playbook | None) -> str:
    sla = pb.slas.get(p.get("sla", "")) if pb is not None else None
    return repr(sla.label if sla is not None and sla.label else p.get("sla"))


def _work_order(p: dict[str, Any]) -> str:
    kind = p.get("kind")
    if kind == "created":
        return _("Work order for the visit of %(when)s created") % {"when": _when(p.get("window"))}
    if kind == "moved":
        return _("Work order moved to %(when)s, back to planning") % {
            "when": _when(p.get("window"))
        }
    if kind == "cancelled":
        return _("Work order cancelled: %(reason)s") % {"reason": p.get("reason")}
    if kind == "not_created":
        return _("Work order not created: %(reason)s") % {"reason": p.get("reason")}
    if kind == "travelling":
        return _("Technician %(technician)s on the way, arriving about %(eta)s") % {
            "technician": p.get("technician"),
            "eta": p.get("eta"),
        }
    if kind == "arrived":
        return _("Technician arrived")
    if kind == "completed":
        parts = ", ".join(f"{q} × {sku}" for sku, q in (p.get("parts_used") or {}).items())
        out = _("Work completed")
        if parts:
            out += _("; parts used: %(parts)s") % {"parts": parts}
        if p.get("cash_collected"):
            cash = f"{p['cash_collected']} {p.get('cash_currency', '')}".rstrip()
            out += _("; cash collected %(amount)s") % {"amount": cash}
        for inv in p.get("invoices") or []:
            out += _("; invoice %(number)s %(total)s %(currency)s") % {
                "number": inv["number"],
                "total": inv["total"],
                "currency": inv["currency"],
            }
        return out
    if kind == "not_completed":
        if p.get("proposed_at"):
            return _("Technician could not complete: %(reason)s, customer agreed %(when)s") % {
                "reason": p.get("reason"),
                "when": _when(p.get("proposed_at")),
            }
        return _("Technician could not complete: %(reason)s") % {"reason": p.get("reason")}
    return _("Work order: %(kind)s") % {"kind": kind}


_DESCRIBE: dict[str, Describe] = {
    "CUSTOMER_CREATED": lambda p, pb: (
        _("Customer created (source %(source)s)") % {"source": p.get("source", "?")}
    ),
    "CUSTOMER_UPDATED": lambda p, pb: (
        _("Profile edited: %(fields)s") % {"fields": ", ".join(p.get("fields") or [])}
    ),
    "CUSTOMER_ERASED": lambda p, pb: (
        _("Personal data erased — reason: %(reason)s") % {"reason": p.get("reason", "")}
    ),
    "CASE_OPENED": lambda p, pb: (
        _("Case %(number)s opened under %(playbook)s")
        % {"number": p.get("number", ""), "playbook": p.get("playbook", "")}
    ),
    "CASE_CLOSED": lambda p, pb: (
        _("Case closed in %(state)s") % {"state": state_label(pb, str(p.get("state") or ""))}
        + (
            _("; %(n)s open task(s) cancelled") % {"n": p["tasks_cancelled"]}
            if p.get("tasks_cancelled")
            else ""
        )
    ),
    "STATE_CHANGED": lambda p, pb: (
        f"{state_label(pb, str(p.get('from') or ''))} → {state_label(pb, str(p.get('to') or ''))}"
    ),
    "FLAG_RAISED": lambda p, pb: (
        _("Flag: %(message)s") % {"message": p.get("message", p.get("code", ""))}
    ),
    "FLAG_RESOLVED": lambda p, pb: _("Flag resolved: %(code)s") % {"code": p.get("code", "")},
    "FLAG_OVERRIDDEN": lambda p, pb: (
        _("Flag overridden: %(code)s — reason: %(reason)s")
        % {"code": p.get("code", ""), "reason": p.get("reason", "")}
    ),
    "AGENT_ASSIGNED": lambda p, pb: (
        _("Assigned to %(agent)s — %(reason)s")
        % {"agent": p.get("agent_name", p.get("agent_id", "?")), "reason": p.get("reason", "")}
    ),
    "ASSIGNMENT_FAILED": lambda p, pb: (
        _("No agent assigned: %(reason)s") % {"reason": p.get("reason", "")}
    ),
    "MESSAGE_QUEUED": lambda p, pb: (
        _("%(template)s queued on %(channel)s")
        % {"template": _tpl(p, pb), "channel": p.get("channel", "?")}
    ),
    "MESSAGE_SENT": lambda p, pb: (
        _("%(template)s sent on %(channel)s")
        % {"template": _tpl(p, pb), "channel": p.get("channel", "?")}
    ),
    "MESSAGE_NOT_SENT": lambda p, pb: (
        _("%(template)s not sent: %(reason)s")
        % {"template": _tpl(p, pb), "reason": p.get("reason", "")}
    ),
    "MESSAGE_FAILED": lambda p, pb: _("Message failed: %(error)s") % {"error": p.get("error", "")},
    "MESSAGE_RETRIED": lambda p, pb: (
        (
            _("%(template)s sent again on %(channel)s after: %(error)s (provider checked first)")
            if p.get("delivery_unknown")
            else _("%(template)s sent again on %(channel)s after: %(error)s")
        )
        % {"template": _tpl(p, pb), "channel": p.get("channel", "?"), "error": p.get("error", "")}
    ),
    "MESSAGE_LOGGED": lambda p, pb: (
        _("%(channel)s %(direction)s logged")
        % {"channel": p.get("channel", "?"), "direction": str(p.get("direction", "")).lower()}
        + (f" ({_tpl(p, pb)})" if p.get("template") else "")
    ),
    "MESSAGE_RECEIVED": lambda p, pb: (
        _("Message received on %(channel)s") % {"channel": p.get("channel", "?")}
    ),
    "TASK_CREATED": lambda p, pb: (
        _("Task “%(title)s”, due %(when)s")
        % {"title": p.get("title", ""), "when": _when(p.get("due_at"))}
    ),
    "TASK_COMPLETED": lambda p, pb: _("Task done: “%(title)s”") % {"title": p.get("title", "")},
    "ORDER_REVIEWED": lambda p, pb: (
        _("Order reviewed, service type %(type)s") % {"type": p.get("service_type", "")}
    ),
    "DOCUMENT_RECEIVED": lambda p, pb: (
        _("Document received: %(type)s") % {"type": p.get("doc_type", "")}
    ),
    "TIMER_SET": lambda p, pb: (
        _("Timer %(name)s set for %(when)s")
        % {"name": p.get("name", ""), "when": _when(p.get("due_at"))}
    ),
    "TIMER_FIRED": lambda p, pb: _("Timer %(name)s fired") % {"name": p.get("name", "")},
    "TIMER_CANCELLED": lambda p, pb: _("Timer %(name)s cancelled") % {"name": p.get("name", "")},
    "FIELD_SET": lambda p, pb: (
        _("%(field)s set to %(value)s") % {"field": p.get("field", ""), "value": p.get("value", "")}
    ),
    "NOTE": lambda p, pb: str(p.get("text", "")),
    "CADENCE_STARTED": lambda p, pb: _("Cadence %(name)s started") % {"name": p.get("cadence", "")},
    "CADENCE_WAITING": lambda p, pb: (
        _("Cadence %(name)s waits until %(when)s")
        % {"name": p.get("cadence", ""), "when": _when(p.get("until"))}
    ),
    "CADENCE_STOPPED": lambda p, pb: _("Cadence %(name)s stopped") % {"name": p.get("cadence", "")},
    "CADENCE_FINISHED": lambda p, pb: (
        _("Cadence %(name)s ran its last step") % {"name": p.get("cadence", "")}
    ),
    "ORDER_RECEIVED": lambda p, pb: (
        _("Order %(ref)s received from %(channel)s: ")
        % {"ref": p.get("external_ref", ""), "channel": p.get("channel", "?")}
        + {
            "ACCEPTED": _("routed by rule %(rule)s") % {"rule": p.get("rule", "")},
            "EXCEPTION": _("no rule fits, waiting for manual routing"),
            "INELIGIBLE": _("not eligible — ")
            + "; ".join(str(c.get("message", "")) for c in p.get("failed_checks") or []),
        }.get(str(p.get("status", "")), str(p.get("status", "")))
    ),
    "ORDER_ROUTED": lambda p, pb: (
        _("Routed by hand to %(team)s (%(priority)s)")
        % {"team": p.get("team", "?"), "priority": str(p.get("priority", "")).lower()}
    ),
    "TEAM_CHANGED": lambda p, pb: _("Moved to team %(team)s") % {"team": p.get("team", "?")},
    "HANDED_BACK": lambda p, pb: (
        _("Handed back to the sales channel: %(reason)s") % {"reason": p.get("reason", "")}
    ),
    "CHAT_POSTED": lambda p, pb: _("Posted to %(channel)s") % {"channel": p.get("channel", "?")},
    "MILESTONE": lambda p, pb: (
        _("Milestone: %(name)s") % {"name": str(p.get("name", "")).replace("_", " ")}
    ),
    "APPOINTMENT_BOOKED": lambda p, pb: (
        _("Visit booked for %(when)s") % {"when": _when(p.get("start"))}
    ),
    "APPOINTMENT_NOT_BOOKED": lambda p, pb: (
        _("No visit booked: %(reason)s") % {"reason": p.get("reason", "")}
    ),
    "APPOINTMENT_CANCELLED": lambda p, pb: (
        _("Visit of %(when)s cancelled") % {"when": _when(p.get("start"))}
    ),
    "WORK_ORDER": lambda p, pb: _work_order(p),
    "SLA_STARTED": lambda p, pb: (
        _("Service level %(sla)s started: due %(when)s")
        % {"sla": _sla(p, pb), "when": _when(p.get("due_at"))}
    ),
    "SLA_WARNING": lambda p, pb: (
        _("Service level %(sla)s is close to its target") % {"sla": _sla(p, pb)}
    ),
    "SLA_BREACHED": lambda p, pb: _("Service level %(sla)s breached") % {"sla": _sla(p, pb)},
    "SLA_MET": lambda p, pb: _("Service level %(sla)s met") % {"sla": _sla(p, pb)},
    "REQUEST_RECEIVED": lambda p, pb: (
        _("Request received by %(channel)s") % {"channel": str(p.get("channel", "?")).lower()}
    ),
    "CHECKLIST_ITEM": lambda p, pb: (
        (_("Done: %(item)s (%(task)s)") if p.get("done") else _("Not done: %(item)s (%(task)s)"))
        % {"item": p.get("item", ""), "task": p.get("task", "")}
    ),
    "QUOTE_SENT": lambda p, pb: (
        _("Quote %(quote)s sent: %(total)s %(currency)s")
        % {
            "quote": p.get("quote", ""),
            "total": p.get("total", ""),
            "currency": p.get("currency", ""),
        }
    ),
    "PAYMENT_RECEIVED": lambda p, pb: (
        _("Payment of %(amount)s %(currency)s received for %(quote)s")
        % {
            "amount": p.get("amount", ""),
            "currency": p.get("currency", ""),
            "quote": p.get("quote", ""),
        }
    ),
    "PAYMENT_REFUNDED": lambda p, pb: (
        _("Refund of %(amount)s %(currency)s for %(quote)s")
        % {
            "amount": p.get("amount", ""),
            "currency": p.get("currency", ""),
            "quote": p.get("quote", ""),
        }
    ),
    "FEEDBACK_RECEIVED": lambda p, pb: (
        _("Feedback: %(rating)s/5") % {"rating": p.get("rating", "?")}
        + (f" — “{p['comment']}”" if p.get("comment") else "")
    ),
    "TESTIMONIAL_KEPT": lambda p, pb: _("Feedback kept as a testimonial"),
    "TESTIMONIAL_SKIPPED": lambda p, pb: (
        _("No testimonial kept: %(reason)s") % {"reason": p.get("reason", "")}
    ),
    "CONTACT_OPENED": lambda p, pb: (
        _("Contact %(contact)s opened (%(channel)s)")
        % {"contact": p.get("contact_case", ""), "channel": str(p.get("channel", "")).lower()}
    ),
    "CONTACT_CLOSED": lambda p, pb: (
        _("Contact closed: %(tag)s") % {"tag": p.get("tag", "")}
        + (f" ({p['resolution']})" if p.get("resolution") else "")
        + (
            _("; action %(action)s") % {"action": p["action"]}
            if p.get("action") not in (None, "", "none")
            else ""
        )
    ),
    "PRIORITY_CLIENT": lambda p, pb: (
        _("On the priority client list (%(tier)s)") % {"tier": p["tier"]}
        if p.get("tier")
        else _("Removed from the priority client list")
    ),
    "PARTNER_STATUS": lambda p, pb: (
        _("Status %(status)s sent to the partner") % {"status": repr(p.get("status"))}
        + (_(" for %(subject)s") % {"subject": p["subject"]} if p.get("subject") else "")
    ),
    "CUSTOMER_REPLIED": lambda p, pb: (
        _("Customer answered on %(channel)s: ") % {"channel": p.get("channel", "?")}
        + (str(p.get("intent")) if p.get("intent") else _("not read for sure, for a person"))
        + (
            _(", proposes %(when)s") % {"when": _when(p.get("proposed_at"))}
            if p.get("proposed_at")
            else ""
        )
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
