"""Move running instances to another version of their process, or say exactly why one cannot move.

The rule follows SpiffWorkflow's spec diff, which `engine.spiff.migrating` gathers: whatever changed
downstream of where an instance stands is safe, because it has not run yet. An element that already ran
and whose behaviour changed (a decision table, its flows, its script) blocks, as does a removed element
the instance still holds. Wording, documentation, lanes and form names of elements that already ran are
history and do not block.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import StaleDataError

from engine.conventions import FORM_SCHEMA
from engine.errors import PermissionDenied, ProcessError, StateFormatError
from engine.spiff.migrating import WorkflowMigration
from engine.spiff.runtime import Engine
from engine.spiff.serialization import STATE_FORMAT
from engine.spiff.workflow import Instance
from engine.store.audit import record
from engine.store.db import is_lost_race
from engine.store.models import InstanceRow, ProcessVersion, TaskRow
from engine.usecases.access import Actor
from engine.usecases.ahead import names_missing_ahead
from engine.usecases.deployments import get_version
from engine.usecases.migration_reasons import Reason, blocking_changes, element_kind_words
from engine.usecases.state import CANCELLED, COMPLETED, ERROR, persist, record_decisions, task_index_fields
from engine.usecases.timers import fire_due_timers

__all__ = ["MigrationCheck", "MigrationReport", "Reason", "migrate_instances", "plan_migration"]


@dataclass(frozen=True)
class MigrationCheck:
    """Whether one instance can move, and why not; `position` is where it stands now."""

    instance_id: str
    business_key: str | None
    project_name: str | None
    from_version: int
    can_migrate: bool
    reasons: tuple[Reason, ...] = ()
    position: tuple[str, ...] = ()  # element ids
    notes: tuple[Reason, ...] = ()  # what moving does besides moving: claims released, say
    position_names: tuple[str, ...] = ()  # the same elements by their names in the diagram


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
    _target(session, actor, process_id, to_version)  # refuse a stranger or a missing version before anything fires
    # A timer already due fires on the version that set it, through the normal path and into the audit trail,
    # rather than inside the move.
    fire_due_timers(engine, session)
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
        # Each instance in a savepoint of its own: one that a clerk changed meanwhile is reported, the rest move.
        savepoint = session.begin_nested()
        try:
            row.process_version_id, row.process_version = target.id, target
            # Running on under the new version may already take a decision; it belongs in the trail like any other.
            record_decisions(engine, session, row, migrated.run.decisions, actor.username)
            persist(engine, session, row, migrated)
            _refresh_open_tasks(session, row, migrated)
            record(session, now, actor.username, "migrate", instance_id=row.id, data={
                "operation": operation, "from_version": check.from_version, "to_version": to_version,
                **({"notes": [note.to_json() for note in check.notes]} if check.notes else {})})
            session.flush()
            savepoint.commit()
        except (StaleDataError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and not is_lost_race(exc):
                raise
            savepoint.rollback()
            checks[-1] = replace(check, can_migrate=False, reasons=(Reason(
                "lost_race",
                f"the instance changed while it was being migrated (a step was completed or a timer fired); "
                f"it stays on version {check.from_version}: migrate it again",
                f"迁移期间该实例有了变化（有环节办结或计时器到期），仍留在版本 {check.from_version}，请重新迁移",
                {"version": check.from_version}),))
    report = MigrationReport(operation, process_id, to_version, False, tuple(checks))
    record(session, now, actor.username, "migrate-batch", element=process_id, data={
        "operation": report.operation, "process": process_id, "to_version": to_version,
        "migrated": [c.instance_id for c in report.movable],
        "blocked": {c.instance_id: [reason.to_json() for reason in c.reasons] for c in report.blocked}})
    session.flush()
    return report


def _target(session: Session, actor: Actor, process_id: str, to_version: int) -> ProcessVersion:
    if not actor.is_admin:
        raise PermissionDenied(f"only administrators migrate instances; {actor.username} is {actor.role}")
    return get_version(session, process_id, to_version)


def _select(session: Session, actor: Actor, process_id: str, to_version: int,
            instance_ids: list[str] | None) -> tuple[ProcessVersion, list[InstanceRow | str]]:
    target = _target(session, actor, process_id, to_version)
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
        return MigrationCheck(row, None, None, 0, False, (Reason(
            "not_this_process", f"instance {row} is not an instance of this process", "该实例不属于这个流程",
            {"instance": row}),)), None
    source = row.process_version
    names = _element_names(engine, source)

    def blocked(*reasons: Reason) -> tuple[MigrationCheck, None]:
        position = tuple(row.active_elements or ())
        return MigrationCheck(row.id, row.business_key, row.project_name, source.version, False, reasons,
                              position, position_names=tuple(names.get(e, e) for e in position)), None

    if row.status == COMPLETED:
        return blocked(Reason("completed", "the instance is completed", "该实例已办结"))
    if row.status == CANCELLED:
        return blocked(Reason("cancelled", "the instance is cancelled", "该实例已撤销"))
    if row.status == ERROR:
        failed = names.get(row.error_element or "", row.error_element or "")
        return blocked(Reason("failed", f"the instance failed at {row.error_element}; retry or cancel it first",
                              f"该实例在「{failed}」出错，请先重试或撤销", {"element": row.error_element}))
    if row.process_version_id == target.id:
        return blocked(Reason("already_there", f"the instance already runs version {target.version}",
                              f"该实例已在版本 {target.version} 上运行", {"version": target.version}))
    try:
        instance = engine.load_instance(row)
    except StateFormatError as exc:
        return blocked(Reason("unreadable", exc.message, "该实例保存的状态无法读取，请联系系统管理员"))
    spec, subprocess_specs = engine.specs_for(target)
    moving = WorkflowMigration(instance, spec, subprocess_specs, engine.serializer.spec_registry)
    reasons = [reason for changes in moving.workflows for reason in blocking_changes(changes)]
    reasons += _uncollected(engine, target, instance)
    reasons += _no_longer_human(engine, target, instance)
    reasons += names_missing_ahead(engine, source, target, instance.active_elements(),
                                   instance.executed_elements(), instance.data.keys())
    if reasons:
        return blocked(*reasons)
    new_names = _element_names(engine, target)
    try:
        moving.run()
        # Prove the result stores and loads against the new version before anything is written.
        engine.serializer.loads_state(engine.dump_instance(instance), spec, subprocess_specs,
                                      state_format=STATE_FORMAT, instance_id=row.id)
        stray = sorted(set(moving.undefined_elements()))
        if stray:
            return blocked(Reason(
                "undefined", f"elements {', '.join(stray)} would be left without a definition",
                f"新版本中没有「{'」「'.join(names.get(e, e) for e in stray)}」的定义", {"elements": stray}))
    except ProcessError as exc:
        where = new_names.get(exc.element_id or "", exc.element_id or "")
        return blocked(Reason("fails_ahead", f"running on from the new version fails at {exc.element_id}: "
                              f"{exc.message}", f"按新版本继续运行会在「{where}」出错",
                              {"element": exc.element_id}))
    except Exception as exc:  # a Spiff failure while re-predicting: report, never store half a migration
        return blocked(Reason("cannot_take_over", f"the new version cannot take over this instance: "
                              f"{type(exc).__name__}: {exc}", "新版本无法接管该实例"))
    if instance.failed_elements():
        failed_ids = instance.failed_elements()
        return blocked(Reason(
            "fails_ahead", f"running on from the new version fails at {', '.join(failed_ids)}",
            f"按新版本继续运行会在「{'」「'.join(new_names.get(e, e) for e in failed_ids)}」出错",
            {"elements": failed_ids}))
    position = tuple(row.active_elements or ())
    check = MigrationCheck(row.id, row.business_key, row.project_name, source.version, True, (), position,
                           _released_claims(engine, target, row, instance),
                           tuple(names.get(e, e) for e in position))
    return check, instance


def _element_names(engine: Engine, version: ProcessVersion) -> dict[str, str]:
    return {element.id: element.label for process in engine.deployment_processes(version).values()
            for element in process.elements}


def _uncollected(engine: Engine, target: ProcessVersion, instance: Instance) -> list[Reason]:
    # A step the instance passed whose new form requires a field it never gave (a renamed field, say) would
    # leave a later decision without its input, and the catch-all rule would answer in its place.
    process = engine.process_elements(target)
    if process is None:
        return []
    by_id = {element.id: element for element in process.elements}
    data = instance.data
    reasons = []
    for element_id in sorted(set(instance.executed_elements())):
        element = by_id.get(element_id)
        form = element.properties.get(FORM_SCHEMA) if element else None
        if element is None or not form:
            continue
        schema = engine.form(target, form)
        missing = [name for name in schema.get("required", []) if name not in data]
        if missing:
            titles = [str((schema.get("properties", {}).get(name) or {}).get("title") or name) for name in missing]
            reasons.append(Reason(
                "uncollected", f"{element_id} already ran, and its form in version {target.version} requires "
                f"{', '.join(missing)}, which this instance never collected",
                f"「{element.label}」已经办过，版本 {target.version} 的表单要求填写「{'」「'.join(titles)}」，"
                f"本实例从未填写过", {"element": element_id, "fields": missing, "version": target.version}))
    return reasons


_HUMAN_KINDS = frozenset({"userTask", "manualTask"})


def _no_longer_human(engine: Engine, target: ProcessVersion, instance: Instance) -> list[Reason]:
    # A clerk's open task that the new version turns into, say, a script would run unattended at migration,
    # dropping the task and its claim: the instance must wait for the clerk (or stay on its version).
    processes = engine.deployment_processes(target)
    reasons = []
    for task in instance.ready_human_tasks():
        process = processes.get(task.process_id)
        element = next((e for e in process.elements if e.id == task.spec_id), None) if process else None
        if element is not None and element.kind not in _HUMAN_KINDS:
            kind_en, kind_zh = element_kind_words(element.kind)
            reasons.append(Reason(
                "no_longer_human", f"{task.spec_id}「{task.name}」 waits for a clerk, and in version {target.version} "
                f"it is a {kind_en}, which would run at once and drop the open task and its claim",
                f"「{task.name}」正等待办理，版本 {target.version} 把它改成了{kind_zh}，迁移会让它立即自动执行，"
                f"待办任务和认领都会丢失", {"element": task.spec_id, "kind": element.kind, "version": target.version}))
    return sorted(reasons, key=lambda reason: reason.text)


def _agencies(engine: Engine, version: ProcessVersion) -> dict[str, str]:
    """Return {candidate group: lane name} of every process deployed with a version, its own process's first."""
    processes = engine.deployment_processes(version)
    own = processes.get(version.process_id)
    ordered = [*(p for p in processes.values() if p is not own), *([own] if own else [])]  # the last one wins
    return {group: lane for process in ordered for lane, group in process.lane_groups.items()}


