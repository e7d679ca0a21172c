"""Clerks' work on tasks: open, claim, unclaim and complete, each call checked against the actor.

The `*_task` functions below the actor-checked ones act on the task index by id; every entry point goes through
the actor-checked ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from engine.forms import validate_submission
from engine.spiff.runtime import Engine
from engine.store.audit import record
from engine.store.db import lost_races_as_conflicts
from engine.store.models import IdempotentResponse, InstanceRow, TaskRow
from engine.usecases.access import Actor, check_task, visible_tasks
from engine.usecases.describe import describe_instance, describe_task, json_default
from engine.usecases.state import get_instance, load, run_and_persist

__all__ = [
    "Completion", "EarlierStep", "TaskView", "assign_task", "claim", "claim_task", "complete", "complete_task",
    "get_task", "open_tasks", "task_form", "task_view", "unclaim", "unclaim_task",
]

_KEY_LIMIT = 128


@dataclass(frozen=True)
class EarlierStep:
    """A completed task of the same instance, its fields titled as its form titles them."""

    row: TaskRow
    fields: list[tuple[str, str]]


@dataclass(frozen=True)
class TaskView:
    """Everything a task page shows: the task, its form, prefilled data and earlier steps."""

    row: TaskRow
    instance: InstanceRow
    schema: dict[str, Any]
    ui_schema: dict[str, Any]
    form_data: dict[str, Any]
    earlier: list[EarlierStep]


@dataclass(frozen=True)
class Completion:
    """The answer to a completion; `replayed` when an idempotency key matched an earlier one."""

    body: dict[str, Any]
    replayed: bool


def task_view(engine: Engine, session: Session, actor: Actor, task_id: str) -> TaskView:
    """Return a visible task with its form, the data it already holds and the steps before it."""
    row = check_task(actor, get_task(session, task_id))
    instance_row = get_instance(session, row.instance_id)
    schema, ui_schema = task_form(engine, session, task_id)
    form_data: dict[str, Any] = {}
    if row.status == "ready":
        _, instance = load(engine, session, row.instance_id)
        current = instance.human_task(task_id).data
        # Prefill what the process already knows for this form, e.g. a returned application.
        known = {k: v for k, v in current.items() if k in schema.get("properties", {})}
        form_data = json.loads(json.dumps(known, default=_form_value))
    else:
        form_data = dict(row.data or {})
    earlier = list(session.scalars(select(TaskRow).where(
        TaskRow.instance_id == row.instance_id, TaskRow.status == "completed").order_by(TaskRow.completed_at)))
    steps = [EarlierStep(done, _titled(engine, instance_row, done)) for done in earlier]
    return TaskView(row, instance_row, schema, ui_schema, form_data, steps)


def open_tasks(session: Session, actor: Actor, instance_id: str) -> list[TaskRow]:
    """Return the ready tasks of an instance that the actor may see, oldest first."""
    return list(session.scalars(select(TaskRow).where(
        TaskRow.instance_id == instance_id, TaskRow.status == "ready", visible_tasks(actor))
        .order_by(TaskRow.created_at, TaskRow.id)))


def claim(engine: Engine, session: Session, actor: Actor, task_id: str) -> TaskRow:
    """Claim a visible task for the actor."""
    check_task(actor, get_task(session, task_id))
    return claim_task(engine, session, task_id, user=actor.username)


def unclaim(engine: Engine, session: Session, actor: Actor, task_id: str) -> TaskRow:
    """Give a task the actor claimed back to its group."""
    check_task(actor, get_task(session, task_id))
    return unclaim_task(engine, session, task_id, user=actor.username)


def complete(engine: Engine, session: Session, actor: Actor, task_id: str, data: Any, *,
             idempotency_key: str | None = None) -> Completion:
    """Complete a visible task; a repeated idempotency key returns the first answer instead."""
    row = check_task(actor, get_task(session, task_id))
    fingerprint = _fingerprint(task_id, data)
    if idempotency_key is not None:
        if not idempotency_key.strip() or len(idempotency_key) > _KEY_LIMIT:
            raise InvalidInput("bad idempotency key",
                               [FieldError("Idempotency-Key", f"应为 1 到 {_KEY_LIMIT} 个字符")])
        stored = session.get(IdempotentResponse, (actor.username, idempotency_key))
        if stored is not None:
            if stored.request_hash != fingerprint:
                raise Conflict(f"idempotency key {idempotency_key} was used for a different request")
            return Completion(stored.body, replayed=True)
    complete_task(engine, session, task_id, data, user=actor.username)
    instance_row = get_instance(session, row.instance_id)
    body = json.loads(json.dumps({"task": describe_task(row), "instance": describe_instance(instance_row)},
                                 default=json_default))
    if idempotency_key is not None:
        session.add(IdempotentResponse(username=actor.username, key=idempotency_key, request_hash=fingerprint,
                                       status=200, body=body, created_at=engine.now()))
        session.flush()  # two concurrent first uses: the loser's insert fails here, inside its unit of work
    return Completion(body, replayed=False)



def get_task(session: Session, task_id: str) -> TaskRow:
    """Return a task index row or raise NotFound."""
    row = session.get(TaskRow, task_id)
    if row is None:
        raise NotFound(f"task {task_id} does not exist")
    return row


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
    instance = engine.load_instance(instance_row)
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


def _titled(engine: Engine, instance_row: InstanceRow, row: TaskRow) -> list[tuple[str, str]]:
    version = instance_row.process_version
    properties = engine.form(version, row.form).get("properties", {}) if row.form else {}
    ui = engine.form(version, row.ui_form) if row.ui_form else {}
    shown = []
    for key, value in (row.data or {}).items():
        spec = properties.get(key, {})
        text = "是" if value is True else "否" if value is False else "" if value is None else str(value)
        names = (ui.get(key) or {}).get("ui:enumNames")
        if names and value in spec.get("enum", []):
            text = str(names[spec["enum"].index(value)])
        shown.append((str(spec.get("title") or key), text))
    return shown


def _form_value(value: Any) -> Any:
    # Forms hold JSON numbers: a Decimal goes back as the number the clerk typed.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return json_default(value)


def _fingerprint(task_id: str, data: Any) -> str:
    text = json.dumps({"task": task_id, "data": data}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
