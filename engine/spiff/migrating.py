"""Move one instance onto the specs of another version, following SpiffWorkflow's spec and workflow diffs.

`engine.usecases.migration` decides from the changes gathered here whether an instance may move; every
SpiffWorkflow object that takes part in a migration stays in this module.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.spiff.internals import last_task, set_last_task, set_subprocess_specs, set_timer_deadline, timer_deadline
from engine.spiff.workflow import Instance

__all__ = ["ElementChange", "WorkflowChanges", "WorkflowMigration"]

_RAN = TaskState.COMPLETED | TaskState.STARTED
_OPEN = TaskState.READY | TaskState.WAITING


@dataclass(frozen=True)
class ElementChange:
    """An element the instance ran or stands at that the new version removes or changes."""

    label: str  # "name (id)", or the id of an unnamed element
    ran: bool  # it already ran; otherwise the instance stands at it
    removed: bool
    attributes: frozenset[str] = frozenset()  # what changed in a kept element; "definition" when unknown
    name: str = ""  # the element's name in the diagram, or its id when it has none
    # Where a kept element leads, before and after, by name: a changed flow is blamed on the step it now reaches.
    next_before: tuple[str, ...] = ()
    next_after: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkflowChanges:
    """The changes that touch one workflow of the instance: the top process or a process it called."""

    process_id: str
    missing: bool  # the new version no longer has this called process
    changes: tuple[ElementChange, ...] = ()


class WorkflowMigration:
    """An instance diffed against the specs of another version, ready to move onto them."""

    def __init__(self, instance: Instance, spec: Any, subprocess_specs: dict[str, Any], registry: Any) -> None:
        workflow = instance.workflow
        self._instance = instance
        self._spec = spec
        self._subprocess_specs = subprocess_specs
        top_spec_diff = SpecDiff(registry, workflow.spec, spec)
        self._top_diff = WorkflowDiff(workflow, top_spec_diff)
        changes = [WorkflowChanges(workflow.spec.name, False, _changes(top_spec_diff, self._top_diff))]
        self._sub_diffs: dict[Any, WorkflowDiff] = {}
        for sub_id, sub in workflow.subprocesses.items():
            if sub.spec.name not in subprocess_specs:
                changes.append(WorkflowChanges(sub.spec.name, True))
                continue
            sub_spec_diff = SpecDiff(registry, sub.spec, subprocess_specs[sub.spec.name])
            self._sub_diffs[sub_id] = WorkflowDiff(sub, sub_spec_diff)
            changes.append(WorkflowChanges(sub.spec.name, False, _changes(sub_spec_diff, self._sub_diffs[sub_id])))
        self.workflows = tuple(changes)

    def run(self) -> None:
        """Move the instance onto the new specs and run on; entered data and timer deadlines survive."""
        workflow = self._instance.workflow
        kept_data = {task.id: copy.deepcopy(task.data) for task in workflow.get_tasks(state=TaskState.READY)}
        deadlines = _timer_deadlines(workflow)
        with self._instance.spiff_call():
            migrate_workflow(self._top_diff, workflow, self._spec)
            for sub_id, sub in workflow.subprocesses.items():
                migrate_workflow(self._sub_diffs[sub_id], sub, self._subprocess_specs.get(sub.spec.name))
            set_subprocess_specs(workflow, self._subprocess_specs)
            if last_task(workflow) is None:
                # The reset may drop the task the instance last finished; the latest completed one stands in.
                done = workflow.get_tasks(state=TaskState.COMPLETED)
                set_last_task(workflow, max(done, key=lambda t: t.last_state_change) if done else None)
            for task in workflow.get_tasks(state=TaskState.READY):
                if task.id in kept_data:
                    task.data = kept_data[task.id]  # what the clerk had entered survives the reset
        self._instance.run_until_user_input_required()
        _restore_deadlines(workflow, deadlines)

    def undefined_elements(self) -> list[str]:
        """Return the names of the instance's tasks that no spec of the new version defines."""
        defined = set(self._spec.task_specs)
        for sub in self._subprocess_specs.values():
            defined |= set(sub.task_specs)
        return [t.task_spec.name for t in self._instance.workflow.get_tasks() if t.task_spec.name not in defined]


def _changes(spec_diff: SpecDiff, diff: WorkflowDiff) -> tuple[ElementChange, ...]:
    changes = [ElementChange(_label(task.task_spec), bool(task.state & _RAN), True, name=_name(task.task_spec))
               for task in diff.removed if task.state & (_RAN | _OPEN)]
    # A changed element only matters once it ran; one the instance has not reached yet runs as it now is.
    for task in diff.changed:
        if not task.state & _RAN:
            continue
        new_spec = spec_diff.alignment.get(task.task_spec)
        changes.append(ElementChange(
            _label(task.task_spec), True, False, frozenset(spec_diff.changed.get(task.task_spec, ["definition"])),
            name=_name(task.task_spec), next_before=_next(task.task_spec),
            next_after=_next(new_spec) if new_spec is not None else ()))
    return tuple(changes)


def _label(task_spec: Any) -> str:
    name = getattr(task_spec, "bpmn_name", None)
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
    return f"{name} ({element})" if name else str(element)


def _name(task_spec: Any) -> str:
    return str(getattr(task_spec, "bpmn_name", None) or getattr(task_spec, "bpmn_id", None) or task_spec.name)


def _next(task_spec: Any) -> tuple[str, ...]:
    # Spiff's internal specs (the "…_EndJoin" plumbing, say) have no BPMN id; they are not steps anyone named.
    return tuple(sorted(_name(spec) for spec in task_spec.outputs if getattr(spec, "bpmn_id", None)))


def _is_timer(task: Any) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)


def _timer_deadlines(workflow: Any) -> dict[str, list[Any]]:
    deadlines: dict[str, list[Any]] = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if _is_timer(task) and timer_deadline(task) is not None:
            deadlines.setdefault(task.task_spec.name, []).append(timer_deadline(task))
    return deadlines


def _restore_deadlines(workflow: Any, deadlines: dict[str, list[Any]]) -> None:
    # Migration re-creates waiting timers, which would restart their clocks; the law's deadline does not move.
    remaining = {name: list(values) for name, values in deadlines.items()}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        values = remaining.get(task.task_spec.name)
        if values and _is_timer(task):
            set_timer_deadline(task, values.pop(0))