def _released_claims(engine: Engine, target: ProcessVersion, row: InstanceRow,
                     instance: Instance) -> tuple[Reason, ...]:
    # A claimed task that moves to another agency's lane must not stay with the old agency's clerk.
    session = object_session(row)
    if session is None:
        return ()
    claimed = {t.id: t for t in session.scalars(select(TaskRow).where(
        TaskRow.instance_id == row.id, TaskRow.status == "ready", TaskRow.assignee.is_not(None)))}
    before, after = _agencies(engine, row.process_version), _agencies(engine, target)
    notes = []
    for task in instance.ready_human_tasks():
        task_row = claimed.get(task.id)
        group = task_index_fields(task, target)["candidate_group"]
        if task_row is not None and group != task_row.candidate_group:
            old = task_row.candidate_group or ""
            notes.append(Reason(
                "claim_released", f"{task.spec_id}「{task.name}」 moves from {old} to {group}; "
                f"{task_row.assignee}'s claim is released",
                f"「{task.name}」改由{after.get(group or '', group)}办理（原为{before.get(old, old)}），"
                f"{task_row.assignee} 的认领随之解除",
                {"element": task.spec_id, "from_group": old, "to_group": group, "assignee": task_row.assignee}))
    return tuple(notes)


def _refresh_open_tasks(session: Session, row: InstanceRow, instance: Instance) -> None:
    # Open tasks keep their ids (and claims) across a migration; their lane or form may have changed.
    ready = {task.id: task for task in instance.ready_human_tasks()}
    for task_row in session.scalars(select(TaskRow).where(TaskRow.instance_id == row.id, TaskRow.status == "ready")):
        task = ready.get(task_row.id)
        if task is None:
            continue
        fields = task_index_fields(task, row.process_version)
        if task_row.assignee and fields["candidate_group"] != task_row.candidate_group:
            task_row.assignee = task_row.claimed_by = task_row.claimed_at = None  # the new agency claims it
        for column, value in fields.items():
            setattr(task_row, column, value)
        task_row.process_version_id = row.process_version.id  # the open task is now worked with the new forms
