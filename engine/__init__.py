"""Govflow engine: versioned BPMN/DMN deployments, durable instances, task index, timers.

The web app and the CLI use only the names exported here and the service
modules (`deployments`, `instances`, `tasks`, `timers`, `decisions`).
"""

from .bundle import Bundle
from .calendar import BusinessCalendar, CalendarError
from .clock import Clock, FakeClock, SystemClock
from .db import init_db, make_db_engine, make_session_factory, unit_of_work
from .errors import (
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
from .runtime import Engine
from .settings import Settings

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
