"""Fire due timers: load only instances whose next timer is due, and run them on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine.clock import FakeClock
from engine.spiff.runtime import Engine
from engine.store.audit import record
from engine.store.models import InstanceRow
from engine.usecases.state import ERROR, RUNNING, WAITING, load, run_and_persist

__all__ = ["fire_due_timers"]

SYSTEM_ACTOR = "system:timer"


def fire_due_timers(engine: Engine, session: Session, now: datetime | None = None, limit: int = 500) -> list[str]:
    """Run every instance with a timer due at `now` (default: the engine clock); return their ids.

    Due rows are locked with SKIP LOCKED where the database supports it, so two
    schedulers sharing a database never fire the same timer twice.
    """
    moment = now or engine.now()
    # An explicit `now` must also be the time the timers compare against.
    clock = FakeClock(moment) if now is not None else None
    query = (select(InstanceRow.id)
             .where(InstanceRow.next_timer_due_at <= moment,
                    InstanceRow.status.in_([RUNNING, WAITING]))
             .order_by(InstanceRow.next_timer_due_at)
             .limit(limit)
             .with_for_update(skip_locked=True))
    fired: list[str] = []
    for instance_id in list(session.scalars(query)):
        # A savepoint per instance: one instance that cannot even be loaded or saved must
        # not keep every other due timer from firing.
        savepoint = session.begin_nested()
        try:
            row, instance = load(engine, session, instance_id, clock=clock)
            if not _still_due(row, moment):
                # Where rows cannot be locked (SQLite), another scheduler may have fired it since the query.
                savepoint.rollback()
                continue
            before = {element for element, _ in instance.waiting_timers()}
            run_and_persist(engine, session, row, instance, SYSTEM_ACTOR)
            after = {element for element, _ in instance.waiting_timers()}
            record(session, moment, SYSTEM_ACTOR, "timer", instance_id=row.id,
                   data={"fired": sorted(before - after), "status": row.status})
            savepoint.commit()
        except SQLAlchemyError:
            savepoint.rollback()
            raise  # a database failure or a lost race is not the instance's fault
        except Exception as exc:
            savepoint.rollback()
            _mark_broken(session, instance_id, moment, exc)
        fired.append(instance_id)
    return fired


def _still_due(row: InstanceRow, moment: datetime) -> bool:
    due = row.next_timer_due_at
    return row.status in (RUNNING, WAITING) and due is not None and due <= moment


def _mark_broken(session: Session, instance_id: str, moment: datetime, exc: Exception) -> None:
    row = session.get(InstanceRow, instance_id)
    if row is None:
        return
    row.status, row.error_element = ERROR, None
    row.error_message = f"timer could not run: {type(exc).__name__}: {exc}"
    row.updated_at = moment
    record(session, moment, SYSTEM_ACTOR, "error", instance_id=instance_id, data={"message": row.error_message})
