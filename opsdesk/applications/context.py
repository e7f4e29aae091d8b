"""What playbook rules and templates see of an application (`application`)."""

from __future__ import annotations

from typing import Any

from opsdesk.applications.models import Application, ItemStatus


def application_dict(app: Application) -> dict[str, Any]:
    travellers = list(app.travellers.all())
    names = {t.pk: f"{t.given_name} {t.family_name}" for t in travellers}
    missing = [i for i in app.missing_items.all() if i.status == ItemStatus.MISSING]
    return {
        "id": app.pk,
        "partner": app.partner.key,
        "partner_ref": app.partner_ref,
        "partner_url": app.partner_url,
        "destination": app.destination,
        "visa_type": app.visa_type,
        "travel_start": app.travel_start.isoformat() if app.travel_start else None,
        "travel_end": app.travel_end.isoformat() if app.travel_end else None,
        "checklist": list(app.checklist),
        "travellers": [
            {
                "id": t.pk,
                "name": f"{t.given_name} {t.family_name}",
                "status": t.status,
                "appointment_at": t.appointment_at.isoformat() if t.appointment_at else None,
                "appointment_place": t.appointment_place,
            }
            for t in travellers
        ],
        # Statuses shared by every traveller, for guards such as
        # "application.all_status == 'APPOINTMENT_BOOKED'" (none while they differ).
        "all_status": travellers[0].status
        if travellers and len({t.status for t in travellers}) == 1
        else None,
        "missing": [
            {
                "key": i.key,
                "label": i.label,
                "kind": i.kind,
                "traveller": names.get(i.traveller_id or ""),
                "note": i.note,
            }
            for i in missing
        ],
    }


def load_applications(case_ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = (
        Application.objects.filter(case_id__in=case_ids)
        .select_related("partner")
        .prefetch_related("travellers", "missing_items")
    )
    return {app.case_id: application_dict(app) for app in rows if app.case_id}
