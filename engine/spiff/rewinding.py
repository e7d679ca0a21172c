"""Rewinding an instance to a completed human task (a withdrawal): what it would undo, and doing it.

SpiffWorkflow's reset drops everything that followed the task and makes it ready again. Timers re-created
on the way would start their clocks afresh; the deadlines they had are put back, as a statutory deadline
does not move because a clerk took a step back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.errors import Conflict, NotFound
from engine.spiff.internals import set_timer_deadline, timer_deadline

__all__ = ["RewindScope", "reset_to", "restore_deadlines", "scope_of"]


@dataclass(frozen=True)
class RewindScope:
    """What rewinding to a completed task would undo: the ready human tasks it drops and what already ran.

    `finished` names completed human tasks and fired timers among the dropped: work or time that has passed.
    """

    open_tasks: tuple[str, ...]
    finished: tuple[str, ...]


def scope_of(workflow: Any, task_id: str) -> RewindScope:
    """Return what rewinding `workflow` to a completed human task would undo, without changing anything."""
    task = _completed_manual(workflow, task_id)
    # A task with boundary events is reset together with them: their branches are undone too.
    top = task.parent if isinstance(task.parent.task_spec, BoundaryEventSplit) else task
    dropped = [t for t in top if t is not top and t is not task]
    if task.workflow is not workflow:
        # Inside a called process, the call activity's later path in the caller is undone too.
        caller = workflow.get_task_from_id(task.workflow.parent_task_id)
        dropped += [t for t in caller if t is not caller and t.workflow is workflow]
    # A dropped call activity takes its called process's tasks with it.
    subprocesses = workflow.subprocesses
    pending = [t for t in dropped if t.id in subprocesses]
    while pending:
        inner = list(subprocesses[pending.pop().id].tasks.values())
        dropped += inner
        pending += [t for t in inner if t.id in subprocesses]
    open_tasks = tuple(str(t.id) for t in dropped if t.task_spec.manual and t.state == TaskState.READY)
    done = tuple(str(t.task_spec.bpmn_id) for t in dropped
                 if t.state == TaskState.COMPLETED and (t.task_spec.manual or _is_timer(t)))
    return RewindScope(open_tasks, done)


def reset_to(workflow: Any, task_id: str) -> dict[str, list[Any]]:
    """Reset `workflow` to a completed human task; return the timer deadlines it had, by timer, to restore."""
    task = _completed_manual(workflow, task_id)
    deadlines: dict[str, list[Any]] = {}
    for other in _all_tasks(workflow):
        if _is_timer(other) and timer_deadline(other) is not None:
            deadlines.setdefault(other.task_spec.name, []).append(timer_deadline(other))
    removed = workflow.reset_from_task_id(task.id)
    # The reset takes tasks out of the tree but leaves their waiting events registered as waiting.
    for gone in removed:
        workflow.event_manager.remove_task(gone)
    return deadlines


def restore_deadlines(workflow: Any, deadlines: dict[str, list[Any]]) -> None:
    """Give timers re-created by a reset the deadlines they had before it."""
    for waiting in workflow.get_tasks(state=TaskState.WAITING):
        if _is_timer(waiting) and deadlines.get(waiting.task_spec.name):
            set_timer_deadline(waiting, deadlines[waiting.task_spec.name][0])


def _completed_manual(workflow: Any, task_id: str) -> Any:
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, SpiffWorkflowException):
        raise NotFound(f"task {task_id} does not exist in this instance") from None
    if task is None or not task.task_spec.manual:
        raise NotFound(f"task {task_id} is not a human task of this instance")
    if task.state != TaskState.COMPLETED:
        raise Conflict(f"task {task_id} is {TaskState.get_name(task.state).lower()}, not completed")
    return task


def _all_tasks(workflow: Any) -> list[Any]:
    tasks = list(workflow.tasks.values())
    for sub in workflow.subprocesses.values():
        tasks += list(sub.tasks.values())
    return tasks


def _is_timer(task: Any) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
