"""What playbook rules and templates see of a request (`intake`)."""

from __future__ import annotations

from typing import Any

from opsdesk.intake.models import Request, RequestChannel

# A receipt goes back the way the request came; a phone caller gets the template's
# own channel order (""), a web form's sender the email they gave.
REPLY_CHANNEL = {
    RequestChannel.WHATSAPP: "WHATSAPP",
    RequestChannel.EMAIL: "EMAIL",
    RequestChannel.WEB: "EMAIL",
    RequestChannel.PHONE: "",
}


def intake_dict(channel: str, text: str, request_id: str) -> dict[str, Any]:
    return {
        "channel": channel,
        "reply_channel": REPLY_CHANNEL[RequestChannel(channel)],
        "text": text,
        "request_id": request_id,
    }


def load_intake(case_ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = Request.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "channel", "text", "id"
    )
    return {case_id: intake_dict(channel, text, pk) for case_id, channel, text, pk in rows}
