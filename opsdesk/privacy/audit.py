"""Record who viewed or exported a customer's record: one call from each view.

    audit.record_view(request, customer.pk, case_id=case.pk)
    audit.record_export(request, customer.pk, "pdf", case_id=quote.case_id)

Views call these after the record was found and authorized, so a refused
request (another team's agent gets a 404) writes nothing. Called from views,
never from signals: what is logged is what a person asked for, not every read
the code makes. The surface (UI or API) is told by the path.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from opsdesk.access.clientip import client_ip
from opsdesk.common import clock, logcontext
from opsdesk.privacy.models import AuditAction, AuditEntry, AuditSurface


@dataclass(frozen=True)
class Access:
    """Who asked, and through what: copied onto every entry it writes."""

    user_id: int | None
    username: str
    surface: str
    route: str = ""
    request_id: str = ""
    ip: str = ""


def access_of(request: HttpRequest) -> Access:
    user = request.user
    surface = AuditSurface.API if request.path.startswith("/api/") else AuditSurface.UI
    return Access(
        user_id=user.pk if user.is_authenticated else None,
        username=user.get_username() if user.is_authenticated else "",
        surface=surface,
        route=request.path[:300],
        request_id=(logcontext.request_id.get() or "")[:64],
        ip=client_ip(request)[:64],
    )


def cli_access(command: str) -> Access:
    try:
        login = getpass.getuser()
    except Exception:  # no login name (a container without a passwd entry)
        login = "unknown"
    return Access(user_id=None, username=f"cli:{login}", surface=AuditSurface.CLI, route=command)


def _entry(
    access: Access,
    action: str,
    customer_id: str,
    *,
    case_id: str | None = None,
    fmt: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry(
        at=clock.now(),
        user_id=access.user_id,
        username=access.username,
        action=action,
        customer_id=customer_id,
        case_id=case_id or "",
        surface=access.surface,
        format=fmt,
        route=access.route,
        request_id=access.request_id,
        ip=access.ip,
        detail=detail or {},
    )


def record(
    access: Access,
    action: str,
    customer_id: str,
    *,
    case_id: str | None = None,
    fmt: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = _entry(access, action, customer_id, case_id=case_id, fmt=fmt, detail=detail)
    entry.save()
    return entry


def record_view(request: HttpRequest, customer_id: str, case_id: str | None = None) -> AuditEntry:
    """A person opened the customer's record (a page, an API read)."""
    return record(access_of(request), AuditAction.VIEW, customer_id, case_id=case_id)


def record_export(
    request: HttpRequest,
    customer_id: str,
    fmt: str,
    case_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """A person downloaded a file holding the customer's data (PDF, ZIP)."""
    return record(
        access_of(request), AuditAction.EXPORT, customer_id, case_id=case_id, fmt=fmt, detail=detail
    )


def record_exports(
    request: HttpRequest, customer_ids: Iterable[str], fmt: str, detail: dict[str, Any]
) -> int:
    """A file holding many customers (a CSV): one entry per customer in it, so each
    customer's log answers "who took my data" (a single row naming a count would
    not); inserted with one statement. Returns how many were written."""
    access = access_of(request)
    ids = list(dict.fromkeys(customer_ids))
    detail = {**detail, "customers": len(ids)}
    AuditEntry.objects.bulk_create(
        [_entry(access, AuditAction.EXPORT, c, fmt=fmt, detail=detail) for c in ids],
        batch_size=500,
    )
    return len(ids)
