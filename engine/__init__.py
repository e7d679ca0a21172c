"""Govflow engine: versioned BPMN/DMN deployments, durable instances, task index, timers.

This module is the engine's public face: the web app imports ``engine`` and nothing below it
(a test keeps it so). Inside, each folder is one layer and imports only the layers beneath it::

    tools/      for people outside the web app: the CLI, the test harness, diagram authoring, trace reports
    usecases/   what people and jobs do, checked against the actor; they flush, never commit, and hand out
                typed snapshots, never table rows
    spiff/      the SpiffWorkflow boundary: bundles, safe XML, compiler, DMN, sandbox, serialization,
                the Instance wrapper and the Engine that hands instances out
    store/      tables, database sessions and the unit of work, the audit trail
    errors, settings, calendar, clock, forms, typerefs, conventions    primitives every layer may use
    deadlines   the display rule of due dates (the last day), also a primitive
"""

from engine import conventions, limits
from engine.calendar import BusinessCalendar, CalendarError
from engine.clock import Clock, FakeClock, SystemClock
from engine.deadlines import DueDay, due_day, moment_text
from engine.errors import (
    Conflict,
    DecisionError,
    DeploymentError,
    FieldError,
    GovflowError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Problem,
    ProcessError,
    StateFormatError,
    TooManyAttempts,
)
from engine.settings import Settings
from engine.spiff.bundle import Bundle
from engine.spiff.internals import install as install_spiff_patches
from engine.spiff.labels import Labels, is_period_or_date
from engine.spiff.runtime import Engine
from engine.store.db import init_db, lost_races_as_conflicts, make_db_engine, make_session_factory, unit_of_work
from engine.usecases import (
    dashboard,
    decisions,
    delegations,
    delivery,
    deployments,
    drafts,
    inbox,
    instances,
    migration,
    naming,
    notifications,
    operations,
    oversight,
    projects,
    reminders,
    signin,
    tasks,
    timers,
    users,
    versiondiff,
    withdrawal,
)
from engine.usecases.access import Actor
from engine.usecases.deployments import DeployResult
from engine.usecases.describe import json_default
from engine.usecases.snapshots import (
    AuditEntry,
    DecisionVersionInfo,
    DeploymentInfo,
    InstanceInfo,
    TaskInfo,
    UserInfo,
    VersionInfo,
)
from engine.usecases.tasks import Completion

__all__ = [
    "Actor",
    "AuditEntry",
    "Bundle",
    "BusinessCalendar",
    "CalendarError",
    "Clock",
    "Completion",
    "Conflict",
    "DecisionError",
    "DecisionVersionInfo",
    "DeployResult",
    "DeploymentError",
    "DeploymentInfo",
    "DueDay",
    "Engine",
    "FakeClock",
    "FieldError",
    "GovflowError",
    "InstanceInfo",
    "InvalidInput",
    "Labels",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "ProcessError",
    "Settings",
    "StateFormatError",
    "SystemClock",
    "TaskInfo",
    "TooManyAttempts",
    "UserInfo",
    "VersionInfo",
    "conventions",
    "dashboard",
    "decisions",
    "delegations",
    "delivery",
    "deployments",
    "drafts",
    "due_day",
    "inbox",
    "init_db",
    "install_spiff_patches",
    "instances",
    "is_period_or_date",
    "json_default",
    "limits",
    "lost_races_as_conflicts",
    "make_db_engine",
    "make_session_factory",
    "migration",
    "moment_text",
    "naming",
    "notifications",
    "operations",
    "oversight",
    "projects",
    "reminders",
    "signin",
    "tasks",
    "timers",
    "unit_of_work",
    "users",
    "versiondiff",
    "withdrawal",
]
