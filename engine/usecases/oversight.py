"""What the instance and monitoring pages show, and what administrators do about it.

Position on the diagram, history, heat maps and overdue work; retrying and cancelling instances.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import Conflict, FieldError, InvalidInput, NotFound
from engine.spiff.runtime import Engine
from engine.store.audit import audit_trail, record
from engine.store.models import InstanceRow, ProcessVersion, TaskRow
from engine.usecases import state
from engine.usecases.access import Actor, check_instance, require_role, visible_instances, visible_tasks
from engine.usecases.deployments import get_version, list_versions
from engine.usecases.naming import Names, version_names
from engine.usecases.snapshots import AuditEntry, InstanceInfo, TaskInfo, VersionInfo

__all__ = ["ElementCount", "HeatMap", "InstanceView", "OverdueGroup", "VersionLoad", "WaitingTimer", "cancel",
           "diagram", "heat_map", "heat_table", "instance_diagram", "instance_view", "list_visible_instances",
           "overdue_by_agency", "retry", "version_loads"]

_FINISHED = (state.COMPLETED, state.CANCELLED)
_ADMIN = ("admin",)
_REASON_LIMIT = 500


@dataclass(frozen=True)
class WaitingTimer:
    """A timer an instance waits on, and when it fires."""

    element: str
    due_at: datetime


@dataclass(frozen=True)
class InstanceView:
    """One instance as its page shows it."""

    instance: InstanceInfo
    diagram: str
    executed: list[str]
    active: list[str]
    failed: list[str]
    timers: list[WaitingTimer]
    open_tasks: list[TaskInfo]
    trail: list[AuditEntry]
    names: Names = field(default_factory=Names)  # of the people, unit, groups and codes the page shows

    @property
    def decisions(self) -> list[AuditEntry]:
        """Return the decisions taken, with inputs and outputs, oldest first."""
        return [event for event in self.trail if event.action == "decide"]


@dataclass(frozen=True)
class VersionLoad:
    """How many unfinished instances a process version carries, and how many are in error."""

    version: VersionInfo
    running: int
    errors: int


@dataclass(frozen=True)
class HeatMap:
    """Unfinished instances per element of one process version, with those in error."""

    version: VersionInfo
    diagram: str
    counts: dict[str, int]
    total: int
    errors: list[InstanceInfo]


@dataclass(frozen=True)
class ElementCount:
    """One row of a heat map's table: an element, what it is, and how many unfinished instances stand there."""

    element: str
    name: str | None  # None: the diagram leaves the element unnamed (a gateway or an event, say)
    kind: str  # the BPMN element type: userTask, boundaryEvent, …
    lane: str | None
    count: int


@dataclass(frozen=True)
class OverdueGroup:
    """Overdue ready tasks of one agency (lane) and candidate group."""

    bundle: str
    lane: str | None
    candidate_group: str | None
    count: int
    oldest_due_at: datetime


def diagram(session: Session, process_id: str, version: int | None = None) -> str:
    """Return the BPMN file that defines a version of a process, the current one when `version` is None."""
    return _diagram_xml(get_version(session, process_id, version))


def instance_diagram(session: Session, actor: Actor, instance_id: str) -> str:
    """Return the BPMN file of the version a visible instance runs on."""
    return _diagram_xml(check_instance(session, actor, state.get_instance(session, instance_id)).process_version)


def _diagram_xml(version: ProcessVersion) -> str:
    marker = re.compile(rf'<(?:\w+:)?process\b[^>]*\bid="{re.escape(version.process_id)}"')
    for path, text in sorted(version.deployment.files.items()):
        if path.endswith(".bpmn") and marker.search(text):
            return text
    raise NotFound(f"no diagram of {version.process_id} in deployment {version.deployment_id}")


def instance_view(engine: Engine, session: Session, actor: Actor, instance_id: str) -> InstanceView:
    """Return a visible instance with its position, timers, open tasks and audit trail."""
    row = check_instance(session, actor, state.get_instance(session, instance_id))
    _, instance = state.load(engine, session, instance_id)
    open_tasks = [TaskInfo.of(task) for task in session.scalars(select(TaskRow).where(
        TaskRow.instance_id == row.id, TaskRow.status == "ready").order_by(TaskRow.created_at))]
    trail = [AuditEntry.of(event) for event in audit_trail(session, row.id)]
    names = version_names(engine, session, row.process_version,
                          people=[e.actor for e in trail] + [t.assignee for t in open_tasks] + [row.started_by],
                          units=[row.unit], groups=[t.candidate_group for t in open_tasks])
    return InstanceView(InstanceInfo.of(row), _diagram_xml(row.process_version), instance.executed_elements(),
                        list(row.active_elements or []), instance.failed_elements() or
                        ([row.error_element] if row.status == state.ERROR and row.error_element else []),
                        [WaitingTimer(element, due) for element, due in instance.waiting_timers()], open_tasks,
                        trail, names)


def list_visible_instances(session: Session, actor: Actor, *, process_id: str | None = None,
                           status: str | None = None, business_key: str | None = None, page: int = 1,
                           per_page: int = 25) -> tuple[list[InstanceInfo], int]:
    """Return one page of the instances `actor` may see, newest first, and how many there are."""
    stmt = select(InstanceRow).where(visible_instances(actor))
    if process_id:
        stmt = stmt.where(InstanceRow.process_id == process_id)
    if status:
        stmt = stmt.where(InstanceRow.status == status)
    if business_key:
        stmt = stmt.where(InstanceRow.business_key == business_key)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(InstanceRow.created_at.desc(), InstanceRow.id)
                           .limit(per_page).offset((max(page, 1) - 1) * per_page))
    return [InstanceInfo.of(row) for row in rows], total


