"""The customer link: no login, unguessable (HMAC-signed), expiring.

The token is the case id signed with the secret key and a timestamp; the view
refuses it after OPSDESK_CUSTOMER_LINK_DAYS. Nothing is stored, so issuing a
link costs no write; rotating the secret key revokes every link. The
timestamp and the expiry read the shell's clock (opsdesk.common.clock), like
every other time the product decides on, so a virtual clock gives the same
link for the same moment.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from opsdesk.common import clock

_SALT = "opsdesk.portal.case"


class _ClockSigner(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(int(clock.now().timestamp()))

    def unsign(self, value: str, max_age: float | dt.timedelta | None = None) -> str:
        result = signing.Signer.unsign(self, value)
        value, stamp = result.rsplit(self.sep, 1)
        if max_age is not None:
            limit = max_age.total_seconds() if isinstance(max_age, dt.timedelta) else max_age
            age = clock.now().timestamp() - signing.b62_decode(stamp)
            if age > limit:
                raise signing.SignatureExpired(f"Signature age {age} > {limit} seconds")
        return value


def _signer() -> _ClockSigner:
    return _ClockSigner(salt=_SALT)


def case_token(case_id: str) -> str:
    return _signer().sign_object(case_id, compress=True)


def case_link(case_id: str) -> str:
    """The absolute URL a customer opens (relative when no public URL is set)."""
    path = reverse("portal:case", args=[case_token(case_id)])
    return settings.OPSDESK_PUBLIC_URL.rstrip("/") + path


def case_of_token(token: str) -> str | None:
    """The case id, or None when the token is forged, damaged or expired."""
    max_age = dt.timedelta(days=settings.OPSDESK_CUSTOMER_LINK_DAYS)
    try:
        return str(_signer().unsign_object(token, max_age=max_age))
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
