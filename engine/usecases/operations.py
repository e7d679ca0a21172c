"""What an operator's probes and metrics read: is the database reachable and current, how is the work going.

Every figure comes from the database, so each of several app processes answers the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine.store.models import InstanceRow, TaskRow
from engine.store.schema import current_revision, head_revision
from engine.usecases.state import RUNNING, WAITING

__all__ = ["Readiness", "WorkFigures", "readiness", "work_figures"]


@dataclass(frozen=True)
class Readiness:
    """Whether this process can serve: the database answers and its schema is the one the code needs."""

    ready: bool
    reason: str
    schema: str | None


@dataclass(frozen=True)
class WorkFigures:
    """Counts for monitoring: instances by status, open tasks, completions so far, how late timers are."""

    instances: dict[str, int]
    ready_tasks: int
    completed_tasks: int
    timer_lag_seconds: float


def readiness(session: Session) -> Readiness:
    """Check the database connection and the schema revision."""
    try:
        revision = current_revision(session.connection())
    except SQLAlchemyError as exc:
        return Readiness(False, f"database unreachable: {type(exc).__name__}", None)
    if revision != head_revision():
        return Readiness(False, f"schema at {revision}, needs {head_revision()}: run `govflow db upgrade`",
                         revision)
    return Readiness(True, "ok", revision)


def work_figures(session: Session, now: datetime) -> WorkFigures:
    """Count instances by status and tasks, and measure the oldest due timer not yet fired."""
    by_status = dict(session.execute(select(InstanceRow.status, func.count()).group_by(InstanceRow.status)).all())
    tasks = dict(session.execute(select(TaskRow.status, func.count()).group_by(TaskRow.status)).all())
    oldest_due = session.scalar(select(func.min(InstanceRow.next_timer_due_at)).where(
        InstanceRow.status.in_([RUNNING, WAITING]), InstanceRow.next_timer_due_at <= now))
    lag = max(0.0, (now - oldest_due).total_seconds()) if oldest_due is not None else 0.0
    return WorkFigures({str(k): int(v) for k, v in by_status.items()}, int(tasks.get("ready", 0)),
                       int(tasks.get("completed", 0)), lag)
