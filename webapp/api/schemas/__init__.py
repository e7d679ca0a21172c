"""Marshmallow schemas of the API, the one set every endpoint loads and dumps with: what goes in and what
comes out, as the OpenAPI document shows it."""

from __future__ import annotations

from .errors import ErrorSchema, FieldMessageSchema
from .handover import AssignArgs, DelegationArgs, DelegationSchema
from .modeling import (
    ChangeSchema,
    CurrentArgs,
    DeployArgs,
    DeployResultSchema,
    DiffArgs,
    DiffSchema,
    DraftFileArgs,
    DraftSchema,
    MigrationArgs,
    MigrationCheckSchema,
    MigrationReportSchema,
    ProblemSchema,
    ProblemsSchema,
    RevisionArgs,
    VersionEntrySchema,
)
from .projects import ProjectListArgs, ProjectPageSchema, ProjectSchema
from .work import (
    AuditSchema,
    CalendarAnswerSchema,
    CalendarArgs,
    CancelArgs,
    CompletionSchema,
    DecisionArgs,
    DecisionResultSchema,
    HealthSchema,
    HeatMapSchema,
    InstanceDetailSchema,
    InstanceListArgs,
    InstanceSchema,
    OverdueSchema,
    SignedOutSchema,
    SignOutArgs,
    StartArgs,
    TaskDetailSchema,
    TaskListArgs,
    TaskPageSchema,
    TaskSchema,
    TimerSchema,
    TokenRequestSchema,
    TokenSchema,
    UserSchema,
    VersionLoadSchema,
    VersionSchema,
)

__all__ = [
    "AuditSchema", "CalendarAnswerSchema", "CalendarArgs", "CancelArgs", "ChangeSchema", "CompletionSchema",
    "CurrentArgs", "DecisionArgs", "DecisionResultSchema", "DeployArgs", "DeployResultSchema", "DiffArgs",
    "DiffSchema", "DraftFileArgs", "DraftSchema", "ErrorSchema", "FieldMessageSchema", "HealthSchema",
    "HeatMapSchema", "InstanceDetailSchema", "InstanceListArgs", "InstanceSchema", "MigrationArgs",
    "MigrationCheckSchema", "MigrationReportSchema", "OverdueSchema", "ProblemSchema", "ProblemsSchema",
    "RevisionArgs", "SignOutArgs", "SignedOutSchema", "StartArgs", "TaskDetailSchema", "TaskListArgs",
    "TaskPageSchema", "TaskSchema", "TimerSchema",
    "TokenRequestSchema", "TokenSchema", "UserSchema", "VersionEntrySchema", "VersionLoadSchema", "VersionSchema",
    "AssignArgs", "DelegationArgs", "DelegationSchema",
    "ProjectListArgs", "ProjectPageSchema", "ProjectSchema",
]
