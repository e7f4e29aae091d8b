"""A customer's answer, on any channel, as the playbook event `customer.replied`.

`message_receive` calls `reply_receive` for every inbound WhatsApp, SMS and
email message it stores; the Twilio voice webhook calls `voice_answer_record`
for the caller's menu choice. Either way each open case gets
`Event("customer.replied", {channel, intent, proposed_at, text, payload})`,
after a `CUSTOMER_REPLIED` timeline row that says how the answer was read.

How an answer is read (`read_answer`, pure):
- a button payload confirm / reject / reschedule is that intent; any other
  payload ("rating_5") is intent None with the payload set;
- free text goes through `opsdesk.comms.intent.read_reply` in the case's
  timezone (its playbook calendar's); only a high-confidence reading gives an
  intent (and `proposed_at`). Unreadable or doubtful text is intent None, for
  the playbook to route to a person; the timeline row keeps the reader's reason;
- an email is read without the quoted message it answers and the signature.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case, CaseStatus, TimelineEvent
from opsdesk.cases.playbooks import playbook_of
from opsdesk.cases.services import decide_and_apply, lock_case
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.comms.intent import Intent, read_reply
from opsdesk.comms.models import Channel, Direction, Message
from opsdesk.engine.decide import playbook_calendar
from opsdesk.engine.types import Event

EVENT = "customer.replied"
# Button payloads that are an answer in themselves.
BUTTON_INTENTS: dict[str, Intent] = {
    "confirm": "confirm",
    "reject": "reject",
    "reschedule": "reschedule",
}
READ_CHANNELS: frozenset[str] = frozenset({Channel.WHATSAPP, Channel.SMS, Channel.EMAIL})
DEFAULT_TIMEZONE = "Europe/Istanbul"


@dataclass(frozen=True)
class Answer:
    """One reading of a customer's answer."""

    channel: str
    intent: Intent | None
    proposed_at: str | None  # ISO 8601, UTC
    text: str
    payload: str  # the button's payload, else ""
    reason: str  # how it was read, for the agent (the timeline row only)

    def event(self) -> Event:
        return Event(
            EVENT,
            {
                "channel": self.channel,
                "intent": self.intent,
                "proposed_at": self.proposed_at,
                "text": self.text,
                "payload": self.payload,
            },
        )

    def timeline_payload(self) -> dict[str, Any]:
        return {**self.event().data, "reason": self.reason}


def read_answer(
    channel: str, text: str, payload: str, *, now: dt.datetime, timezone: str
) -> Answer:
    """Read one answer; `now` is when the customer wrote, `timezone` theirs."""
    payload = payload.strip()
    if payload:
        intent = BUTTON_INTENTS.get(payload)
        return Answer(channel, intent, None, text, payload, f'button "{payload}"')
    if channel == Channel.EMAIL:
        text = reply_part(text)
    read = read_reply(text, now=now, timezone=timezone)
    if read.intent is None or read.confidence != "high":
        reason = f"for an agent ({read.confidence} confidence): {read.reason}"
        return Answer(channel, None, None, text, "", reason)
    proposed = read.when.astimezone(dt.UTC).isoformat() if read.when else None
    return Answer(channel, read.intent, proposed, text, "", read.reason)


# "On Wed, 28 Oct 2026 at 10:00, Opsdesk <...> wrote:" (Gmail may wrap it over two
# lines), "28 Eki 2026 Çar, 10:00 tarihinde ... şunu yazdı:", Outlook's separators.
_ATTRIBUTION = re.compile(
    r"^[ \t]*(?:on\b[^\n]*(?:\n[^\n]*)?\bwrote:|[^\n]*\btarihinde\b[^\n]*(?:\n[^\n]*)?\byazd[ıi]:)"
    r"[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_SEPARATOR = re.compile(
    r"^(?:-{2,}\s*(?:original message|orijinal ileti|özgün ileti|forwarded message)\s*-{2,}"
    r"|_{10,}|(?:from|kimden|gönderen)\s*:.*)$",
    re.IGNORECASE,
)


def reply_part(text: str) -> str:
    """What the customer wrote above the message they answer, without quotes or signature."""
    attribution = _ATTRIBUTION.search(text)
    if attribution:
        text = text[: attribution.start()]
    kept: list[str] = []
    for line in text.split("\n"):
        if line.rstrip() == "--" or _SEPARATOR.match(line.strip()):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip() or text.strip()


def reply_receive(message: Message, *, payload: str, actor: Actor) -> int:
    """Tell the customer's open cases what an inbound message answers; returns how many.

    Called by `message_receive` inside its transaction, after `message.received`.
    """
    if message.channel not in READ_CHANNELS:
        return 0
    now = clock.now()
    written_at = min(message.created_at, now)  # a future Date header is not believed
    readings: dict[str, Answer] = {}
    told = 0
    open_ids = Case.objects.filter(
        customer_id=message.customer_id, status=CaseStatus.OPEN
    ).order_by("opened_at")
    for case_id in list(open_ids.values_list("pk", flat=True)):
        case = lock_case(case_id)
        if case.status != CaseStatus.OPEN:  # closed meanwhile
            continue
        timezone = _timezone(case)
        if timezone not in readings:
            readings[timezone] = read_answer(
                message.channel, message.body, payload, now=written_at, timezone=timezone
            )
        answer = readings[timezone]
        row = _row(case, answer, actor, now, message.pk)
        decide_and_apply(case, answer.event(), actor, now, first_timeline=(row,))
        told += 1
    return told


def voice_answer_record(message_id: str, *, intent: Intent | None, text: str, actor: Actor) -> bool:
    """The answer to a voice call's menu (`intent` None: not understood) on the call's
    case. Once per call: False when this call's answer was already recorded."""
    with transaction.atomic():
        message = Message.objects.get(
            pk=message_id, channel=Channel.VOICE, direction=Direction.OUTBOUND
        )
        case = lock_case(message.case_id) if message.case_id else None
        if case is None:
            # No case lock to serialise two deliveries of the answer at once: the
            # call's row is locked instead, so the second finds the first one's row.
            list(Message.objects.select_for_update().filter(pk=message.pk).values("pk"))
        done = TimelineEvent.objects.filter(
            customer_id=message.customer_id, type="CUSTOMER_REPLIED", payload__message_id=message.pk
        )
        if done.exists():
            return False
        reason = f"voice menu: {intent or 'not understood'}"
        answer = Answer(Channel.VOICE, intent, None, text, "", reason)
        now = clock.now()
        row = _row(case, answer, actor, now, message.pk, customer_id=message.customer_id)
        if case is not None and case.status == CaseStatus.OPEN:
            decide_and_apply(case, answer.event(), actor, now, first_timeline=(row,))
        else:
            row.save()  # the case closed before the answer: recorded, nothing to tell
    return True


def _row(
    case: Case | None,
    answer: Answer,
    actor: Actor,
    now: dt.datetime,
    message_id: str,
    *,
    customer_id: str = "",
) -> TimelineEvent:
    customer = customer_id or (case.customer_id if case else "")
    return timeline_row(
        case,
        customer,
        "CUSTOMER_REPLIED",
        actor,
        now,
        message_id=message_id,
        **answer.timeline_payload(),
    )


def _timezone(case: Case) -> str:
    """The customer's timezone: their case's playbook calendar's."""
    return playbook_calendar(playbook_of(case.playbook)).timezone or DEFAULT_TIMEZONE
