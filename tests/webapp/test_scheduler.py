"""The timer job: guarded start, and firing due timers in its own unit of work."""

from __future__ import annotations

import pytest
from flask import Flask

from engine import FakeClock, unit_of_work
from engine.instances import get_instance, start_instance
from webapp import create_app
from webapp.scheduler import fire_timers_job, init_scheduler, should_start


def test_not_started_when_testing_or_disabled(app: Flask, database_url: str) -> None:
    assert not should_start(app)
    assert init_scheduler(app) is None
    disabled = create_app({"DATABASE_URL": database_url, "SCHEDULER_ENABLED": False})
    assert not should_start(disabled)
    disabled.extensions["govflow.db"].dispose()


def test_not_started_in_the_reloader_parent(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app({"DATABASE_URL": database_url, "SCHEDULER_ENABLED": False})
    app.config["SCHEDULER_ENABLED"] = True
    app.debug = True
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert not should_start(app)
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    assert should_start(app)
    app.extensions["govflow.db"].dispose()


def test_job_fires_due_timers(app: Flask) -> None:
    engine = app.extensions["govflow.engine"]
    clock = FakeClock("2025-09-30T09:00:00+08:00")
    engine.clock = clock
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        instance_id = start_instance(engine, session, "smoke_acceptance", {}, actor="clerk").id
    assert fire_timers_job(app) == []
    clock.advance(days=6)
    assert fire_timers_job(app) == [instance_id]
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        assert get_instance(session, instance_id).next_timer_due_at is None


def test_started_in_a_serving_process(database_url: str) -> None:
    app = create_app({"DATABASE_URL": database_url, "TIMER_INTERVAL_SECONDS": 60})
    scheduler = app.extensions["govflow.scheduler"]
    try:
        assert scheduler.running
        assert [job.id for job in scheduler.get_jobs()] == ["fire-due-timers"]
    finally:
        scheduler.shutdown(wait=False)
        app.extensions["govflow.db"].dispose()
