"""/api/v1/tasks: my tasks, and completing a task through its quality checks."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ValidationError as PydanticValidationError

from opsdesk.access.policy import agent_of, restrict, visible_tasks
from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.schemas import ERRORS, TaskOut
from opsdesk.common.errors import ValidationFailed
from opsdesk.tasks.models import TaskStatus
from opsdesk.tasks.services import task_complete

router = Router(tags=["tasks"], auth=AUTH)


class TaskCompleteIn(Schema):
    fields: dict[str, Any] = {}  # the case fields the task asks for (its `fields`)


@router.get("/tasks", response={200: list[TaskOut], **ERRORS})
def my_tasks(request: HttpRequest, limit: int = 50, offset: int = 0) -> list[Any]:
    """Open tasks assigned to the caller, soonest due first."""
    restrict(request.user, "customer.view")
    agent = agent_of(request.user)
    qs = visible_tasks(request.user).filter(assignee=agent, status=TaskStatus.OPEN)
    return lookups.page(qs.order_by("due_at", "created_at"), limit, offset)


@router.post(
    "/tasks/{task_id}/complete",
    response={200: TaskOut, **ERRORS},
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": TaskCompleteIn.model_json_schema()}},
        }
    },
)
def complete(request: HttpRequest, task_id: str) -> Any:
    """Complete a task, with the fields it asks for (e.g. a QA outcome and its
    reasons) in an optional JSON body `{"fields": {...}}`; 409 with every unmet
    quality check (or a four-eyes refusal) when the playbook refuses, 422 for a
    missing or bad field."""
    task = lookups.task(request, task_id, "case.act")
    # The body is optional: a task without fields is completed by a bare POST.
    is_json = request.content_type == "application/json" and request.body
    try:
        body = TaskCompleteIn.model_validate_json(request.body) if is_json else None
    except PydanticValidationError as exc:
        errors = {".".join(map(str, e["loc"])) or "body": [e["msg"]] for e in exc.errors()}
        raise ValidationFailed(errors) from None
    values = body.fields if body is not None else {}
    return task_complete(task.pk, lookups.actor(request), values)
