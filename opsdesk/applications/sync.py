"""`sync_status` from a playbook: the statuses go to the partner platform the
case's application came from (opsdesk.partners: recorded, then delivered by the
worker with retries; the result is visible on the application)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from opsdesk.applications.models import Application, Traveller
from opsdesk.cases.models import Case
from opsdesk.engine.types import StatusPush
from opsdesk.partners.services import status_push_record


def status_pushes_record(case: Case, pushes: Sequence[StatusPush], now: dt.datetime) -> int:
    """In the caller's transaction; returns how many were recorded (none without an
    application: the playbook check requires application.received, so that is a
    case opened some other way)."""
    app = Application.objects.select_related("partner").filter(case_id=case.pk).first()
    if app is None:
        return 0
    names = dict(
        (t.pk, f"{t.given_name} {t.family_name}") for t in Traveller.objects.filter(application=app)
    )
    for push in pushes:
        data = {"traveller": names[push.subject]} if push.subject in names else {}
        status_push_record(
            case,
            app.partner,
            reference=app.partner_ref,
            status=push.status,
            subject=push.subject,
            data=data,
            now=now,
        )
    return len(pushes)
