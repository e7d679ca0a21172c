"""Check that the database tells one story: every instance's task index, status and next timer agree with
its stored state, every acknowledged completion was kept, and no timer fired twice.

Run after a crash, a restore or a scale-out test (`govflow check-consistency`, `bench/scaleout.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.spiff.runtime import Engine
from engine.store.models import AuditEvent, InstanceRow, TaskRow
from engine.usecases import state

__all__ = ["ConsistencyReport", "check_consistency"]


@dataclass
class ConsistencyReport:
    """What was checked and every disagreement found (empty when the story holds)."""

    instances: int = 0
    tasks: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        """Tell whether nothing disagreed."""
        return not self.problems


def check_consistency(engine: Engine, session: Session, acknowledged: Iterable[str] = (),
                      timers_fire_once: bool = True) -> ConsistencyReport:
    """Compare every instance's state with its rows; check acknowledged task completions are stored."""
    report = ConsistencyReport()
    for row in session.scalars(select(InstanceRow).order_by(InstanceRow.id)):
        report.instances += 1
        try:
            _, instance = state.load(engine, session, row.id)
        except Exception as exc:  # an unloadable state is exactly what this check exists to find
            report.problems.append(f"instance {row.id}: state does not load: {type(exc).__name__}: {exc}")
            continue
        in_state = {task.id for task in instance.ready_human_tasks()} if row.status not in state.FINISHED else set()
        indexed = set(session.scalars(select(TaskRow.id).where(TaskRow.instance_id == row.id,
                                                               TaskRow.status == "ready")))
        if in_state != indexed:
            report.problems.append(f"instance {row.id}: ready tasks in state {sorted(in_state)} but in the index "
                                   f"{sorted(indexed)}")
        expected_due = None if row.status in state.FINISHED else instance.next_timer_due()
        if row.status not in (state.CANCELLED, state.ERROR) and expected_due != row.next_timer_due_at:
            report.problems.append(f"instance {row.id}: next timer {row.next_timer_due_at} stored, "
                                   f"{expected_due} in state")
    report.tasks = len(list(session.scalars(select(TaskRow.id))))
    for task_id in acknowledged:
        task = session.get(TaskRow, task_id)
        if task is None or task.status != "completed":
            report.problems.append(f"task {task_id}: its completion was acknowledged but is "
                                   f"{'missing' if task is None else task.status}")
    if timers_fire_once:
        # Only for processes without timer loops: a timer met again on a loop rightly fires again.
        fired = Counter((event.instance_id, element) for event in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "timer")) for element in (event.data or {}).get("fired", []))
        report.problems += [f"instance {instance_id}: timer {element} fired {count} times"
                            for (instance_id, element), count in sorted(fired.items(), key=str) if count > 1]
    return report
