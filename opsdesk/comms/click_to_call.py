"""Click-to-call: the agent presses "Call" next to a customer's number; the
telephony provider rings the agent's own phone first and, when the agent
answers, dials the customer (the customer sees the company's number).

`call_connect` (opsdesk.comms.calls) records the call as an outbound VOICE
message and queues the connection as an outbox effect; the worker asks the
adapter named by OPSDESK_CLICK_TO_CALL to connect:

- `dev`: connects nobody and returns a made-up call id (demo, tests);
- `twilio`: POST .../Calls.json to the agent's phone with TwiML that dials the
  customer (the Twilio settings of the SMS/voice adapters).

Another provider (Exotel, a SIP PBX) is one more class with `connect`,
registered in ADAPTERS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from xml.sax.saxutils import escape, quoteattr

import httpx
from django.conf import settings

from opsdesk.comms.adapters.twilio import _TwilioRest


class ClickToCall(Protocol):
    name: str

    def connect(self, *, agent_phone: str, customer_phone: str, reference: str) -> str:
        """Ring the agent, then the customer; returns the provider's call id.
        Raises RetryableError / PermanentError (opsdesk.comms.adapters.base)."""
        ...


class DevClickToCall:
    name = "dev"

    def connect(self, *, agent_phone: str, customer_phone: str, reference: str) -> str:
        return f"dev-call-{reference}"


class TwilioClickToCall(_TwilioRest):
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        api_base: str = "https://api.twilio.com",
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        super().__init__(account_sid, auth_token, api_base, timeout, client)
        self._from = from_number

    def twiml(self, customer_phone: str) -> str:
        return (
            "<Response><Say>Connecting you to the customer.</Say>"
            f"<Dial callerId={quoteattr(self._from)}>"
            f"<Number>{escape(customer_phone)}</Number></Dial></Response>"
        )

    def connect(self, *, agent_phone: str, customer_phone: str, reference: str) -> str:
        form: dict[str, str | list[str]] = {
            "To": agent_phone,
            "From": self._from,
            "Twiml": self.twiml(customer_phone),
        }
        return self._create("Calls", form).provider_message_id


def _twilio() -> ClickToCall:
    return TwilioClickToCall(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_FROM_NUMBER,
        api_base=settings.TWILIO_API_BASE,
    )


ADAPTERS: dict[str, Callable[[], ClickToCall]] = {"dev": DevClickToCall, "twilio": _twilio}


def click_to_call_adapter() -> ClickToCall:
    name = getattr(settings, "OPSDESK_CLICK_TO_CALL", "dev")
    if name not in ADAPTERS:
        raise LookupError(f"OPSDESK_CLICK_TO_CALL names unknown adapter {name!r}")
    return ADAPTERS[name]()
