"""Input dates and times (`schemas.UtcDatetime`): an offset the database refuses (more than
±16 hours) is turned into UTC before it is stored (found by tests/api/test_schemathesis.py)."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from opsdesk.tasks.models import Task
from tests.security.world import World


def test_a_task_due_at_with_an_eighteen_hour_offset_is_stored_in_utc(
    client: Client, admin_auth: dict[str, str], api_world: World
) -> None:
    case_id = api_world.ids["case_id"]
    response = client.post(
        f"/api/v1/cases/{case_id}/tasks",
        {"title": "Call back", "due_at": "2026-11-02T04:30:00+18:30"},
        content_type="application/json",
        headers=admin_auth,
    )
    assert response.status_code == 201, response.content
    task = Task.objects.get(pk=response.json()["id"])
    assert task.due_at == dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC)
