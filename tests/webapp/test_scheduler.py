"""The timer job: guarded start, and firing due timers in its own unit of work."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from engine import Conflict, FakeClock, unit_of_work
from engine.store.audit import audit_trail
from engine.tools.testing import TESTER
from engine.usecases.instances import start_project
from engine.usecases.state import get_instance
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
        instance_id = start_project(engine, session, TESTER, "smoke_acceptance").id
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
        assert sorted(job.id for job in scheduler.get_jobs()) == ["fire-due-timers", "notify"]
    finally:
        scheduler.shutdown(wait=False)
        app.extensions["govflow.db"].dispose()


def test_two_app_processes_fire_each_due_timer_exactly_once(app: Flask, database_url: str) -> None:
    """Two apps with their own connection pools, as two worker processes have, run the job at once."""
    engine = app.extensions["govflow.engine"]
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        ids = [start_project(engine, session, TESTER, "smoke_acceptance").id for _ in range(10)]
    other = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x", "ENGINE": engine})
    engine.clock.set("2025-10-20T09:00:00+08:00")
    barrier = threading.Barrier(2)
    fired: list[list[str]] = []

    def worker(application: Flask) -> None:
        barrier.wait()
        try:
            fired.append(fire_timers_job(application))
        except Conflict:
            fired.append([])  # SQLite lets one writer through; the other backs off until the next tick

    threads = [threading.Thread(target=worker, args=(a,)) for a in (app, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fired.append(fire_timers_job(other))  # the next tick picks up whatever a backed-off worker left
    other.extensions["govflow.db"].dispose()
    all_fired = [i for batch in fired for i in batch]
    assert sorted(all_fired) == sorted(ids)  # every instance once, none twice
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        timer_events = [e for i in ids for e in audit_trail(session, i) if e.action == "timer"]
    assert len(timer_events) == len(ids)
