"""Demo data for the L1 contact desk: contacts on the demo's service tickets,
closed with their disposition tags (so the contact report has figures) and one
still open, played through the domain functions with the clock moved back."""

from __future__ import annotations

import datetime as dt

from opsdesk.cases.models import Case
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.contacts.services import contact_answer, contact_close, contact_open, contact_reason
from opsdesk.staff.models import Agent

# (days ago, ticket state, channel, reason, answers, remarks); None remarks: left open
CONTACTS: tuple[tuple[int, str, str, str, dict[str, str], str | None], ...] = (
    (6, "scheduled", "CALL", "cancel_order", {}, ""),
    (
        4,
        "scheduled",
        "WHATSAPP",
        "damage_theft",
        {"when_noticed": "immediate"},
        "Scratched the floor",
    ),
    (2, "scheduled", "CALL", "extra_part_invoice", {}, "Asked for the cable's invoice"),
    (0, "scheduled", "CALL", "status_check", {}, None),
)


def seed_contacts(now: dt.datetime) -> int:
    """Returns how many contacts were made (none when no ticket is in the state)."""
    cem = Agent.objects.filter(user__username="cem").first()
    if cem is None:
        return 0
    actor = Actor.of_user(cem.user)
    made = 0
    for days_ago, state, channel, reason, answers, remarks in CONTACTS:
        ticket = (
            Case.objects.filter(playbook__key="service-order", state=state, team=cem.team)
            .order_by("opened_at")
            .first()
        )
        if ticket is None:
            continue
        with clock.frozen(now - dt.timedelta(days=days_ago, hours=1)):
            contact = contact_open(ticket.pk, channel, actor)
            contact_reason(contact.pk, reason, actor)
            for step, answer in answers.items():
                contact_answer(contact.pk, step, answer, actor)
            if remarks is not None:
                contact_close(contact.pk, remarks=remarks, preferred_at=None, actor=actor)
        made += 1
    return made
