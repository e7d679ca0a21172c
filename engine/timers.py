"""Fire due timers: load only instances whose next timer is due, and run them on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .audit import record
from .clock import FakeClock
from .instances import RUNNING, WAITING, load, run_and_persist
from .models import InstanceRow
from .runtime import Engine

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
        row, instance = load(engine, session, instance_id)
        before = {element for element, _ in instance.waiting_timers()}
        run_and_persist(engine, session, row, instance, SYSTEM_ACTOR, clock=clock)
        after = {element for element, _ in instance.waiting_timers()}
        record(session, moment, SYSTEM_ACTOR, "timer", instance_id=row.id,
               data={"fired": sorted(before - after), "status": row.status})
        fired.append(instance_id)
    return fired
