"""What use cases hand out: frozen, typed copies of stored rows, so no table row leaves the engine.

A snapshot is taken when a use case returns; later changes to the database do not reach it. Pages,
the API, the CLI and the test harness all read these, never the tables behind them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.store.models import AuditEvent, DecisionVersion, Deployment, InstanceRow, ProcessVersion, TaskRow, UserRow

__all__ = ["AuditEntry", "DecisionVersionInfo", "DeploymentInfo", "InstanceInfo", "TaskInfo", "UserInfo",
           "VersionInfo"]


@dataclass(frozen=True)
class VersionInfo:
    """One deployed version of one process, without its spec."""

    process_id: str
    version: int
    name: str
    bundle: str
    deployment_id: int
    spec_hash: str
    lanes: dict[str, dict[str, str]]  # {process id: {lane: candidate group}}
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, row: ProcessVersion) -> VersionInfo:
        """Copy a stored process version."""
        return cls(row.process_id, row.version, row.name, row.bundle, row.deployment_id, row.spec_hash,
                   {process: dict(lanes) for process, lanes in row.lanes.items()}, row.created_at, row.created_by)


@dataclass(frozen=True)
class DeploymentInfo:
    """One deployment of a bundle: who, when, why, and the paths of its files."""

    id: int
    bundle: str
    content_hash: str
    files: tuple[str, ...]
    deployed_by: str
    deployed_at: datetime
    note: str
    tag: str

    @classmethod
    def of(cls, row: Deployment) -> DeploymentInfo:
        """Copy a stored deployment, naming its files without their contents."""
        return cls(row.id, row.bundle, row.content_hash, tuple(sorted(row.files)), row.deployed_by, row.deployed_at,
                   row.note, row.tag)


@dataclass(frozen=True)
class DecisionVersionInfo:
    """One deployed version of one DMN decision."""

    decision_id: str
    version: int
    name: str
    bundle: str

    @classmethod
    def of(cls, row: DecisionVersion) -> DecisionVersionInfo:
        """Copy a stored decision version."""
        return cls(row.decision_id, row.version, row.name, row.bundle)


@dataclass(frozen=True)
class InstanceInfo:
    """One project's instance of a process version, without its workflow state."""

    id: str
    process_id: str
    process_name: str
    version: int
    bundle: str
    business_key: str | None
    unit: str | None
    project_name: str | None
    status: str
    active_elements: tuple[str, ...]
    error_element: str | None
    error_message: str | None
    next_timer_due_at: datetime | None
    started_by: str
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None

    @classmethod
    def of(cls, row: InstanceRow) -> InstanceInfo:
        """Copy a stored instance with the name and number of the version it runs on."""
        version = row.process_version
        return cls(row.id, row.process_id, version.name, version.version, version.bundle, row.business_key, row.unit,
                   row.project_name, row.status, tuple(row.active_elements or ()), row.error_element,
                   row.error_message, row.next_timer_due_at, row.started_by, row.created_at, row.updated_at,
                   row.ended_at)


@dataclass(frozen=True)
class TaskInfo:
    """One human task from the task index; `spec_id` is the task's element id in the diagram."""

    id: str
    instance_id: str
    process_id: str
    bundle: str
    business_key: str | None
    project_name: str | None
    unit: str | None
    spec_id: str
    name: str
    lane: str | None
    candidate_group: str | None
    assignee: str | None
    status: str
    due_at: datetime | None
    form: str | None
    ui_form: str | None
    created_at: datetime
    claimed_by: str | None
    claimed_at: datetime | None
    completed_by: str | None
    completed_at: datetime | None
    data: dict[str, Any] | None

    @classmethod
    def of(cls, row: TaskRow) -> TaskInfo:
        """Copy a task index row."""
        return cls(row.id, row.instance_id, row.process_id, row.bundle, row.business_key, row.project_name, row.unit,
                   row.spec_id, row.name, row.lane, row.candidate_group, row.assignee, row.status, row.due_at,
                   row.form, row.ui_form, row.created_at, row.claimed_by, row.claimed_at, row.completed_by,
                   row.completed_at, dict(row.data) if row.data is not None else None)


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit trail: who did what, when, to which instance, task or element."""

    at: datetime
    actor: str
    action: str
    instance_id: str | None
    task_id: str | None
    element: str | None
    data: dict[str, Any] | None
    on_behalf_of: str | None = None

    @classmethod
    def of(cls, row: AuditEvent) -> AuditEntry:
        """Copy a stored audit event."""
        return cls(row.at, row.actor, row.action, row.instance_id, row.task_id, row.element,
                   dict(row.data) if row.data is not None else None, row.on_behalf_of)


@dataclass(frozen=True)
class UserInfo:
    """A person who signs in, without the password hash.

    `credential_stamp` changes whenever the password does: a bearer token carries it, so a new
    password ends every token issued under the old one. It stays out of the repr and of JSON.
    """

    username: str
    display_name: str
    role: str
    unit: str | None
    groups: tuple[str, ...]
    active: bool
    credential_stamp: str = field(repr=False, default="")
    leads: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: UserRow) -> UserInfo:
        """Copy a stored user, keeping only a stamp of the password hash."""
        stamp = hashlib.sha256(row.password_hash.encode()).hexdigest()[:16]
        return cls(row.username, row.display_name, row.role, row.unit, tuple(row.groups or ()), row.active, stamp,
                   tuple(row.leads or ()))
