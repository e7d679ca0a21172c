"""Govflow engine: versioned BPMN/DMN deployments, durable instances, task index, timers.

The web app and the CLI use only the names exported here and the service
modules (`deployments`, `instances`, `tasks`, `timers`, `decisions`).
"""

from engine.calendar import BusinessCalendar, CalendarError
from engine.clock import Clock, FakeClock, SystemClock
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
)
from engine.settings import Settings
from engine.spiff.bundle import Bundle
from engine.spiff.runtime import Engine
from engine.store.db import init_db, make_db_engine, make_session_factory, unit_of_work

__all__ = [
    "Bundle",
    "BusinessCalendar",
    "CalendarError",
    "Clock",
    "Conflict",
    "DecisionError",
    "DeploymentError",
    "Engine",
    "FakeClock",
    "FieldError",
    "GovflowError",
    "InvalidInput",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "ProcessError",
    "Settings",
    "SystemClock",
    "init_db",
    "make_db_engine",
    "make_session_factory",
    "unit_of_work",
]
