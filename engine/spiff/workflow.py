"""Instance: a BpmnWorkflow behind a small API, so no Spiff object leaves the engine."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.conventions import PROPERTIES
from engine.errors import Conflict, NotFound, ProcessError
from engine.spiff.internals import last_task, timer_clock, timer_deadline
from engine.spiff.rewinding import RewindScope, reset_to, restore_deadlines, scope_of
from engine.spiff.run_context import RunContext

__all__ = ["HumanTask", "Instance", "ReachedElement", "RewindScope"]

_REACHED = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass(frozen=True)
class HumanTask:
    """A ready user task as the rest of the system sees it."""

    id: str
    process_id: str
    spec_id: str
    name: str
    lane: str | None
    properties: dict[str, str]
    documentation: str | None
    data: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class ReachedElement:
    """An element an instance ran, runs, waits at or failed at, and the element it came from."""

    process_id: str
    element_id: str
    source: str | None  # the nearest earlier element on the path that led here, among those asked about


class Instance:
    """Run and inspect one workflow in its run context (clock and decision log); the owner persists it."""

    def __init__(self, workflow: BpmnWorkflow, run: RunContext,
                 observers: list[Callable[[Any], None]] | None = None) -> None:
        self._workflow = workflow
        self._run = run
        self._observers = observers or []

    @property
    def workflow(self) -> BpmnWorkflow:
        """Return the wrapped workflow (engine-internal use only)."""
        return self._workflow

    @property
    def run(self) -> RunContext:
        """Return the run context: the clock this instance's timers read and the log of its decisions."""
        return self._run

    @contextmanager
    def spiff_call(self) -> Iterator[None]:
        """Let SpiffWorkflow's timers read this instance's clock while the block calls into the workflow."""
        with timer_clock(self._run.clock):
            yield

    def evaluate(self, expression: str, data: dict[str, Any]) -> Any:
        """Evaluate a Python expression (a due date, say) in this instance's restricted environment."""
        return self._workflow.script_engine.environment.evaluate(expression, dict(data))

    @property
    def completed(self) -> bool:
        """Tell whether the process reached its end."""
        return bool(self._workflow.completed)

    @property
    def data(self) -> dict[str, Any]:
        """Return the process data: the final data when completed, else the latest task's."""
        if self._workflow.completed:
            return dict(self._workflow.data)
        last = last_task(self._workflow)
        return dict(last.data) if last is not None else {}

    def seed(self, data: dict[str, Any]) -> None:
        """Give an unstarted instance its initial data."""
        for task in self._workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)

    def ready_human_tasks(self) -> list[HumanTask]:
        """Return every user or manual task waiting for a person."""
        return [_human(t) for t in self._workflow.get_tasks(state=TaskState.READY, manual=True)]

    def human_task(self, task_id: str) -> HumanTask:
        """Return one ready human task by id."""
        return _human(self._ready_manual(task_id))

    def run_until_user_input_required(self) -> None:
        """Run gateways, scripts, decisions and due timers until people or time must act."""
        try:
            with self.spiff_call():
                self._workflow.refresh_timers()
                self._workflow.do_engine_steps()
        except SpiffWorkflowException as exc:
            raise _process_error(exc) from exc
        except Exception as exc:
            # SpiffWorkflow raises plain exceptions too (a timer expression that is no ISO
            # duration, say); whatever the model made fail, the instance is what is in error.
            elements = self.failed_elements() or self._unset_timers()
            raise ProcessError(f"{type(exc).__name__}: {exc}", element_id=elements[0] if elements else None) from exc
        finally:
            self._notify()

    def complete(self, task_id: str, data: dict[str, Any]) -> None:
        """Complete a ready human task with validated data, then run on."""
        task = self._ready_manual(task_id)
        task.set_data(**data)
        try:
            with self.spiff_call():
                task.run()
        except SpiffWorkflowException as exc:
            raise _process_error(exc) from exc
        self.run_until_user_input_required()

    def rewind_scope(self, task_id: str) -> RewindScope:
        """Return what rewinding to a completed human task would undo, without changing anything."""
        return scope_of(self._workflow, task_id)

    def rewind_to(self, task_id: str) -> None:
        """Make a completed human task ready again, undoing what followed it; timer deadlines do not move."""
        try:
            with self.spiff_call():
                deadlines = reset_to(self._workflow, task_id)
        except SpiffWorkflowException as exc:
            raise _process_error(exc) from exc
        self.run_until_user_input_required()
        restore_deadlines(self._workflow, deadlines)

    def cancel(self) -> None:
        """Cancel every unfinished task."""
        with self.spiff_call():
            self._workflow.cancel()

    def failed_elements(self) -> list[str]:
        """Return the ids of elements whose task is in error."""
        return [t.task_spec.bpmn_id or t.task_spec.name for t in self._workflow.get_tasks(state=TaskState.ERROR)]

    def retry(self, data: dict[str, Any] | None = None) -> None:
        """Reset every failed task to ready, merge corrected data into it, and run on."""
        for task in self._workflow.get_tasks(state=TaskState.ERROR):
            # Re-run from the data the element received, so half-done script output is discarded;
            # corrections go in after the reset, which inherits the parent's data again.
            with self.spiff_call():
                task.reset_branch(None)
            if data:
                task.set_data(**data)
        self.run_until_user_input_required()

    def next_timer_due(self) -> datetime | None:
        """Return when the earliest waiting timer fires, or None."""
        due = [when for _, when in self.waiting_timers()]
        return min(due) if due else None

    def waiting_timers(self) -> list[tuple[str, datetime]]:
        """Return (element id, due time) of every waiting timer whose deadline is fixed."""
        timers = []
        for task in self._workflow.get_tasks(state=TaskState.WAITING):
            event = getattr(task.task_spec, "event_definition", None)
            if not isinstance(event, TimerEventDefinition):
                continue
            value = timer_deadline(task)
            if isinstance(value, dict):  # cycle timers keep their next firing in a dict
                value = value.get("next")
            if isinstance(value, str):
                timers.append((task.task_spec.bpmn_id, TimerEventDefinition.get_datetime(value)))
        return timers

    def _unset_timers(self) -> list[str]:
        # A timer whose expression failed never got its deadline.
        return [task.task_spec.bpmn_id for task in self._workflow.get_tasks(state=TaskState.WAITING)
                if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
                and timer_deadline(task) is None]

    def active_elements(self) -> list[str]:
        """Return the ids of elements the instance stands at: ready tasks, waiting events, failures."""
        active = [t.spec_id for t in self.ready_human_tasks()]
        for task in self._all_tasks():
            spec = task.task_spec
            # Boundary events wait beside their activity, which already counts; joins are not a position.
            if task.state == TaskState.WAITING and isinstance(spec, CatchingEvent) \
                    and not isinstance(spec, BoundaryEvent):
                active.append(spec.bpmn_id)
        return active + self.failed_elements()

    def executed_elements(self) -> list[str]:
        """Return the ids of completed BPMN elements, in completion order."""
        done = [t for t in self._all_tasks() if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id]
        done.sort(key=lambda t: t.last_state_change)
        return [t.task_spec.bpmn_id for t in done]

    def reached_elements(self, known: Mapping[str, Container[str]]) -> list[ReachedElement]:
        """Return the reached elements among `known` (element ids by process id), each with where it came from."""
        reached = []
        for workflow in (self._workflow, *self._workflow.subprocesses.values()):
            elements = known.get(workflow.spec.name)
            if elements is None:
                continue
            for task in workflow.get_tasks(state=_REACHED):
                element = task.task_spec.bpmn_id
                if element in elements:
                    reached.append(ReachedElement(workflow.spec.name, element, _known_ancestor(task, elements)))
        return reached

    def _all_tasks(self) -> Iterator[Any]:
        yield from self._workflow.tasks.values()
        for sub in self._workflow.subprocesses.values():
            yield from sub.tasks.values()

    def _ready_manual(self, task_id: str) -> Any:
        try:
            task = self._workflow.get_task_from_id(UUID(task_id))
        except (ValueError, SpiffWorkflowException):
            raise NotFound(f"task {task_id} does not exist in this instance") from None
        if task is None:
            raise NotFound(f"task {task_id} does not exist in this instance")
        if not task.task_spec.manual:
            raise NotFound(f"task {task_id} is not a human task")
        if task.state != TaskState.READY:
            raise Conflict(f"task {task_id} is {TaskState.get_name(task.state).lower()}, not ready")
        return task

    def _notify(self) -> None:
        for observer in self._observers:
            observer(self)


def _human(task: Any) -> HumanTask:
    spec = task.task_spec
    properties = dict((getattr(spec, "extensions", None) or {}).get(PROPERTIES, {}))
    return HumanTask(str(task.id), task.workflow.spec.name, spec.bpmn_id, spec.bpmn_name or spec.bpmn_id,
                     spec.lane, properties,
                     getattr(spec, "documentation", None), dict(task.data))


def _known_ancestor(task: Any, elements: Container[str]) -> str | None:
    parent = task.parent
    while parent is not None:
        element = parent.task_spec.bpmn_id
        if element in elements:
            return str(element)
        parent = parent.parent
    return None


def _process_error(exc: SpiffWorkflowException) -> ProcessError:
    task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None) or getattr(exc, "task_spec", None)
    element = getattr(spec, "bpmn_id", None) if spec is not None else None
    name = getattr(spec, "bpmn_name", None) if spec is not None else None
    where = f"{name} ({element})" if name else str(element)
    line = getattr(exc, "line_number", None)
    return ProcessError(f"{where}: {exc}", element_id=element, line=line if isinstance(line, int) else None)
