"""Move running instances to another version of their process, or say exactly why one cannot move.

The rule follows SpiffWorkflow's spec diff: whatever changed downstream of where an instance stands is
safe, because it has not run yet. An element that already ran and whose behaviour changed (a decision
table, its flows, its script) blocks, as does a removed element the instance still holds. Wording,
documentation, lanes and form names of elements that already ran are history and do not block.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import PermissionDenied, ProcessError, StateFormatError
from engine.spiff.internals import set_last_task, set_timer_deadline, timer_deadline
from engine.spiff.runtime import Engine
from engine.spiff.serialization import STATE_FORMAT
from engine.spiff.workflow import Instance
from engine.store.audit import record
from engine.store.models import InstanceRow, ProcessVersion, TaskRow
from engine.usecases.access import Actor
from engine.usecases.deployments import get_version
from engine.usecases.state import CANCELLED, COMPLETED, ERROR, persist, record_decisions, task_index_fields

__all__ = ["MigrationCheck", "MigrationReport", "migrate_instances", "plan_migration"]

_HISTORY_ONLY = frozenset({"bpmn_name", "description", "documentation", "extensions", "lane"})
_RAN = TaskState.COMPLETED | TaskState.STARTED
_OPEN = TaskState.READY | TaskState.WAITING


@dataclass(frozen=True)
class MigrationCheck:
    """Whether one instance can move, and why not; `position` is where it stands now."""

    instance_id: str
    business_key: str | None
    project_name: str | None
    from_version: int
    can_migrate: bool
    reasons: tuple[str, ...] = ()
    position: tuple[str, ...] = ()


@dataclass(frozen=True)
class MigrationReport:
    """The outcome of a dry run or a migration of many instances to one version."""

    operation: str
    process_id: str
    to_version: int
    dry_run: bool
    checks: tuple[MigrationCheck, ...] = ()

    @property
    def movable(self) -> list[MigrationCheck]:
        """Return the instances that can (or did) move."""
        return [c for c in self.checks if c.can_migrate]

    @property
    def blocked(self) -> list[MigrationCheck]:
        """Return the instances that cannot move, with reasons."""
        return [c for c in self.checks if not c.can_migrate]


def plan_migration(engine: Engine, session: Session, actor: Actor, process_id: str, to_version: int,
                   instance_ids: list[str] | None = None) -> MigrationReport:
    """Report, per instance, whether it can move to `to_version`; nothing is changed."""
    target, rows = _select(session, actor, process_id, to_version, instance_ids)
    checks = tuple(_try(engine, target, row_or_id)[0] for row_or_id in rows)
    return MigrationReport(uuid.uuid4().hex, process_id, to_version, True, checks)


def migrate_instances(engine: Engine, session: Session, actor: Actor, process_id: str, to_version: int,
                      instance_ids: list[str] | None = None) -> MigrationReport:
    """Move every movable selected instance to `to_version` in this unit of work; report the rest."""
    target, rows = _select(session, actor, process_id, to_version, instance_ids)
    operation = uuid.uuid4().hex
    checks: list[MigrationCheck] = []
    now = engine.now()
    for row_or_id in rows:
        check, migrated = _try(engine, target, row_or_id)
        checks.append(check)
        if migrated is None or not isinstance(row_or_id, InstanceRow):
            continue
        row = row_or_id
        row.process_version_id, row.process_version = target.id, target
        # Running on under the new version may already take a decision; it belongs in the trail like any other.
        record_decisions(engine, session, row, migrated.run.decisions, actor.username)
        persist(engine, session, row, migrated)
        _refresh_open_tasks(session, row, migrated)
        record(session, now, actor.username, "migrate", instance_id=row.id, data={
            "operation": operation, "from_version": check.from_version, "to_version": to_version})
    report = MigrationReport(operation, process_id, to_version, False, tuple(checks))
    record(session, now, actor.username, "migrate-batch", element=process_id, data={
        "operation": report.operation, "process": process_id, "to_version": to_version,
        "migrated": [c.instance_id for c in report.movable],
        "blocked": {c.instance_id: list(c.reasons) for c in report.blocked}})
    session.flush()
    return report


def _select(session: Session, actor: Actor, process_id: str, to_version: int,
            instance_ids: list[str] | None) -> tuple[ProcessVersion, list[InstanceRow | str]]:
    if not actor.is_admin:
        raise PermissionDenied(f"only administrators migrate instances; {actor.username} is {actor.role}")
    target = get_version(session, process_id, to_version)
    query = select(InstanceRow).where(InstanceRow.process_id == process_id).order_by(InstanceRow.created_at)
    if instance_ids is None:
        found = session.scalars(query.where(InstanceRow.status.not_in([COMPLETED, CANCELLED]),
                                            InstanceRow.process_version_id != target.id))
        return target, list(found)
    by_id = {row.id: row for row in session.scalars(query.where(InstanceRow.id.in_(instance_ids)))}
    return target, [by_id.get(instance_id, instance_id) for instance_id in dict.fromkeys(instance_ids)]


def _try(engine: Engine, target: ProcessVersion, row: InstanceRow | str) -> tuple[MigrationCheck, Instance | None]:
    """Migrate a freshly loaded copy of the instance; the stored row is untouched until the caller persists."""
    if isinstance(row, str):
        return MigrationCheck(row, None, None, 0, False, (f"instance {row} is not an instance of this process",)), None

    def blocked(*reasons: str) -> tuple[MigrationCheck, None]:
        return MigrationCheck(row.id, row.business_key, row.project_name, row.process_version.version, False,
                              reasons, tuple(row.active_elements or ())), None

    if row.status in (COMPLETED, CANCELLED):
        return blocked(f"the instance is {row.status}")
    if row.status == ERROR:
        return blocked(f"the instance failed at {row.error_element}; retry or cancel it first")
    if row.process_version_id == target.id:
        return blocked(f"the instance already runs version {target.version}")
    try:
        instance = engine.load_instance(row)
    except StateFormatError as exc:
        return blocked(exc.message)
    workflow = instance.workflow
    spec, subprocess_specs = engine.specs_for(target)
    registry = engine.serializer.spec_registry
    top_spec_diff = SpecDiff(registry, workflow.spec, spec)
    top_diff = WorkflowDiff(workflow, top_spec_diff)
    reasons = _blocking(top_spec_diff, top_diff)
    sub_diffs: dict[Any, WorkflowDiff] = {}
    for sub_id, sub in workflow.subprocesses.items():
        if sub.spec.name not in subprocess_specs:
            reasons.append(f"called process {sub.spec.name} is gone in the new version")
            continue
        sub_spec_diff = SpecDiff(registry, sub.spec, subprocess_specs[sub.spec.name])
        sub_diffs[sub_id] = WorkflowDiff(sub, sub_spec_diff)
        reasons += _blocking(sub_spec_diff, sub_diffs[sub_id])
    if reasons:
        return blocked(*reasons)
    kept_data = {task.id: copy.deepcopy(task.data) for task in workflow.get_tasks(state=TaskState.READY)}
    deadlines = _timer_deadlines(workflow)
    try:
        with instance.spiff_call():
            migrate_workflow(top_diff, workflow, spec)
            for sub_id, sub in workflow.subprocesses.items():
                migrate_workflow(sub_diffs[sub_id], sub, subprocess_specs.get(sub.spec.name))
            workflow.subprocess_specs = subprocess_specs
            if workflow.last_task is None:
                # The reset may drop the task the instance last finished; the latest completed one stands in.
                done = workflow.get_tasks(state=TaskState.COMPLETED)
                set_last_task(workflow, max(done, key=lambda t: t.last_state_change) if done else None)
            for task in workflow.get_tasks(state=TaskState.READY):
                if task.id in kept_data:
                    task.data = kept_data[task.id]  # what the clerk had entered survives the reset
        instance.run_until_user_input_required()
        _restore_deadlines(workflow, deadlines)
        # Prove the result stores and loads against the new version before anything is written.
        engine.serializer.loads_state(engine.dump_instance(instance), spec, subprocess_specs,
                                      state_format=STATE_FORMAT, instance_id=row.id)
        defined = _names(spec, subprocess_specs)
        stray = [t.task_spec.name for t in workflow.get_tasks() if t.task_spec.name not in defined]
        if stray:
            return blocked(f"elements {', '.join(sorted(set(stray)))} would be left without a definition")
    except ProcessError as exc:
        return blocked(f"running on from the new version fails at {exc.element_id}: {exc.message}")
    except Exception as exc:  # a Spiff failure while re-predicting: report, never store half a migration
        return blocked(f"the new version cannot take over this instance: {type(exc).__name__}: {exc}")
    if instance.failed_elements():
        return blocked(f"running on from the new version fails at {', '.join(instance.failed_elements())}")
    check = MigrationCheck(row.id, row.business_key, row.project_name, row.process_version.version, True,
                           (), tuple(row.active_elements or ()))
    return check, instance


def _blocking(spec_diff: SpecDiff, diff: WorkflowDiff) -> list[str]:
    reasons = []
    for task in diff.removed:
        if task.state & (_RAN | _OPEN):
            where = "ran at" if task.state & _RAN else "stands at"
            reasons.append(f"the instance {where} {_label(task.task_spec)}, which the new version removes")
    for task in diff.changed:
        if not task.state & _RAN:
            continue
        attributes = set(spec_diff.changed.get(task.task_spec, ["definition"])) - _HISTORY_ONLY
        if not attributes:
            continue
        if "decision_table" in attributes:
            reasons.append(f"decision of {_label(task.task_spec)} changed after it ran")
        else:
            reasons.append(f"{_label(task.task_spec)} already ran and its {', '.join(sorted(attributes))} changed")
    return sorted(set(reasons))


def _label(task_spec: Any) -> str:
    name = getattr(task_spec, "bpmn_name", None)
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
    return f"{name} ({element})" if name else element


def _names(spec: Any, subprocess_specs: dict[str, Any]) -> set[str]:
    names = set(spec.task_specs)
    for sub in subprocess_specs.values():
        names |= set(sub.task_specs)
    return names


def _timer_deadlines(workflow: Any) -> dict[str, list[Any]]:
    deadlines: dict[str, list[Any]] = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition) \
                and timer_deadline(task) is not None:
            deadlines.setdefault(task.task_spec.name, []).append(timer_deadline(task))
    return deadlines


def _restore_deadlines(workflow: Any, deadlines: dict[str, list[Any]]) -> None:
    # Migration re-creates waiting timers, which would restart their clocks; the law's deadline does not move.
    remaining = {name: list(values) for name, values in deadlines.items()}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        values = remaining.get(task.task_spec.name)
        if values and isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
            set_timer_deadline(task, values.pop(0))


def _refresh_open_tasks(session: Session, row: InstanceRow, instance: Instance) -> None:
    # Open tasks keep their ids (and claims) across a migration; their lane or form may have changed.
    ready = {task.id: task for task in instance.ready_human_tasks()}
    for task_row in session.scalars(select(TaskRow).where(TaskRow.instance_id == row.id, TaskRow.status == "ready")):
        task = ready.get(task_row.id)
        if task is None:
            continue
        for column, value in task_index_fields(task, row.process_version).items():
            setattr(task_row, column, value)
