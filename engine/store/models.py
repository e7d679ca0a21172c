"""Database tables: deployments, versions, instances, the task index and the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "AuditEvent",
    "UserRow",
    "Base",
    "CurrentVersion",
    "DecisionVersion",
    "Delegation",
    "Deployment",
    "Draft",
    "IdempotentResponse",
    "InstanceRow",
    "ProcessVersion",
    "ProjectRow",
    "TaskRow",
    "UTCDateTime",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; SQLite returns them naive, so mark them UTC again."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every Govflow table."""


class Deployment(Base):
    """An immutable snapshot of one bundle's files."""

    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("bundle", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle: Mapped[str] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    tag: Mapped[str] = mapped_column(String(64), default="")


class ProcessVersion(Base):
    """One version of one process; the spec is stored here once, not in each instance."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(256))
    bundle: Mapped[str] = mapped_column(String(64), index=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"))
    spec_json: Mapped[str] = mapped_column(Text)
    spec_hash: Mapped[str] = mapped_column(String(64))
    lanes: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)  # {process id: {lane: group}}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))

    # Loaded only on a cache miss: a deployment carries every file of its bundle.
    deployment: Mapped[Deployment] = relationship(lazy="select")


class CurrentVersion(Base):
    """Which version of a process new instances start on; absent means the newest."""

    __tablename__ = "current_version"

    process_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)

    process_version: Mapped[ProcessVersion] = relationship(lazy="joined", innerjoin=True)


class Draft(Base):
    """A bundle being edited: never live until it is deployed as new versions."""

    __tablename__ = "draft"

    bundle: Mapped[str] = mapped_column(String(64), primary_key=True)
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    # The deployment the draft was opened from, so a deploy can tell what it changes.
    base_deployment_id: Mapped[int | None] = mapped_column(ForeignKey("deployment.id"))
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Two editors saving over each other: the stale save matches no row and becomes a 409.
    __mapper_args__ = {"version_id_col": revision}


class DecisionVersion(Base):
    """One version of one DMN decision."""

    __tablename__ = "decision_version"
    __table_args__ = (UniqueConstraint("decision_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(256))
    bundle: Mapped[str] = mapped_column(String(64))
    file_path: Mapped[str] = mapped_column(String(256))
    content_hash: Mapped[str] = mapped_column(String(64))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Loaded only on a cache miss: a deployment carries every file of its bundle.
    deployment: Mapped[Deployment] = relationship(lazy="select")


class InstanceRow(Base):
    """A running or finished process instance; `state` excludes the spec."""

    __tablename__ = "instance"
    __table_args__ = (Index("ix_instance_status_timer", "status", "next_timer_due_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(128), index=True)
    business_key: Mapped[str | None] = mapped_column(String(128), index=True)
    # The applicant unit that owns the project: its clerks alone see its applicant tasks.
    unit: Mapped[str | None] = mapped_column(String(128), index=True)
    project_name: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Where the instance stands (ready tasks, waiting events, the failed element): read by the heat map.
    active_elements: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    next_timer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    error_element: Mapped[str | None] = mapped_column(String(128))
    error_message: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    process_version: Mapped[ProcessVersion] = relationship(lazy="joined", innerjoin=True)

    # Optimistic locking: a stale writer's UPDATE matches no row and fails loudly.
    __mapper_args__ = {"version_id_col": version}


class TaskRow(Base):
    """The inbox index: one row per human task that became ready."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_group_status", "candidate_group", "status"),
        Index("ix_task_assignee_status", "assignee", "status"),
        Index("ix_task_completed_by_status", "completed_by", "status"),  # 我经办的: what I completed
        Index("ix_task_unit_group_status", "unit", "candidate_group", "status"),  # 我经办的: my unit's group work
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(128))
    # Copied from the instance so the inbox filters and searches without joining or loading state.
    bundle: Mapped[str] = mapped_column(String(64), index=True)
    business_key: Mapped[str | None] = mapped_column(String(128))
    project_name: Mapped[str | None] = mapped_column(String(256))
    unit: Mapped[str | None] = mapped_column(String(128))
    spec_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    lane: Mapped[str | None] = mapped_column(String(128))
    candidate_group: Mapped[str | None] = mapped_column(String(128))
    assignee: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    form: Mapped[str | None] = mapped_column(String(256))
    ui_form: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The version whose forms the task was worked with: an instance migrated later still shows its passed
    # steps with the forms that ran them. Empty for rows indexed before the column existed.
    process_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_version.id", name="fk_task_process_version_id"))
    process_version: Mapped[ProcessVersion | None] = relationship()


