"""The test provider's checkout page, for demos and trials without real money.

A test payment link (`/pay/test/<ref>/`) opens a page with the amount and two
buttons; pressing one sends the signed webhook the test provider would send,
through the same `payment_webhook` path a real provider's webhook takes. Only
while the test provider has a secret (OPSDESK_TEST_PAYMENT_SECRET).
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings

from opsdesk.billing.models import Payment, PaymentLink
from opsdesk.billing.providers import SIGNATURE_HEADER, sign_test_webhook
from opsdesk.billing.services import payment_webhook
from opsdesk.common import clock

PROVIDER = "test"


def sandbox_link(ref: str) -> PaymentLink | None:
    """The open test link, None when there is none or the sandbox is off."""
    if not settings.OPSDESK_TEST_PAYMENT_SECRET:
        return None
    return (
        PaymentLink.objects.select_related("quote")
        .filter(provider=PROVIDER, provider_ref=ref, expires_at__gt=clock.now())
        .first()
    )


def sandbox_pay(link: PaymentLink, *, succeed: bool) -> Payment:
    """What the test provider's webhook says after the customer pays (or fails to)."""
    body = json.dumps(
        {
            "ref": f"tpay_{secrets.token_hex(8)}",
            "link": link.provider_ref,
            "kind": "PAYMENT",
            "amount": f"{link.amount:.2f}",
            "currency": link.currency,
            "status": "SUCCEEDED" if succeed else "FAILED",
        }
    ).encode()
    timestamp = int(clock.now().timestamp())
    signature = sign_test_webhook(settings.OPSDESK_TEST_PAYMENT_SECRET, timestamp, body)
    return payment_webhook(PROVIDER, {SIGNATURE_HEADER: signature}, body)
