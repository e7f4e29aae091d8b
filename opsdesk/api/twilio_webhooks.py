"""Twilio's callbacks: a voice call's TwiML and menu answers, call/SMS status reports,
and SMS customers send to our number.

Authenticated by `X-Twilio-Signature` (HMAC-SHA1 of the public URL and the form,
keyed with OPSDESK_TWILIO_AUTH_TOKEN), never by a token; a forged request is 403
and changes nothing. The URLs carry the message id (the adapters' idempotency
key, opsdesk/comms/adapters/twilio.py).

The voice menu: the first request (no answer yet) gets the message's text and the
menu; a caller who says nothing is asked once more, then hears goodbye. The
`retry` query parameter counts the questions asked so far, and Twilio signs it
with the rest of the URL. An answer the menu cannot read is asked again once;
after that it is recorded as not understood (`intent` None) for a person.
With inline TwiML (the adapter's `inline_twiml`) the call's own document is one
more question before these, posting to the URL without `retry`.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router

from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.comms.adapters.twilio import voice_webhook_url
from opsdesk.comms.adapters.twilio_signature import verify_signature
from opsdesk.comms.adapters.twiml import confirmation_twiml, outcome_twiml, parse_gather
from opsdesk.comms.models import Channel, DeliveryStatus, Direction, Message
from opsdesk.comms.replies import voice_answer_record
from opsdesk.comms.services import message_receive, message_status_update

router = Router(tags=["webhooks"])
TWILIO = Actor("twilio")
TWIML = "text/xml; charset=utf-8"
MAX_ASKS = 2  # the question is asked at most this often per call

# Call progress (CallStatus) and SMS progress (MessageStatus) to our delivery statuses.
# A call that ends busy / no-answer / failed / canceled is a failed delivery: recorded
# with the reason; the playbook's cadence wait deals with the missing answer.
CALL_STATUS: dict[str, str] = {
    "queued": DeliveryStatus.SENT,
    "initiated": DeliveryStatus.SENT,
    "ringing": DeliveryStatus.SENT,
    "in-progress": DeliveryStatus.DELIVERED,  # answered
    "completed": DeliveryStatus.DELIVERED,  # answered, then hung up
    "busy": DeliveryStatus.FAILED,
    "no-answer": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}
SMS_STATUS: dict[str, str] = {
    "accepted": DeliveryStatus.SENT,
    "scheduled": DeliveryStatus.SENT,
    "queued": DeliveryStatus.SENT,
    "sending": DeliveryStatus.SENT,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}
THANKS = {
    "en": "Thank you, we have recorded your answer. Goodbye.",
    "tr": "Teşekkür ederiz, yanıtınızı kaydettik. İyi günler.",
}
CALL_BACK = {
    "en": "Thank you. One of our team will call you back. Goodbye.",
    "tr": "Teşekkür ederiz. Ekibimizden biri sizi geri arayacak. İyi günler.",
}
NO_ANSWER = {
    "en": "We did not get your answer. Goodbye.",
    "tr": "Yanıtınızı alamadık. İyi günler.",
}


def _signed(request: HttpRequest) -> bool:
    """Whether Twilio signed this POST, for the URL it was given (our public URL)."""
    if not settings.OPSDESK_PUBLIC_URL:
        return False  # Twilio signs the absolute URL: without ours nothing can match
    url = settings.OPSDESK_PUBLIC_URL.rstrip("/") + request.get_full_path()
    return verify_signature(
        url, request.POST, request.headers.get("X-Twilio-Signature"), settings.TWILIO_AUTH_TOKEN
    )


def _forbidden() -> HttpResponse:
    return HttpResponse("bad signature", status=403, content_type="text/plain")


def _lang(message: Message) -> str:
    return "tr" if (message.language or "").lower().startswith("tr") else "en"


def _asks(request: HttpRequest) -> int:
    raw = request.GET.get("retry", "0")
    return min(int(raw), MAX_ASKS) if raw.isdigit() else 0


def _ask(message: Message, asked: int) -> HttpResponse:
    """Ask (again): the prompt and the menu; the answer comes back with `retry` = asks made."""
    number = asked + 1
    action = voice_webhook_url(settings.OPSDESK_PUBLIC_URL, message.pk) + f"?retry={number}"
    twiml = confirmation_twiml(
        message.language or "en",
        message.body,
        action,
        retries_left=1 if number < MAX_ASKS else 0,
    )
    return HttpResponse(twiml, content_type=TWIML)


def _say(message: Message, texts: dict[str, str]) -> HttpResponse:
    return HttpResponse(outcome_twiml(_lang(message), texts[_lang(message)]), content_type=TWIML)


@router.post("/webhooks/twilio/voice/{message_id}", auth=None)
def twilio_voice(request: HttpRequest, message_id: str) -> HttpResponse:
    """A voice call's TwiML, and the caller's answer (`Digits` or `SpeechResult`)."""
    if not _signed(request):
        return _forbidden()
    message = Message.objects.filter(
        pk=message_id, channel=Channel.VOICE, direction=Direction.OUTBOUND
    ).first()
    if message is None:
        return HttpResponse("unknown call", status=404, content_type="text/plain")
    asked = _asks(request)
    digits = request.POST.get("Digits", "").strip()
    speech = request.POST.get("SpeechResult", "").strip()
    if not (digits or speech):
        if asked >= MAX_ASKS:
            return _say(message, NO_ANSWER)
        return _ask(message, asked)
    # An answer means a question was asked, even by TwiML sent inline with the call.
    asked = max(asked, 1)
    choice = parse_gather(request.POST)
    if choice is None and asked < MAX_ASKS:
        return _ask(message, asked)
    voice_answer_record(message.pk, intent=choice, text=speech or digits, actor=TWILIO)
    return _say(message, THANKS if choice else CALL_BACK)


@router.post("/webhooks/twilio/status/{message_id}", auth=None)
def twilio_status(request: HttpRequest, message_id: str) -> HttpResponse:
    """Status callbacks of a call (`CallStatus`) or an SMS (`MessageStatus`)."""
    if not _signed(request):
        return _forbidden()
    form = request.POST
    if "CallStatus" in form:
        status = CALL_STATUS.get(form["CallStatus"])
        provider_id = form.get("CallSid", "")
        error = form["CallStatus"] if status == DeliveryStatus.FAILED else ""
    else:
        status = SMS_STATUS.get(form.get("MessageStatus", ""))
        provider_id = form.get("MessageSid", "") or form.get("SmsSid", "")
        code, text = form.get("ErrorCode", ""), form.get("ErrorMessage", "")
        error = f"{code}: {text}" if code and text else code or text
        if status == DeliveryStatus.FAILED and not error:
            error = form.get("MessageStatus", "")
    if status is not None:
        message_status_update(
            message_id=message_id,
            provider_message_id=provider_id,
            status=status,
            error=error,
            actor=TWILIO,
        )
    return HttpResponse(status=204)


@router.post("/webhooks/twilio/sms", auth=None)
def twilio_sms_inbound(request: HttpRequest) -> HttpResponse:
    """An SMS a customer sent to our number (the number's "A message comes in" webhook).

    Read like any reply (`customer.replied`); Twilio's MessageSid makes a retry a no-op.
    The empty TwiML answer sends nothing back.
    """
    if not _signed(request):
        return _forbidden()
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    sender = request.POST.get("From") or ""
    if not sid or not sender:
        return HttpResponse("MessageSid and From are required", status=400)
    message_receive(
        channel=Channel.SMS,
        from_address=sender,
        body=request.POST.get("Body") or "",
        provider_message_id=sid,
        at=clock.now(),
        actor=TWILIO,
    )
    return HttpResponse("<?xml version='1.0' encoding='UTF-8'?><Response/>", content_type=TWIML)