class ProjectRow(Base):
    """The project index: one row per instance, what the project lists show, kept in step with the state.

    Every sort has a non-null key column (`due_key`, `amount_key`) so one index serves both the order and
    keyset paging on SQLite and PostgreSQL alike (they order NULLs differently).
    """

    __tablename__ = "project"
    __table_args__ = (
        Index("ix_project_bundle_created", "bundle", "created_at", "instance_id"),
        Index("ix_project_bundle_due", "bundle", "due_key", "instance_id"),
        Index("ix_project_bundle_amount", "bundle", "amount_key", "instance_id"),
        Index("ix_project_unit_created", "unit", "created_at", "instance_id"),
        Index("ix_project_unit_due", "unit", "due_key", "instance_id"),
        Index("ix_project_unit_amount", "unit", "amount_key", "instance_id"),
        Index("ix_project_created", "created_at", "instance_id"),
        Index("ix_project_due", "due_key", "instance_id"),
        Index("ix_project_amount", "amount_key", "instance_id"),
    )

    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id", name="fk_project_instance_id"),
                                             primary_key=True)
    bundle: Mapped[str] = mapped_column(String(64))
    process_id: Mapped[str] = mapped_column(String(128))
    process_name: Mapped[str] = mapped_column(String(256))
    business_key: Mapped[str | None] = mapped_column(String(128))
    project_name: Mapped[str | None] = mapped_column(String(256))
    unit: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    # Where the project stands: the element it waits at (its open task, a timer) by id and by name.
    stage_element: Mapped[str | None] = mapped_column(String(128))
    stage: Mapped[str | None] = mapped_column(String(256))
    # The open task due first, and the agency (lane name) that works it.
    next_task_id: Mapped[str | None] = mapped_column(String(36))
    next_step: Mapped[str | None] = mapped_column(String(256))
    next_agency: Mapped[str | None] = mapped_column(String(128))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_key: Mapped[datetime] = mapped_column(UTCDateTime)  # due_at, or the far future when none
    plan_year: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # 万元
    amount_key: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # amount, or -1 when none
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Append-only record of who did what to which instance or task."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    instance_id: Mapped[str | None] = mapped_column(String(32), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    element: Mapped[str | None] = mapped_column(String(128))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Whom the actor stood in for under a delegation (委托): "X on behalf of Y".
    on_behalf_of: Mapped[str | None] = mapped_column(String(64))


class UserRow(Base):
    """A person who signs in: candidate groups decide which tasks they see."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(128))
    groups: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    email: Mapped[str | None] = mapped_column(String(254))  # where notifications are mailed; none: no e-mail
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The candidate groups this user leads: a leader hands the group's tasks to its members.
    leads: Mapped[list[str]] = mapped_column(JSON, default=list)


class Delegation(Base):
    """A user's tasks handed to a colleague for a period (委托), optionally within a jurisdiction or process."""

    __tablename__ = "delegation"
    __table_args__ = (Index("ix_delegation_delegate_period", "delegate", "starts_on", "ends_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delegator: Mapped[str] = mapped_column(String(64), index=True)
    delegate: Mapped[str] = mapped_column(String(64))
    # Local dates, both inclusive: the delegate stands in from the first day to the end of the last.
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    bundle: Mapped[str | None] = mapped_column(String(64))
    process_id: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(64))


class SignInFailure(Base):
    """One failed sign-in, counted against the account and against the client address for a while."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_subject_at", "subject", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))  # "user:<name>" or "address:<ip>"
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInSession(Base):
    """A browser sign-in or an API token, held on the server so that signing out ends every copy of it."""

    __tablename__ = "sign_in_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the secret the client holds
    username: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # browser | token
    credential_stamp: Mapped[str] = mapped_column(String(16))  # of the password it was opened with
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotentResponse(Base):
    """The stored result of a completion sent with an Idempotency-Key, replayed on a retry.

    `body` holds the typed result as JSON. `status` is left from when HTTP answers were stored here: the
    column stays (no schema change without a migration), gets a constant and is never read.
    """

    __tablename__ = "idempotent_response"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
