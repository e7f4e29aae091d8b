"""The client's address, for rate limits and sign-in lockouts.

REMOTE_ADDR, unless it is one of OPSDESK_TRUSTED_PROXIES: then X-Forwarded-For is
read from the right, skipping the trusted proxies, and the first address no trusted
proxy vouches for is the client. Anyone can send X-Forwarded-For, so it is never
read when the request did not come through a trusted proxy.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def _trusted(address: str) -> bool:
    nets = _networks(tuple(getattr(settings, "OPSDESK_TRUSTED_PROXIES", ())))
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if not _trusted(remote):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not _trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote  # garbage from the client side: count it against the proxy
    return remote
