"""The customer link: no login, unguessable (HMAC-signed), expiring.

The token is the case id signed with the secret key and a timestamp; the view
refuses it after OPSDESK_CUSTOMER_LINK_DAYS. Nothing is stored, so issuing a
link costs no write; rotating the secret key revokes every link.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

_SALT = "opsdesk.portal.case"


def case_token(case_id: str) -> str:
    return signing.dumps(case_id, salt=_SALT, compress=True)


def case_link(case_id: str) -> str:
    """The absolute URL a customer opens (relative when no public URL is set)."""
    path = reverse("portal:case", args=[case_token(case_id)])
    return settings.OPSDESK_PUBLIC_URL.rstrip("/") + path


def case_of_token(token: str) -> str | None:
    """The case id, or None when the token is forged, damaged or expired."""
    max_age = dt.timedelta(days=settings.OPSDESK_CUSTOMER_LINK_DAYS)
    try:
        return str(signing.loads(token, salt=_SALT, max_age=max_age))
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
