"""The clerk's desk: start projects, open, claim and complete tasks, each call checked against the actor."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, FieldError, InvalidInput, PermissionDenied
from engine.spiff.runtime import Engine
from engine.store.models import IdempotentResponse, InstanceRow, ProcessVersion, TaskRow
from engine.usecases import instances, tasks
from engine.usecases.access import APPLICANT_ROLE, Actor, check_instance, check_task, visible_tasks
from engine.usecases.deployments import current_versions, get_version, list_versions
from engine.usecases.describe import describe_instance, describe_task, json_default

__all__ = ["Completion", "EarlierStep", "TaskView", "claim", "complete", "open_tasks", "start_project",
           "startable_versions", "task_view", "unclaim", "visible_instance"]

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


def startable_versions(session: Session, actor: Actor) -> list[ProcessVersion]:
    """Return the current version of every process the actor's unit may apply to."""
    chosen = current_versions(session)
    startable = [version for version in list_versions(session)
                 if chosen.get(version.process_id) == version.version and _may_apply(actor, version.bundle)]
    return sorted(startable, key=lambda v: (v.bundle, v.process_id))


def start_project(engine: Engine, session: Session, actor: Actor, process_id: str, *,
                  business_key: str | None = None, data: dict[str, Any] | None = None) -> InstanceRow:
    """Start a project application owned by the actor's unit."""
    version = get_version(session, process_id)
    if not _may_apply(actor, version.bundle):
        raise PermissionDenied(f"{actor.username} is not an applicant clerk of {version.bundle}")
    if not actor.unit:
        raise InvalidInput(f"{actor.username} belongs to no unit", [FieldError("unit", "申请人未归属任何单位")])
    key = (business_key or "").strip() or _new_business_key(engine, version.bundle)
    if len(key) > _KEY_LIMIT:
        raise InvalidInput("business key too long",
                           [FieldError("business_key", f"项目编号不得超过 {_KEY_LIMIT} 个字符")])
    taken = select(InstanceRow.id).where(InstanceRow.process_id == process_id, InstanceRow.business_key == key)
    if session.scalar(taken) is not None:
        raise InvalidInput(f"business key {key} is already used",
                           [FieldError("business_key", f"项目编号「{key}」已被使用")])
    return instances.start_instance(engine, session, process_id, data or {}, actor=actor.username,
                                    business_key=key, unit=actor.unit)


def task_view(engine: Engine, session: Session, actor: Actor, task_id: str) -> TaskView:
    """Return a visible task with its form, the data it already holds and the steps before it."""
    row = check_task(actor, tasks.get_task(session, task_id))
    instance_row = instances.get_instance(session, row.instance_id)
    schema, ui_schema = tasks.task_form(engine, session, task_id)
    form_data: dict[str, Any] = {}
    if row.status == "ready":
        _, instance = instances.load(engine, session, row.instance_id)
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
    check_task(actor, tasks.get_task(session, task_id))
    return tasks.claim_task(engine, session, task_id, user=actor.username)


def unclaim(engine: Engine, session: Session, actor: Actor, task_id: str) -> TaskRow:
    """Give a task the actor claimed back to its group."""
    check_task(actor, tasks.get_task(session, task_id))
    return tasks.unclaim_task(engine, session, task_id, user=actor.username)


def complete(engine: Engine, session: Session, actor: Actor, task_id: str, data: Any, *,
             idempotency_key: str | None = None) -> Completion:
    """Complete a visible task; a repeated idempotency key returns the first answer instead."""
    row = check_task(actor, tasks.get_task(session, task_id))
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
    tasks.complete_task(engine, session, task_id, data, user=actor.username)
    instance_row = instances.get_instance(session, row.instance_id)
    body = json.loads(json.dumps({"task": describe_task(row), "instance": describe_instance(instance_row)},
                                 default=json_default))
    if idempotency_key is not None:
        session.add(IdempotentResponse(username=actor.username, key=idempotency_key, request_hash=fingerprint,
                                       status=200, body=body, created_at=engine.now()))
        session.flush()  # two concurrent first uses: the loser's insert fails here, inside its unit of work
    return Completion(body, replayed=False)


def visible_instance(session: Session, actor: Actor, instance_id: str) -> InstanceRow:
    """Return an instance the actor may see."""
    return check_instance(session, actor, instances.get_instance(session, instance_id))


def _may_apply(actor: Actor, bundle: str) -> bool:
    return actor.is_admin or f"{bundle}:{APPLICANT_ROLE}" in actor.groups


def _new_business_key(engine: Engine, bundle: str) -> str:
    local = engine.now().astimezone(ZoneInfo(engine.settings.timezone))  # the clerk's date, not UTC's
    return f"{bundle.upper()}-{local:%Y%m%d}-{secrets.token_hex(3).upper()}"


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
