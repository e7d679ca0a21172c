"""Clerks' work on tasks: open, claim, unclaim, assign and complete, each call checked against the actor."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.conventions import REVISES
from engine.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from engine.forms import declared_properties, validate_submission
from engine.spiff.runtime import Engine
from engine.store.audit import record
from engine.store.db import lost_races_as_conflicts
from engine.store.models import IdempotentResponse, InstanceRow, TaskRow, UserRow
from engine.usecases.access import Actor, check_instance, check_task, is_applicant_group, visible_tasks
from engine.usecases.describe import from_json, json_default, to_json
from engine.usecases.notifications import announce_assigned
from engine.usecases.snapshots import InstanceInfo, TaskInfo, UserInfo
from engine.usecases.state import get_instance, load, run_and_persist

__all__ = [
    "Completion", "EarlierStep", "TaskView", "assign", "claim", "complete", "group_members", "instance_tasks",
    "task_view", "unclaim",
]

_KEY_LIMIT = 128
# The idempotency table keeps a status column from when it stored HTTP answers; it holds this and is never read.
_UNUSED_STATUS = 0


@dataclass(frozen=True)
class EarlierStep:
    """A completed task of the same instance, its fields titled as its form titles them."""

    task: TaskInfo
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TaskView:
    """Everything a task page shows: the task, its form, prefilled data and earlier steps."""

    task: TaskInfo
    instance: InstanceInfo
    schema: dict[str, Any]
    ui_schema: dict[str, Any]
    form_data: dict[str, Any]
    earlier: tuple[EarlierStep, ...]


@dataclass(frozen=True)
class Completion:
    """The completed task and its instance after running on; `replayed` when an idempotency key matched."""

    task: TaskInfo
    instance: InstanceInfo
    replayed: bool = False


def task_view(engine: Engine, session: Session, actor: Actor, task_id: str) -> TaskView:
    """Return a visible task with its form, the data it already holds and the steps before it."""
    row = check_task(actor, _get_task(session, task_id))
    instance_row = get_instance(session, row.instance_id)
    schema, ui_schema = _task_form(engine, instance_row, row)
    earlier = list(session.scalars(select(TaskRow).where(
        TaskRow.instance_id == row.instance_id, TaskRow.status == "completed").order_by(TaskRow.completed_at)))
    form_data: dict[str, Any] = {}
    if row.status == "ready" and row.data:
        form_data = dict(row.data)  # a withdrawn completion comes back as it was submitted
    elif row.status == "ready":
        _, instance = load(engine, session, row.instance_id)
        prefilled = _prefilled(schema, instance.human_task(task_id).data, earlier, row.spec_id)
        form_data = json.loads(json.dumps(prefilled, default=_form_value))
    else:
        form_data = dict(row.data or {})
    steps = tuple(EarlierStep(TaskInfo.of(done), _titled(engine, instance_row, done)) for done in earlier)
    return TaskView(TaskInfo.of(row), InstanceInfo.of(instance_row), schema, ui_schema, form_data, steps)


def instance_tasks(session: Session, actor: Actor, instance_id: str, status: str = "ready") -> list[TaskInfo]:
    """Return the tasks of a visible instance in one status that the actor may see, oldest first."""
    check_instance(session, actor, get_instance(session, instance_id))
    return [TaskInfo.of(row) for row in session.scalars(select(TaskRow).where(
        TaskRow.instance_id == instance_id, TaskRow.status == status, visible_tasks(actor))
        .order_by(TaskRow.created_at, TaskRow.id))]


def claim(engine: Engine, session: Session, actor: Actor, task_id: str) -> TaskInfo:
    """Make the actor the assignee of a visible, unclaimed ready task; of racing claims exactly one wins."""
    row = _open_task(session, actor, task_id)
    if row.assignee and row.assignee != actor.username:
        raise Conflict(f"task {task_id} is already claimed by {row.assignee}")
    now = engine.now()
    _set_assignee(session, row, actor.username, now, seen=(None, actor.username))
    record(session, now, actor.username, "claim", instance_id=row.instance_id, task_id=row.id, element=row.spec_id,
           on_behalf_of=actor.standing_in_for(row))
    return TaskInfo.of(row)


def unclaim(engine: Engine, session: Session, actor: Actor, task_id: str) -> TaskInfo:
    """Give a task the actor claimed back to its group."""
    row = _open_task(session, actor, task_id)
    if row.assignee != actor.username:
        raise Conflict(f"task {task_id} is not claimed by {actor.username}")
    _set_assignee(session, row, None, None, seen=(actor.username,))
    record(session, engine.now(), actor.username, "unclaim", instance_id=row.instance_id, task_id=row.id,
           element=row.spec_id)
    return TaskInfo.of(row)


def assign(engine: Engine, session: Session, actor: Actor, task_id: str, assignee: str | None) -> TaskInfo:
    """Hand a ready task to someone, or back to its group (`assignee` None).

    A group's leaders hand its tasks to the group's members (for an applicant group, members of the
    task's unit); administrators to anyone.
    """
    row = _open_task(session, actor, task_id)
    if not actor.is_admin:
        if row.candidate_group is None or row.candidate_group not in actor.leads:
            raise PermissionDenied(f"assigning task {task_id} needs a leader of its group; "
                                   f"{actor.username} leads {', '.join(sorted(actor.leads)) or 'none'}")
        if assignee is not None and not _is_member(session, row, assignee):
            raise InvalidInput(f"{assignee} is not a member of {row.candidate_group}",
                               [FieldError("assignee", "只能分派给本组成员")])
    now = engine.now()
    previous = row.assignee
    _set_assignee(session, row, assignee, now if assignee else None, seen=(previous,))
    record(session, now, actor.username, "assign", instance_id=row.instance_id, task_id=row.id, element=row.spec_id,
           data={"assignee": assignee, "previous": previous})
    if assignee and assignee != actor.username:
        announce_assigned(engine, session, row, assignee, now)
    return TaskInfo.of(row)


def group_members(session: Session, actor: Actor, task_id: str) -> list[UserInfo]:
    """Return the active clerks a leader may hand a visible task to: its group's members, by name."""
    row = check_task(actor, _get_task(session, task_id))
    users = session.scalars(select(UserRow).where(UserRow.active.is_(True)).order_by(UserRow.username))
    return [UserInfo.of(user) for user in users if _member_row(user, row)]


def _is_member(session: Session, row: TaskRow, username: str) -> bool:
    user = session.scalar(select(UserRow).where(UserRow.username == username, UserRow.active.is_(True)))
    return user is not None and _member_row(user, row)


def _member_row(user: UserRow, row: TaskRow) -> bool:
    # A member is a clerk the task's group shows it to anyway: same group, and same unit for an applicant group.
    if user.role != "clerk" or row.candidate_group not in (user.groups or []):
        return False
    return not is_applicant_group(row.candidate_group) or (user.unit is not None and user.unit == row.unit)


def _set_assignee(session: Session, row: TaskRow, assignee: str | None, at: datetime | None,
                  seen: tuple[str | None, ...]) -> None:
    # One conditional UPDATE: it changes the row only if it is still ready and held by whom we saw, so of
    # several requests racing on one task exactly one changes it and the others are told (409).
    held = [TaskRow.assignee.is_(None) if who is None else TaskRow.assignee == who for who in seen]
    changed = cast(CursorResult[Any], session.execute(
        update(TaskRow).where(TaskRow.id == row.id, TaskRow.status == "ready", or_(*held))
        .values(assignee=assignee, claimed_by=assignee, claimed_at=at)
        .execution_options(synchronize_session=False))).rowcount
    if changed != 1:
        session.expire(row)
        raise Conflict(f"task {row.id} changed while this request ran; it is now "
                       f"{row.status}{f', claimed by {row.assignee}' if row.assignee else ''}")
    for name, value in (("assignee", assignee), ("claimed_by", assignee), ("claimed_at", at)):
        set_committed_value(row, name, value)  # what the UPDATE wrote; nothing left to flush


def complete(engine: Engine, session: Session, actor: Actor, task_id: str, data: Any, *,
             idempotency_key: str | None = None) -> Completion:
    """Validate `data` against a visible task's form and complete it; invalid data changes nothing.

    A repeated idempotency key returns the first completion again, marked `replayed`.
    """
    row = check_task(actor, _get_task(session, task_id))
    fingerprint = _fingerprint(task_id, data)
    if idempotency_key is not None:
        if not idempotency_key.strip() or len(idempotency_key) > _KEY_LIMIT:
            raise InvalidInput("bad idempotency key",
                               [FieldError("Idempotency-Key", f"应为 1 到 {_KEY_LIMIT} 个字符")])
        stored = session.get(IdempotentResponse, (actor.username, idempotency_key))
        if stored is not None:
            if stored.request_hash != fingerprint:
                raise Conflict(f"idempotency key {idempotency_key} was used for a different request")
            return replace(from_json(Completion, stored.body), replayed=True)
    done = _complete_task(engine, session, row, data, actor.username, actor.standing_in_for(row))
    if idempotency_key is not None:
        session.add(IdempotentResponse(username=actor.username, key=idempotency_key, request_hash=fingerprint,
                                       status=_UNUSED_STATUS, body=to_json(done), created_at=engine.now()))
        session.flush()  # two concurrent first uses: the loser's insert fails here, inside its unit of work
    return done


def _get_task(session: Session, task_id: str) -> TaskRow:
    row = session.get(TaskRow, task_id)
    if row is None:
        raise NotFound(f"task {task_id} does not exist")
    return row


def _open_task(session: Session, actor: Actor, task_id: str) -> TaskRow:
    row = check_task(actor, _get_task(session, task_id))
    if row.status != "ready":
        raise Conflict(f"task {task_id} is already {row.status}")
    return row


def _complete_task(engine: Engine, session: Session, row: TaskRow, data: Any, user: str,
                   on_behalf_of: str | None = None) -> Completion:
    if row.status != "ready":
        raise Conflict(f"task {row.id} is already {row.status}")
    # A delegate works the delegator's claimed tasks as the delegator would.
    if row.assignee and row.assignee not in (user, on_behalf_of):
        raise Conflict(f"task {row.id} is claimed by {row.assignee}")
    instance_row = get_instance(session, row.instance_id, for_update=True)  # instance before task: no deadlock
    version = instance_row.process_version
    # Deployment guarantees every user task a form; a task without one accepts no fields.
    schema = engine.validator(version, row.form) if row.form else {"type": "object", "properties": {}}
    clean = validate_submission(schema, data)
    instance = engine.load_instance(instance_row)
    instance.human_task(row.id)  # raises Conflict if the workflow no longer has it ready
    now = engine.now()
    if not row.assignee:
        # Completing a group task claims it implicitly: claiming beforehand only tells the group who works on it.
        row.assignee, row.claimed_by, row.claimed_at = user, user, now
    row.status, row.completed_at, row.completed_by, row.data = "completed", now, user, data
    record(session, now, user, "complete", instance_id=row.instance_id, task_id=row.id, element=row.spec_id,
           data=data, on_behalf_of=on_behalf_of)
    with lost_races_as_conflicts():
        run_and_persist(engine, session, instance_row, instance, user,
                        action=lambda: instance.complete(row.id, clean))
    return Completion(TaskInfo.of(row), InstanceInfo.of(instance_row))


def _task_form(engine: Engine, instance_row: InstanceRow, row: TaskRow) -> tuple[dict[str, Any], dict[str, Any]]:
    version = row.process_version or instance_row.process_version
    schema = engine.form(version, row.form) if row.form else {"type": "object", "properties": {}}
    ui_schema = engine.form(version, row.ui_form) if row.ui_form else {}
    return schema, ui_schema


def _prefilled(schema: dict[str, Any], current: dict[str, Any], earlier: list[TaskRow],
               spec_id: str) -> dict[str, Any]:
    # A returned step gets back what it submitted before, and a field that revises an earlier step's value
    # starts from that value. Another step's answer is never put in this step's mouth (a shared approval form
    # would otherwise show the previous agency's verdict), and a confirmation is always ticked afresh.
    fields = declared_properties(schema)
    submitted_here = {key for done in earlier if done.spec_id == spec_id for key in (done.data or {})}
    wanted = {name for name, spec in fields.items()
              if isinstance(spec, dict) and "const" not in spec and (name in submitted_here or spec.get(REVISES))}
    return {key: value for key, value in current.items() if key in wanted}


def _titled(engine: Engine, instance_row: InstanceRow, row: TaskRow) -> tuple[tuple[str, str], ...]:
    # A passed step is shown with the forms of the version that ran it, even after the instance moved on.
    version = row.process_version or instance_row.process_version
    properties = declared_properties(engine.form(version, row.form)) if row.form else {}
    ui = engine.form(version, row.ui_form) if row.ui_form else {}
    shown = []
    for key, value in (row.data or {}).items():
        spec = properties.get(key, {})
        text = "是" if value is True else "否" if value is False else "" if value is None else str(value)
        names = (ui.get(key) or {}).get("ui:enumNames")
        if names and value in spec.get("enum", []):
            text = str(names[spec["enum"].index(value)])
        shown.append((str(spec.get("title") or key), text))
    return tuple(shown)


def _form_value(value: Any) -> Any:
    # Forms hold JSON numbers: a Decimal goes back as the number the clerk typed.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return json_default(value)


def _fingerprint(task_id: str, data: Any) -> str:
    text = json.dumps({"task": task_id, "data": data}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
