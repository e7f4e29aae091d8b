"""Domain functions for tasks: complete (through the playbook's quality checks), create."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from opsdesk.cases.apply import timeline_row
from opsdesk.cases.models import Case, CaseStatus
from opsdesk.cases.playbooks import playbook_of
from opsdesk.cases.services import decide_and_apply, lock_case
from opsdesk.common import clock
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, Refused, ValidationFailed, status_word
from opsdesk.engine.types import Event
from opsdesk.playbook.fields import coerce_fields, to_json
from opsdesk.tasks.models import Priority, Task, TaskStatus


def task_complete(task_id: str, actor: Actor, values: Mapping[str, Any] | None = None) -> Task:
    """Close a task. A playbook task must pass its `complete_requires` checks;
    the refusal names every unmet check and changes nothing. `values`: the case
    fields the task asks for (its `fields`), saved on the case as it completes."""
    with transaction.atomic():
        task = Task.objects.get(pk=task_id)
        case = lock_case(task.case_id) if task.case_id else None
        task = Task.objects.select_for_update().get(pk=task_id)
        if task.status != TaskStatus.OPEN:
            raise Conflict(f"the task is already {status_word(task.status)}")
        now = clock.now()
        if case is not None and case.status == CaseStatus.OPEN:
            fields = task_field_values(case, task.key, values or {})
            # Raises Refused before anything below is written.
            # `by`: who completes it, for four-eyes reviews (snapshot.task_done_by).
            by = str(actor.user.pk) if actor.user is not None else actor.label
            # `checklist_open`: the items not ticked (a playbook may require them all).
            undone = [i["text"] for i in task.checklist if not i.get("done")]
            event = Event(
                "task.complete",
                {
                    "key": task.key,
                    "task_id": task.pk,
                    "fields": fields,
                    "by": by,
                    "checklist_open": undone,
                },
            )
            decide_and_apply(case, event, actor, now)
        task.status, task.completed_at, task.completed_by = TaskStatus.DONE, now, actor.user
        task.save(update_fields=["status", "completed_at", "completed_by"])
        timeline_row(
            case, task.customer_id, "TASK_COMPLETED", actor, now, task_id=task.pk, title=task.title
        ).save()
    return task


def task_field_values(case: Case, key: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The task's `fields`, checked: every one is needed except free-text notes."""
    spec = playbook_of(case.playbook).tasks.get(key)
    asked = spec.fields if spec else []
    errors: dict[str, list[str]] = {
        name: ["this task does not ask for this field"] for name in values if name not in asked
    }
    pb = playbook_of(case.playbook)
    typed, field_errors = coerce_fields(pb, {k: values.get(k) for k in asked}, partial=True)
    errors.update(field_errors)
    for name in asked:
        if name not in typed and name not in errors and pb.fields[name].type != "text":
            errors[name] = ["this field is required"]
    if errors:
        raise ValidationFailed(errors)
    return to_json(typed)


def task_check_item(task_id: str, index: int, done: bool, actor: Actor) -> Task:
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task_id)
        if not 0 <= index < len(task.checklist):
            raise ValidationFailed({"index": [f"the checklist has {len(task.checklist)} items"]})
        if task.status != TaskStatus.OPEN:
            raise Conflict("the task is closed")
        changed = bool(task.checklist[index].get("done")) != done
        task.checklist[index]["done"] = done
        task.save(update_fields=["checklist"])
        if changed and task.case_id:
            # "Update the CRM after each service interaction": every tick is on the timeline.
            timeline_row(
                task.case,
                task.customer_id,
                "CHECKLIST_ITEM",
                actor,
                clock.now(),
                task=task.title,
                task_id=task.pk,
                item=task.checklist[index]["text"],
                done=done,
            ).save()
    return task


def task_create(
    *,
    case_id: str,
    actor: Actor,
    key: str = "",
    title: str = "",
    description: str = "",
    priority: str = Priority.MEDIUM,
    due_at: dt.datetime | None = None,
    assignee_id: str | None = None,
) -> Task:
    """Open a task on a case: a playbook task marked `manual` (by key), or an ad-hoc one."""
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status != CaseStatus.OPEN:
            raise Refused([f"case {case.number} is closed"])
        now = clock.now()
        if key:
            spec = playbook_of(case.playbook).tasks.get(key)
            if spec is None or not spec.manual:
                raise ValidationFailed({"key": [f"no task {key!r} that staff may open"]})
            _, applied = decide_and_apply(case, Event("open_task", {"key": key}), actor, now)
            if not applied.tasks:
                raise Conflict(f"a {key!r} task is already open")
            task = applied.tasks[0]
        else:
            errors: dict[str, list[str]] = {}
            if not title.strip():
                errors["title"] = ["this field is required"]
            if priority not in Priority.values:
                errors["priority"] = [f"one of {', '.join(Priority.values)}"]
            if errors:
                raise ValidationFailed(errors)
            task = Task.objects.create(
                customer_id=case.customer_id,
                case=case,
                title=title.strip()[:300],
                description=description,
                priority=priority,
                due_at=due_at,
                assignee_id=assignee_id or case.agent_id,
                created_at=now,
            )
            timeline_row(
                case,
                case.customer_id,
                "TASK_CREATED",
                actor,
                now,
                task_id=task.pk,
                title=task.title,
                due_at=due_at.isoformat() if due_at else None,
            ).save()
        decide_and_apply(case, Event("task.created", {"key": key, "task_id": task.pk}), actor, now)
    return task
