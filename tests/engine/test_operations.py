"""What probes and metrics read: readiness at the schema head, and work figures including late timers."""

from __future__ import annotations

from sqlalchemy import text

from engine import Bundle
from engine.store.db import unit_of_work
from engine.store.schema import head_revision
from engine.tools.testing import ProcessHarness
from engine.usecases.operations import readiness, work_figures

from .helpers import SMOKE


def test_readiness_needs_the_schema_head(database_url: str) -> None:
    harness = ProcessHarness([], database_url=database_url)
    try:
        with unit_of_work(harness.sessions) as session:
            assert readiness(session).ready and readiness(session).schema == head_revision()
            session.execute(text("UPDATE alembic_version SET version_num = '0001_baseline'"))
            state = readiness(session)
            assert not state.ready and "govflow db upgrade" in state.reason
            session.rollback()
    finally:
        harness.close()


def test_work_figures_count_instances_tasks_and_how_late_a_due_timer_is(database_url: str) -> None:
    harness = ProcessHarness([Bundle.from_directory(SMOKE, "smoke")], database_url=database_url)
    try:
        run = harness.start("smoke_acceptance")
        due = run.instance().next_timer_due_at
        assert due is not None
        with unit_of_work(harness.sessions) as session:
            figures = work_figures(session, harness.clock.now())
        assert figures.instances == {"running": 1} and figures.ready_tasks == 1 and figures.timer_lag_seconds == 0
        harness.clock.set(due)
        harness.clock.advance(seconds=90)  # due, and nobody fired it
        with unit_of_work(harness.sessions) as session:
            assert work_figures(session, harness.clock.now()).timer_lag_seconds == 90
        harness.fire_timers()
        run.complete("Task_Submit", {"confirmed": True})
        with unit_of_work(harness.sessions) as session:
            after = work_figures(session, harness.clock.now())
        assert after.timer_lag_seconds == 0 and after.completed_tasks == 1
    finally:
        harness.close()