def version_loads(session: Session, actor: Actor) -> list[VersionLoad]:
    """Return every process version with its unfinished and failed instance counts (administrators)."""
    require_role(actor, _ADMIN, "monitoring")
    counts = dict(((vid, status), n) for vid, status, n in session.execute(
        select(InstanceRow.process_version_id, InstanceRow.status, func.count())
        .group_by(InstanceRow.process_version_id, InstanceRow.status)).all())
    loads = []
    for version in list_versions(session):
        running = sum(n for (vid, status), n in counts.items() if vid == version.id and status not in _FINISHED)
        loads.append(VersionLoad(VersionInfo.of(version), running, counts.get((version.id, state.ERROR), 0)))
    return loads


def heat_map(session: Session, actor: Actor, process_id: str, version_number: int) -> HeatMap:
    """Count unfinished instances per element of a process version (administrators)."""
    require_role(actor, _ADMIN, "monitoring")
    version = get_version(session, process_id, version_number)
    counts: Counter[str] = Counter()
    total = 0
    positions = session.execute(select(InstanceRow.active_elements).where(
        InstanceRow.process_version_id == version.id, InstanceRow.status.not_in(_FINISHED)))
    for (active,) in positions:
        total += 1
        counts.update(set(active or []))  # an instance counts once per element, even with parallel tokens
    errors = [InstanceInfo.of(row) for row in session.scalars(select(InstanceRow).where(
        InstanceRow.process_version_id == version.id, InstanceRow.status == state.ERROR)
        .order_by(InstanceRow.updated_at.desc()))]
    return HeatMap(VersionInfo.of(version), _diagram_xml(version), dict(counts), total, errors)


def heat_table(engine: Engine, session: Session, heat: HeatMap) -> list[ElementCount]:
    """Return a heat map's counts as rows naming each element, most instances first."""
    version = get_version(session, heat.version.process_id, heat.version.version)
    elements = {element.id: element for process in engine.deployment_processes(version).values()
                for element in process.elements}
    rows = []
    for element_id, count in heat.counts.items():
        element = elements.get(element_id)
        rows.append(ElementCount(element_id, element.name if element else None, element.kind if element else "",
                                 element.lane.label if element and element.lane else None, count))
    return sorted(rows, key=lambda row: (-row.count, row.name or "", row.element))


def overdue_by_agency(session: Session, actor: Actor, now: datetime) -> list[OverdueGroup]:
    """Group overdue ready tasks by jurisdiction, lane and candidate group, most overdue first."""
    require_role(actor, _ADMIN, "monitoring")
    rows = session.execute(
        select(TaskRow.bundle, TaskRow.lane, TaskRow.candidate_group, func.count(), func.min(TaskRow.due_at))
        .where(TaskRow.status == "ready", TaskRow.due_at <= now, visible_tasks(actor))
        .group_by(TaskRow.bundle, TaskRow.lane, TaskRow.candidate_group)).all()
    # `due_at <= now` leaves out tasks without a deadline, so each group has an oldest one; the check narrows the type.
    groups = [OverdueGroup(bundle, lane, group, count, oldest)
              for bundle, lane, group, count, oldest in rows if oldest is not None]
    return sorted(groups, key=lambda g: (g.oldest_due_at, g.bundle, g.lane or ""))


def retry(engine: Engine, session: Session, actor: Actor, instance_id: str,
          data: dict[str, Any] | None = None) -> InstanceInfo:
    """Re-run the failed element of an instance in error, optionally with corrected data (administrators)."""
    require_role(actor, _ADMIN, "retrying an instance")
    row, instance = state.load(engine, session, instance_id)
    if row.status != state.ERROR:
        raise Conflict(f"instance {instance_id} is {row.status}, not in error").keyed("error_not_in_error",
                                                                                          status=row.status)
    record(session, engine.now(), actor.username, "retry", instance_id=row.id, element=row.error_element,
           data=data or {})
    state.run_and_persist(engine, session, row, instance, actor.username, action=lambda: instance.retry(data))
    return InstanceInfo.of(row)


def cancel(engine: Engine, session: Session, actor: Actor, instance_id: str, reason: str = "") -> InstanceInfo:
    """Cancel an unfinished instance and withdraw its open tasks, giving the reason (administrators)."""
    require_role(actor, _ADMIN, "cancelling an instance")
    row, instance = state.load(engine, session, instance_id)
    if row.status in state.FINISHED:
        raise Conflict(f"instance {instance_id} is already {row.status}").keyed("error_instance_finished",
                                                                                status=row.status)
    reason = reason.strip()
    if not reason or len(reason) > _REASON_LIMIT:
        raise InvalidInput("cancelling needs a reason",
                           [FieldError("reason", f"请填写撤销原因（1 到 {_REASON_LIMIT} 个字）")])
    instance.cancel()
    row.status = state.CANCELLED
    row.ended_at = engine.now()
    state.persist(engine, session, row, instance)
    record(session, engine.now(), actor.username, "cancel", instance_id=row.id, data={"reason": reason})
    return InstanceInfo.of(row)
