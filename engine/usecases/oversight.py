"""What the instance and monitoring pages show: position on the diagram, history, heat maps, overdue work."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.spiff.runtime import Engine
from engine.store.audit import audit_trail
from engine.store.models import AuditEvent, InstanceRow, ProcessVersion, TaskRow
from engine.usecases import instances, state
from engine.usecases.access import Actor, check_instance, require_role, visible_instances, visible_tasks
from engine.usecases.deployments import get_version, list_versions

__all__ = ["HeatMap", "InstanceView", "OverdueGroup", "VersionLoad", "cancel", "diagram_xml", "heat_map",
           "instance_view", "list_visible_instances", "overdue_by_agency", "retry", "version_loads"]

_FINISHED = (state.COMPLETED, state.CANCELLED)
_ADMIN = ("admin",)


@dataclass(frozen=True)
class InstanceView:
    """One instance as its page shows it."""

    row: InstanceRow
    diagram: str
    executed: list[str]
    active: list[str]
    failed: list[str]
    timers: list[tuple[str, datetime]]
    open_tasks: list[TaskRow]
    trail: list[AuditEvent]

    @property
    def decisions(self) -> list[AuditEvent]:
        """Return the decisions taken, with inputs and outputs, oldest first."""
        return [event for event in self.trail if event.action == "decide"]


@dataclass(frozen=True)
class VersionLoad:
    """How many unfinished instances a process version carries, and how many are in error."""

    version: ProcessVersion
    running: int
    errors: int


@dataclass(frozen=True)
class HeatMap:
    """Unfinished instances per element of one process version, with those in error."""

    version: ProcessVersion
    diagram: str
    counts: dict[str, int]
    total: int
    errors: list[InstanceRow]


@dataclass(frozen=True)
class OverdueGroup:
    """Overdue ready tasks of one agency (lane) and candidate group."""

    bundle: str
    lane: str | None
    candidate_group: str | None
    count: int
    oldest_due_at: datetime


def diagram_xml(version: ProcessVersion) -> str:
    """Return the BPMN file of the deployment that defines this version's process."""
    marker = re.compile(rf'<(?:\w+:)?process\b[^>]*\bid="{re.escape(version.process_id)}"')
    for path, text in sorted(version.deployment.files.items()):
        if path.endswith(".bpmn") and marker.search(text):
            return text
    raise NotFound(f"no diagram of {version.process_id} in deployment {version.deployment_id}")


def instance_view(engine: Engine, session: Session, actor: Actor, instance_id: str) -> InstanceView:
    """Return a visible instance with its position, timers, open tasks and audit trail."""
    row = check_instance(session, actor, state.get_instance(session, instance_id))
    _, instance = state.load(engine, session, instance_id)
    open_tasks = list(session.scalars(select(TaskRow).where(
        TaskRow.instance_id == row.id, TaskRow.status == "ready").order_by(TaskRow.created_at)))
    return InstanceView(row, diagram_xml(row.process_version), instance.executed_elements(),
                        list(row.active_elements or []), instance.failed_elements() or
                        ([row.error_element] if row.status == state.ERROR and row.error_element else []),
                        instance.waiting_timers(), open_tasks, audit_trail(session, row.id))


def list_visible_instances(session: Session, actor: Actor, *, process_id: str | None = None,
                           status: str | None = None, business_key: str | None = None, page: int = 1,
                           per_page: int = 25) -> tuple[list[InstanceRow], int]:
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
    return list(rows), total


def version_loads(session: Session, actor: Actor) -> list[VersionLoad]:
    """Return every process version with its unfinished and failed instance counts (administrators)."""
    require_role(actor, _ADMIN, "monitoring")
    counts = dict(((vid, status), n) for vid, status, n in session.execute(
        select(InstanceRow.process_version_id, InstanceRow.status, func.count())
        .group_by(InstanceRow.process_version_id, InstanceRow.status)).all())
    loads = []
    for version in list_versions(session):
        running = sum(n for (vid, status), n in counts.items() if vid == version.id and status not in _FINISHED)
        loads.append(VersionLoad(version, running, counts.get((version.id, state.ERROR), 0)))
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
    errors = list(session.scalars(select(InstanceRow).where(
        InstanceRow.process_version_id == version.id, InstanceRow.status == state.ERROR)
        .order_by(InstanceRow.updated_at.desc())))
    return HeatMap(version, diagram_xml(version), dict(counts), total, errors)


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


def retry(engine: Engine, session: Session, actor: Actor, instance_id: str) -> InstanceRow:
    """Re-run the failed element of an instance in error (administrators)."""
    require_role(actor, _ADMIN, "retrying an instance")
    return instances.retry_instance(engine, session, instance_id, actor=actor.username)


def cancel(engine: Engine, session: Session, actor: Actor, instance_id: str, reason: str = "") -> InstanceRow:
    """Cancel an unfinished instance (administrators)."""
    require_role(actor, _ADMIN, "cancelling an instance")
    return instances.cancel_instance(engine, session, instance_id, actor=actor.username, reason=reason)
