"""The task index: inbox queries, claim, unclaim, assign and complete."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.errors import Conflict, NotFound, PermissionDenied
from engine.forms import validate_submission
from engine.spiff.runtime import Engine
from engine.store.audit import record
from engine.store.db import lost_races_as_conflicts
from engine.store.models import InstanceRow, TaskRow
from engine.usecases.instances import run_and_persist

__all__ = ["assign_task", "claim_task", "complete_task", "get_task", "list_tasks", "task_form", "unclaim_task"]


def get_task(session: Session, task_id: str) -> TaskRow:
    """Return a task index row or raise NotFound."""
    row = session.get(TaskRow, task_id)
    if row is None:
        raise NotFound(f"task {task_id} does not exist")
    return row


def list_tasks(session: Session, *, groups: Collection[str] | None = None, user: str | None = None,
               status: str = "ready", process_id: str | None = None, instance_id: str | None = None,
               limit: int = 100, offset: int = 0) -> list[TaskRow]:
    """Return index rows by group and/or user, soonest due first; never loads workflow state."""
    query = select(TaskRow).where(TaskRow.status == status)
    if groups is not None and user is not None:
        query = query.where(or_(TaskRow.candidate_group.in_(list(groups)), TaskRow.assignee == user))
    elif groups is not None:
        query = query.where(TaskRow.candidate_group.in_(list(groups)))
    elif user is not None:
        query = query.where(TaskRow.assignee == user)
    if process_id:
        query = query.where(TaskRow.process_id == process_id)
    if instance_id:
        query = query.where(TaskRow.instance_id == instance_id)
    query = query.order_by(TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at, TaskRow.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def _open_task(session: Session, task_id: str, groups: Collection[str] | None) -> TaskRow:
    row = get_task(session, task_id)
    if groups is not None and row.candidate_group not in groups:
        raise PermissionDenied(f"task {task_id} belongs to group {row.candidate_group}")
    if row.status != "ready":
        raise Conflict(f"task {task_id} is already {row.status}")
    return row


def claim_task(engine: Engine, session: Session, task_id: str, *, user: str,
               groups: Collection[str] | None = None) -> TaskRow:
    """Make `user` the assignee of an unclaimed ready task."""
    row = _open_task(session, task_id, groups)
    if row.assignee and row.assignee != user:
        raise Conflict(f"task {task_id} is already claimed by {row.assignee}")
    now = engine.now()
    row.assignee, row.claimed_by, row.claimed_at = user, user, now
    record(session, now, user, "claim", instance_id=row.instance_id, task_id=row.id, element=row.spec_id)
    return row


def unclaim_task(engine: Engine, session: Session, task_id: str, *, user: str,
                 groups: Collection[str] | None = None) -> TaskRow:
    """Give a claimed task back to its group."""
    row = _open_task(session, task_id, groups)
    if row.assignee != user:
        raise Conflict(f"task {task_id} is not claimed by {user}")
    row.assignee = row.claimed_by = row.claimed_at = None
    record(session, engine.now(), user, "unclaim", instance_id=row.instance_id, task_id=row.id,
           element=row.spec_id)
    return row


def assign_task(engine: Engine, session: Session, task_id: str, *, assignee: str | None, actor: str) -> TaskRow:
    """Set or clear a task's assignee on someone's behalf."""
    row = _open_task(session, task_id, None)
    now = engine.now()
    row.assignee, row.claimed_by = assignee, assignee
    row.claimed_at = now if assignee else None
    record(session, now, actor, "assign", instance_id=row.instance_id, task_id=row.id, element=row.spec_id,
           data={"assignee": assignee})
    return row


def task_form(engine: Engine, session: Session, task_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the JSON Schema and uiSchema of a task."""
    row = get_task(session, task_id)
    version = _instance_of(session, row).process_version
    schema = engine.form(version, row.form) if row.form else {"type": "object", "properties": {}}
    ui_schema = engine.form(version, row.ui_form) if row.ui_form else {}
    return schema, ui_schema


def complete_task(engine: Engine, session: Session, task_id: str, data: Any, *, user: str,
                  groups: Collection[str] | None = None) -> TaskRow:
    """Validate `data` against the task's form and complete it; invalid data changes nothing."""
    row = _open_task(session, task_id, groups)
    if row.assignee and row.assignee != user:
        raise Conflict(f"task {task_id} is claimed by {row.assignee}")
    instance_row = _instance_of(session, row)
    version = instance_row.process_version
    # Deployment guarantees every user task a form; a task without one accepts no fields.
    schema = engine.validator(version, row.form) if row.form else {"type": "object", "properties": {}}
    clean = validate_submission(schema, data)
    instance = engine.load_instance(version, instance_row.state)
    instance.human_task(task_id)  # raises Conflict if the workflow no longer has it ready
    now = engine.now()
    row.status, row.completed_at, row.completed_by, row.data = "completed", now, user, data
    record(session, now, user, "complete", instance_id=row.instance_id, task_id=row.id, element=row.spec_id,
           data=data)
    with lost_races_as_conflicts():
        run_and_persist(engine, session, instance_row, instance, user,
                        action=lambda: instance.complete(task_id, clean))
    return row


def _instance_of(session: Session, row: TaskRow) -> InstanceRow:
    instance_row = session.get(InstanceRow, row.instance_id)
    if instance_row is None:
        raise NotFound(f"instance {row.instance_id} does not exist")
    return instance_row
