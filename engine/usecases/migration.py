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
from engine.spiff.migrating import WorkflowChanges, WorkflowMigration
from engine.spiff.runtime import Engine
from engine.spiff.serialization import STATE_FORMAT
from engine.spiff.workflow import Instance
from engine.store.audit import record
from engine.store.db import is_lost_race
from engine.store.models import InstanceRow, ProcessVersion, TaskRow
from engine.usecases.access import Actor
from engine.usecases.ahead import names_missing_ahead
from engine.usecases.deployments import get_version
from engine.usecases.state import CANCELLED, COMPLETED, ERROR, persist, record_decisions, task_index_fields
from engine.usecases.timers import fire_due_timers

__all__ = ["MigrationCheck", "MigrationReport", "Reason", "migrate_instances", "plan_migration"]

_HISTORY_ONLY = frozenset({"bpmn_name", "description", "documentation", "extensions", "lane"})
# SpiffWorkflow's attribute names, as the person reading a blocked migration would name the change.
_ATTRIBUTE_WORDS = {
    "cond_task_specs": "branch conditions", "default_task_spec": "default flow", "inputs": "incoming flows",
    "outputs": "outgoing flows", "event_definition": "event (timer, message or error)", "script": "script",
    "prescript": "script before it", "postscript": "script after it", "cancel_activity": "interrupting setting",
    "typename": "element type", "manual": "element type", "decision_table": "decision",
}


@dataclass(frozen=True)
class Reason:
    """Why an instance cannot move (or what moving does): the engine's words, and a message key for people.

    `params` name elements by their names, groups and people by their codes (the host names those).
    """

    text: str
    key: str
    params: tuple[tuple[str, str], ...] = ()


def _reason(text: str, key: str, **params: object) -> Reason:
    return Reason(text, key, tuple((name, str(value)) for name, value in params.items()))


