"""Twilio request signatures (`X-Twilio-Signature`) on the webhooks Twilio sends us.

Algorithm: https://www.twilio.com/docs/usage/webhooks/webhooks-security
The full URL Twilio requested (query string included), then each POST parameter's
name and value appended in order of name, HMAC-SHA1 keyed with the auth token, base64.

Only form-encoded callbacks are supported, which is what Voice and Messaging send.
For `application/json` bodies Twilio signs the URL alone and puts the body's
SHA-256 in a `bodySHA256` query parameter; checking that hash needs the raw body,
so such URLs are refused here rather than accepted with an unchecked body.
No Django here: the view passes the URL, the form and the header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

FormParams = Mapping[str, str | list[str]]

_DEFAULT_PORTS = {"https": 443, "http": 80}


def compute_signature(url: str, params: FormParams, auth_token: str) -> str:
    """The `X-Twilio-Signature` Twilio sends for a POST of `params` to `url`."""
    payload = url
    for name in sorted(params):
        # Repeated fields: every value, sorted and deduplicated, as Twilio's own
        # validators do. A Django QueryDict is read with getlist(), since its
        # item access returns only the last value.
        getlist = getattr(params, "getlist", None)
        value = getlist(name) if callable(getlist) else params[name]
        values = [value] if isinstance(value, str) else value
        for item in sorted(set(values)):
            payload += name + item
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_signature(url: str, params: FormParams, header: str | None, auth_token: str) -> bool:
    """True when `header` is Twilio's signature of this form POST to `url`.

    `url` must be the public URL Twilio was given (scheme and host as Twilio saw
    them, not as a proxy rewrote them). Twilio signs some requests with the
    default port in the host and some without, so both spellings are accepted.
    """
    # An empty token would make the HMAC computable by anyone, so it proves nothing.
    if not auth_token or not header:
        return False
    if "bodySHA256" in parse_qs(urlsplit(url).query):
        return False  # a JSON-body callback: see the module docstring
    given = header.strip().encode()
    return any(
        hmac.compare_digest(compute_signature(candidate, params, auth_token).encode(), given)
        for candidate in _port_spellings(url)
    )


def _port_spellings(url: str) -> list[str]:
    """`url` as given, plus the same URL with its port removed and with it explicit."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return [url]  # not a URL Twilio could have called; the plain check fails it
    spellings = [url]
    if port is not None:
        host = parts.netloc[: parts.netloc.rfind(":")]
        spellings.append(parts._replace(netloc=host).geturl())
    elif parts.scheme in _DEFAULT_PORTS and parts.netloc:
        netloc = f"{parts.netloc}:{_DEFAULT_PORTS[parts.scheme]}"
        spellings.append(parts._replace(netloc=netloc).geturl())
    return spellings
