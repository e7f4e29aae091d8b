"""/api/v1/tasks: my tasks, and completing a task through its quality checks."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from opsdesk.access.policy import agent_of, restrict, visible_tasks
from opsdesk.api import lookups
from opsdesk.api.auth import AUTH
from opsdesk.api.customers import ERRORS
from opsdesk.api.schemas import TaskOut
from opsdesk.tasks.models import TaskStatus
from opsdesk.tasks.services import task_complete

router = Router(tags=["tasks"], auth=AUTH)


@router.get("/tasks", response={200: list[TaskOut], **ERRORS})
def my_tasks(request: HttpRequest, limit: int = 50, offset: int = 0) -> list[Any]:
    """Open tasks assigned to the caller, soonest due first."""
    restrict(request.user, "customer.view")
    agent = agent_of(request.user)
    qs = visible_tasks(request.user).filter(assignee=agent, status=TaskStatus.OPEN)
    return lookups.page(qs.order_by("due_at", "created_at"), limit, offset)


@router.post("/tasks/{task_id}/complete", response={200: TaskOut, **ERRORS})
def complete(request: HttpRequest, task_id: str) -> Any:
    """Complete a task; 409 with every unmet quality check when the playbook refuses."""
    task = lookups.task(request, task_id, "case.act")
    return task_complete(task.pk, lookups.actor(request))
