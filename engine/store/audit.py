"""Append to the audit trail; entries are never updated or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import AuditEvent

__all__ = ["audit_trail", "process_changes", "record"]

# Operations on a whole process rather than one instance: deploys, current-version changes, migrations.
_PROCESS_ACTIONS = ("deploy", "make-current", "migrate-batch")


def record(session: Session, at: datetime, actor: str, action: str, *, instance_id: str | None = None,
           task_id: str | None = None, element: str | None = None,
           data: dict[str, Any] | None = None, on_behalf_of: str | None = None) -> AuditEvent:
    """Add one audit entry to the current unit of work."""
    event = AuditEvent(at=at, actor=actor, action=action, instance_id=instance_id, task_id=task_id,
                       element=element, data=data, on_behalf_of=on_behalf_of)
    session.add(event)
    return event


def audit_trail(session: Session, instance_id: str) -> list[AuditEvent]:
    """Return an instance's audit entries, oldest first."""
    query = select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
    return list(session.scalars(query))


def process_changes(session: Session, process_id: str, limit: int = 50) -> list[AuditEvent]:
    """Return the deploys, rollbacks and migrations that touched a process, newest first."""
    query = select(AuditEvent).where(AuditEvent.action.in_(_PROCESS_ACTIONS)).order_by(AuditEvent.id.desc())
    found = []
    for event in session.scalars(query.limit(limit * 20)):
        data = event.data or {}
        if event.element == process_id or process_id in (data.get("versions") or {}):
            found.append(event)
            if len(found) == limit:
                break
    return found
