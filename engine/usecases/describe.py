"""Plain-data views of engine rows, for the CLI and for logs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.store.models import AuditEvent, Deployment, InstanceRow, ProcessVersion, TaskRow, UserRow

__all__ = ["describe_audit", "describe_deployment", "describe_instance", "describe_task", "describe_user",
           "describe_version", "json_default"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def json_default(value: Any) -> Any:
    """Encode Decimal, date and datetime values for json.dumps."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def describe_deployment(row: Deployment) -> dict[str, Any]:
    """Describe a deployment without its file contents."""
    return {"id": row.id, "bundle": row.bundle, "hash": row.content_hash, "files": sorted(row.files),
            "deployed_by": row.deployed_by, "deployed_at": _iso(row.deployed_at), "note": row.note,
            "tag": row.tag}


def describe_version(row: ProcessVersion) -> dict[str, Any]:
    """Describe a process version without its spec."""
    return {"process_id": row.process_id, "version": row.version, "name": row.name, "bundle": row.bundle,
            "deployment": row.deployment_id, "hash": row.spec_hash, "lanes": row.lanes,
            "created_at": _iso(row.created_at), "created_by": row.created_by}


def describe_instance(row: InstanceRow) -> dict[str, Any]:
    """Describe an instance without its serialized state."""
    return {"id": row.id, "process_id": row.process_id, "version": row.process_version.version,
            "business_key": row.business_key, "unit": row.unit, "project_name": row.project_name,
            "status": row.status, "active_elements": row.active_elements or [], "error_element": row.error_element,
            "error_message": row.error_message, "next_timer_due_at": _iso(row.next_timer_due_at),
            "started_by": row.started_by, "created_at": _iso(row.created_at), "updated_at": _iso(row.updated_at),
            "ended_at": _iso(row.ended_at), "state_bytes": len(row.state.encode("utf-8"))}


def describe_task(row: TaskRow) -> dict[str, Any]:
    """Describe a task index row."""
    return {"id": row.id, "instance_id": row.instance_id, "process_id": row.process_id, "bundle": row.bundle,
            "business_key": row.business_key, "project_name": row.project_name, "unit": row.unit,
            "task": row.spec_id,
            "name": row.name, "lane": row.lane, "candidate_group": row.candidate_group, "assignee": row.assignee,
            "status": row.status, "due_at": _iso(row.due_at), "form": row.form, "ui_form": row.ui_form,
            "created_at": _iso(row.created_at), "claimed_by": row.claimed_by, "claimed_at": _iso(row.claimed_at),
            "completed_by": row.completed_by, "completed_at": _iso(row.completed_at), "data": row.data}


def describe_audit(row: AuditEvent) -> dict[str, Any]:
    """Describe one audit entry."""
    return {"at": _iso(row.at), "actor": row.actor, "action": row.action, "instance_id": row.instance_id,
            "task_id": row.task_id, "element": row.element, "data": row.data}


def describe_user(row: UserRow) -> dict[str, Any]:
    """Describe a user without the password hash."""
    return {"username": row.username, "display_name": row.display_name, "role": row.role, "unit": row.unit,
            "groups": row.groups, "active": row.active}