def _name(label: str) -> str:
    # A change's label is "name (id)"; people read the name.
    return label.rsplit(" (", 1)[0] if label.endswith(")") and " (" in label else label


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
    notes: tuple[str, ...] = ()  # what moving does besides moving: claims released, say
    worded: tuple[Reason, ...] = ()  # the reasons (or, for a movable instance, the notes) for people


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
                **({"notes": list(check.notes)} if check.notes else {})})
            session.flush()
            savepoint.commit()
        except (StaleDataError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and not is_lost_race(exc):
                raise
            savepoint.rollback()
            raced = _reason(f"the instance changed while it was being migrated (a step was completed or a timer "
                            f"fired); it stays on version {check.from_version}: migrate it again",
                            "migrate_changed_meanwhile", version=check.from_version)
            checks[-1] = replace(check, can_migrate=False, reasons=(raced.text,), worded=(raced,))
    report = MigrationReport(operation, process_id, to_version, False, tuple(checks))
    record(session, now, actor.username, "migrate-batch", element=process_id, data={
        "operation": report.operation, "process": process_id, "to_version": to_version,
        "migrated": [c.instance_id for c in report.movable],
        "blocked": {c.instance_id: list(c.reasons) for c in report.blocked}})
    session.flush()
    return report


def _target(session: Session, actor: Actor, process_id: str, to_version: int) -> ProcessVersion:
    if not actor.is_admin:
        raise PermissionDenied(f"only administrators migrate instances; {actor.username} is {actor.role}").keyed(
            "error_role_needed", role="admin")
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
        stranger = _reason(f"instance {row} is not an instance of this process", "migrate_not_here")
        return MigrationCheck(row, None, None, 0, False, (stranger.text,), worded=(stranger,)), None

    def blocked(*reasons: Reason) -> tuple[MigrationCheck, None]:
        return MigrationCheck(row.id, row.business_key, row.project_name, row.process_version.version, False,
                              tuple(r.text for r in reasons), tuple(row.active_elements or ()),
                              worded=reasons), None

    names = engine.labels(row.process_version)
    if row.status in (COMPLETED, CANCELLED):
        return blocked(_reason(f"the instance is {row.status}", "migrate_finished", status=row.status))
    if row.status == ERROR:
        return blocked(_reason(f"the instance failed at {row.error_element}; retry or cancel it first",
                               "migrate_failed", element=names.element(row.error_element) or row.error_element))
    if row.process_version_id == target.id:
        return blocked(_reason(f"the instance already runs version {target.version}", "migrate_same_version",
                               version=target.version))
    try:
        instance = engine.load_instance(row)
    except StateFormatError as exc:
        return blocked(_reason(exc.message, "migrate_unreadable"))
    spec, subprocess_specs = engine.specs_for(target)
    moving = WorkflowMigration(instance, spec, subprocess_specs, engine.serializer.spec_registry)
    reasons = [reason for changes in moving.workflows for reason in _blocking(changes)]
    reasons += _uncollected(engine, target, instance)
    reasons += _no_longer_human(engine, target, instance)
    reasons += [_reason(text, "migrate_renamed_ahead") for text in names_missing_ahead(
        engine, row.process_version, target, instance.active_elements(), instance.executed_elements(),
        instance.data.keys())]
    if reasons:
        return blocked(*reasons)
    try:
        moving.run()
        # Prove the result stores and loads against the new version before anything is written.
        engine.serializer.loads_state(engine.dump_instance(instance), spec, subprocess_specs,
                                      state_format=STATE_FORMAT, instance_id=row.id)
        stray = moving.undefined_elements()
        if stray:
            return blocked(_reason(f"elements {', '.join(sorted(set(stray)))} would be left without a definition",
                                   "migrate_cannot_take_over"))
    except ProcessError as exc:
        return blocked(_reason(f"running on from the new version fails at {exc.element_id}: {exc.message}",
                               "migrate_run_fails", element=names.element(exc.element_id) or exc.element_id or ""))
    except Exception as exc:  # a Spiff failure while re-predicting: report, never store half a migration
        return blocked(_reason(f"the new version cannot take over this instance: {type(exc).__name__}: {exc}",
                               "migrate_cannot_take_over"))
    if instance.failed_elements():
        failed = instance.failed_elements()
        return blocked(_reason(f"running on from the new version fails at {', '.join(failed)}", "migrate_run_fails",
                               element="、".join(names.element(e) or e for e in failed)))
    notes = _released_claims(target, row, instance)
    check = MigrationCheck(row.id, row.business_key, row.project_name, row.process_version.version, True,
                           (), tuple(row.active_elements or ()), tuple(n.text for n in notes), notes)
    return check, instance


def _blocking(changes: WorkflowChanges) -> list[Reason]:
    if changes.missing:
        return [_reason(f"called process {changes.process_id} is gone in the new version", "migrate_called_gone")]
    reasons = []
    for change in changes.changes:
        if change.removed:
            where = "ran at" if change.ran else "stands at"
            reasons.append(_reason(f"the instance {where} {change.label}, which the new version removes",
                                   "migrate_removed_ran" if change.ran else "migrate_removed_here",
                                   element=_name(change.label)))
            continue
        attributes = change.attributes - _HISTORY_ONLY
        if not attributes:
            continue
        if "decision_table" in attributes:
            reasons.append(_reason(f"decision of {change.label} changed after it ran", "migrate_decision_changed",
                                   element=_name(change.label)))
        else:
            changed = sorted({_ATTRIBUTE_WORDS.get(name, name.replace("_", " ")) for name in attributes})
            reasons.append(_reason(f"{change.label} already ran and its {', '.join(changed)} changed",
                                   "migrate_behaviour_changed", element=_name(change.label)))
    return sorted(set(reasons), key=lambda reason: reason.text)


def _uncollected(engine: Engine, target: ProcessVersion, instance: Instance) -> list[Reason]:
    # A step the instance passed whose new form requires a field it never gave (a renamed field, say) would
    # leave a later decision without its input, and the catch-all rule would answer in its place.
    process = engine.process_elements(target)
    if process is None:
        return []
    forms = {element.id: element.properties.get(FORM_SCHEMA) for element in process.elements}
    labels = {element.id: element.label for element in process.elements}
    data = instance.data
    reasons = []
    for element in sorted(set(instance.executed_elements())):
        form = forms.get(element)
        if not form:
            continue
        document = engine.form(target, form)
        missing = [name for name in document.get("required", []) if name not in data]
        if missing:
            titles = [str((document.get("properties", {}).get(name) or {}).get("title") or name) for name in missing]
            reasons.append(_reason(f"{element} already ran, and its form in version {target.version} requires "
                                   f"{', '.join(missing)}, which this instance never collected",
                                   "migrate_uncollected", element=labels.get(element, element),
                                   fields="、".join(titles), version=target.version))
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
            reasons.append(_reason(
                f"{task.spec_id}「{task.name}」 waits for a clerk, and in version {target.version} it is a "
                f"{element.kind}, which would run at once and drop the open task and its claim",
                "migrate_no_longer_human", element=task.name or task.spec_id, version=target.version))
    return sorted(reasons, key=lambda reason: reason.text)


def _released_claims(target: ProcessVersion, row: InstanceRow, instance: Instance) -> tuple[Reason, ...]:
    # A claimed task that moves to another agency's lane must not stay with the old agency's clerk.
    session = object_session(row)
    if session is None:
        return ()
    claimed = {t.id: t for t in session.scalars(select(TaskRow).where(
        TaskRow.instance_id == row.id, TaskRow.status == "ready", TaskRow.assignee.is_not(None)))}
    notes = []
    for task in instance.ready_human_tasks():
        task_row = claimed.get(task.id)
        group = task_index_fields(task, target)["candidate_group"]
        if task_row is not None and group != task_row.candidate_group:
            notes.append(_reason(f"{task.spec_id}「{task.name}」 moves from {task_row.candidate_group} to {group}; "
                                 f"{task_row.assignee}'s claim is released", "migrate_claim_released",
                                 element=task.name or task.spec_id, group=group or "", user=task_row.assignee or ""))
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
