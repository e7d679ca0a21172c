"""Withdrawing (撤回) a completion: the clerk takes back their last step while nobody has touched what followed.

The instance is rewound to the completed task, which is ready again for the same clerk with what they
submitted; the tasks that followed disappear from their agencies' inboxes. Anything that has happened
since (another completion, a claim, saved data, a deadline that ran out) refuses the withdrawal, with
the reason.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, and_, exists, func, select, update
from sqlalchemy.orm import Session

from engine.errors import Conflict, NotFound, PermissionDenied
from engine.spiff.runtime import Engine
from engine.store.audit import record
from engine.store.db import lost_races_as_conflicts
from engine.store.models import AuditEvent, TaskRow
from engine.usecases.access import Actor, check_instance, check_task
from engine.usecases.snapshots import TaskInfo
from engine.usecases.state import RUNNING, WAITING, get_instance, load, run_and_persist

__all__ = ["REASONS", "NotYourCompletion", "WithdrawRefused", "withdraw", "withdrawable"]

# Why a withdrawal is refused, as the clerk reads it.
REASONS: dict[str, str] = {
    "not_completed": "该任务尚未办结，无需撤回",
    "instance_closed": "项目已办结、已终止或处于异常状态，不能撤回",
    "later_completion": "之后已有环节办理完毕，不能撤回",
    "deadline_passed": "之后已有期限届满并触发了后续处理，不能撤回",
    "next_claimed": "下一环节已被认领，不能撤回",
    "next_saved": "下一环节已保存了办理信息，不能撤回",
    "not_yours": "只能撤回本人办理的任务",
}


class WithdrawRefused(Conflict):
    """A withdrawal the instance's state does not allow; `reason` is a key of REASONS."""

    def __init__(self, reason: str) -> None:
        super().__init__(REASONS[reason])
        self.reason = reason

    def to_dict(self) -> dict[str, object]:
        """Describe the refusal as the conflict it is, with its reason key."""
        return {**super().to_dict(), "error": Conflict.__name__, "reason": self.reason}


class NotYourCompletion(PermissionDenied):
    """Someone other than the clerk who completed a task tried to withdraw it."""

    reason = "not_yours"

    def __init__(self) -> None:
        super().__init__(REASONS[self.reason])

    def to_dict(self) -> dict[str, object]:
        """Describe the refusal as the permission error it is, with its reason key."""
        return {**super().to_dict(), "error": PermissionDenied.__name__, "reason": self.reason}


def withdraw(engine: Engine, session: Session, actor: Actor, task_id: str) -> TaskInfo:
    """Take back the actor's last completion in its instance: the task is ready again, claimed by the actor."""
    row = session.get(TaskRow, task_id)
    if row is None:
        raise NotFound(f"task {task_id} does not exist")
    check_task(actor, row)
    if row.status != "completed":
        raise WithdrawRefused("not_completed")
    if row.completed_by != actor.username:
        raise NotYourCompletion()
    instance_row = get_instance(session, row.instance_id, for_update=True)  # instance before tasks: no deadlock
    if instance_row.status not in (RUNNING, WAITING):
        raise WithdrawRefused("instance_closed")
    if _completed_since(session, row):
        raise WithdrawRefused("later_completion")
    _, instance = load(engine, session, row.instance_id)
    scope = instance.rewind_scope(task_id)
    if scope.finished:
        finished_tasks = session.scalar(select(exists().where(
            TaskRow.instance_id == row.instance_id, TaskRow.spec_id.in_(scope.finished),
            TaskRow.status == "completed")))
        raise WithdrawRefused("later_completion" if finished_tasks else "deadline_passed")
    following = list(session.scalars(select(TaskRow).where(TaskRow.id.in_(scope.open_tasks))))
    if any(task.assignee for task in following):
        raise WithdrawRefused("next_claimed")
    if any(task.data for task in following):
        raise WithdrawRefused("next_saved")
    now = engine.now()
    # One conditional UPDATE takes the following tasks out of the inboxes: a claim racing this request either
    # lands first (nothing matches it any more, the withdrawal is refused) or finds the task gone (409).
    taken = cast(CursorResult[Any], session.execute(
        update(TaskRow).where(TaskRow.id.in_([task.id for task in following]), TaskRow.status == "ready",
                              TaskRow.assignee.is_(None))
        .values(status="cancelled", completed_at=now).execution_options(synchronize_session=False))).rowcount
    if taken != len(following):
        raise WithdrawRefused("next_claimed")
    for task in following:
        session.expire(task)
    record(session, now, actor.username, "withdraw", instance_id=row.instance_id, task_id=row.id,
           element=row.spec_id, data={"withdrawn": sorted(task.spec_id for task in following)})
    # The step is the clerk's again, with what they submitted to start from.
    row.status, row.completed_at, row.completed_by = "ready", None, None
    row.assignee, row.claimed_by, row.claimed_at = actor.username, actor.username, now
    with lost_races_as_conflicts():
        run_and_persist(engine, session, instance_row, instance, actor.username,
                        action=lambda: instance.rewind_to(task_id))
    return TaskInfo.of(row)


def withdrawable(session: Session, actor: Actor, instance_id: str) -> TaskInfo | None:
    """Return the actor's completion a withdrawal would take back in this instance, judged from the index.

    The withdrawal itself checks the workflow as well; this is what the instance page offers.
    """
    instance_row = check_instance(session, actor, get_instance(session, instance_id))
    if instance_row.status not in (RUNNING, WAITING):
        return None
    last = session.scalar(select(AuditEvent.task_id).where(
        AuditEvent.instance_id == instance_id, AuditEvent.action == "complete",
        exists().where(TaskRow.id == AuditEvent.task_id, TaskRow.status == "completed"))
        .order_by(AuditEvent.id.desc()).limit(1))
    row = session.get(TaskRow, last) if last else None
    if row is None or row.completed_by != actor.username:
        return None
    following = session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id, TaskRow.status == "ready"))
    return None if any(task.assignee or task.data for task in following) else TaskInfo.of(row)


def _completed_since(session: Session, row: TaskRow) -> bool:
    # Audit ids order completions even when two share a timestamp; a withdrawn one no longer counts.
    mine = session.scalar(select(func.max(AuditEvent.id)).where(
        AuditEvent.task_id == row.id, AuditEvent.action == "complete"))
    if mine is None:
        return False
    return bool(session.scalar(select(exists().where(
        AuditEvent.instance_id == row.instance_id, AuditEvent.action == "complete", AuditEvent.id > mine,
        exists().where(and_(TaskRow.id == AuditEvent.task_id, TaskRow.status == "completed"))))))

