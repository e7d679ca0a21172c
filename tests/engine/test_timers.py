"""Timers: deadlines on the official working-day calendar, fired only when due, by a fake clock."""

from __future__ import annotations

import shutil
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import Bundle, Conflict, Engine, FakeClock
from engine.store.audit import audit_trail
from engine.store.models import InstanceRow
from engine.tools.testing import TESTER
from engine.usecases.deployments import deploy_bundle
from engine.usecases.instances import start_project
from engine.usecases.state import get_instance
from engine.usecases.tasks import complete, instance_tasks
from engine.usecases.timers import fire_due_timers

from .helpers import SMOKE, deploy_smoke, unit


@pytest.fixture
def waiting_instance(engine: Engine, sessions: sessionmaker[Session]) -> str:
    """An instance whose contract was signed 2025-09-30, waiting 5 working days."""
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        instance_id = start_project(engine, session, TESTER, "smoke").id
        [task] = instance_tasks(session, TESTER, instance_id)
        complete(engine, session, TESTER, task.id, {"investmentWan": 120, "signedOn": "2025-09-30"})
    return instance_id


def test_next_timer_is_the_end_of_the_fifth_working_day(engine: Engine, sessions: sessionmaker[Session],
                                                        waiting_instance: str) -> None:
    with unit(sessions) as session:
        row = get_instance(session, waiting_instance)
    # Not 2025-10-07 as Monday-to-Friday counting would say: 10-01..10-08 is a holiday, 10-11 a make-up day.
    assert row.next_timer_due_at == datetime.fromisoformat("2025-10-15T00:00:00+08:00")
    assert row.status == "waiting"


def test_timer_does_not_fire_before_its_deadline(engine: Engine, sessions: sessionmaker[Session],
                                                 waiting_instance: str, clock: FakeClock) -> None:
    clock.set("2025-10-14T23:59:59+08:00")
    with unit(sessions) as session:
        assert fire_due_timers(engine, session) == []
    with unit(sessions) as session:
        assert instance_tasks(session, TESTER, waiting_instance) == []


def test_timer_fires_once_when_due_and_the_process_moves_on(engine: Engine, sessions: sessionmaker[Session],
                                                            waiting_instance: str, clock: FakeClock) -> None:
    clock.set("2025-10-15T00:00:01+08:00")
    with unit(sessions) as session:
        assert fire_due_timers(engine, session) == [waiting_instance]
    with unit(sessions) as session:
        row = get_instance(session, waiting_instance)
        assert (row.status, row.next_timer_due_at) == ("running", None)
        assert [t.spec_id for t in instance_tasks(session, TESTER, waiting_instance)] == ["Task_Review"]
        assert fire_due_timers(engine, session) == []


def test_explicit_now_is_the_time_timers_compare_against(engine: Engine, sessions: sessionmaker[Session],
                                                         waiting_instance: str) -> None:
    with unit(sessions) as session:
        fired = fire_due_timers(engine, session, datetime.fromisoformat("2025-10-20T09:00:00+08:00"))
    assert fired == [waiting_instance]


def test_only_due_instances_are_loaded(engine: Engine, sessions: sessionmaker[Session], waiting_instance: str,
                                       clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    with unit(sessions) as session:
        other = start_project(engine, session, TESTER, "smoke").id  # waiting for a person
    loaded: list[str] = []
    original = engine.load_instance

    def spy(row: InstanceRow, **options: Any) -> object:
        loaded.append(row.id)
        return original(row, **options)

    monkeypatch.setattr(engine, "load_instance", spy)
    clock.set("2025-10-16T09:00:00+08:00")
    with unit(sessions) as session:
        assert fire_due_timers(engine, session) == [waiting_instance]
    assert len(loaded) == 1
    with unit(sessions) as session:
        assert get_instance(session, other).status == "running"


def test_one_unloadable_instance_does_not_stop_the_others(engine: Engine, sessions: sessionmaker[Session],
                                                          waiting_instance: str, clock: FakeClock) -> None:
    with unit(sessions) as session:
        other = start_project(engine, session, TESTER, "smoke_acceptance").id
        get_instance(session, waiting_instance).state = "{not json"
    clock.set("2025-10-20T09:00:00+08:00")
    with unit(sessions) as session:
        assert sorted(fire_due_timers(engine, session)) == sorted([waiting_instance, other])
    with unit(sessions) as session:
        broken = get_instance(session, waiting_instance)
        assert broken.status == "error" and "timer could not run" in broken.error_message
        assert sorted(t.spec_id for t in instance_tasks(session, TESTER, other)) == ["Task_Escalate", "Task_Submit"]
        assert fire_due_timers(engine, session) == []  # the broken one is not picked again


def test_an_invalid_duration_puts_the_instance_in_error_at_the_timer(engine: Engine,
                                                                     sessions: sessionmaker[Session],
                                                                     tmp_path: Path) -> None:
    folder = tmp_path / "smoke"
    shutil.copytree(SMOKE, folder)
    path = folder / "acceptance.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace('"P5D"', '"P5X"'), encoding="utf-8")
    with unit(sessions) as session:
        deploy_bundle(engine, session, Bundle.from_directory(folder), "owner")
        instance_id = start_project(engine, session, TESTER, "smoke_acceptance").id
    with unit(sessions) as session:
        row = get_instance(session, instance_id)
        assert (row.status, row.error_element) == ("error", "Timer_Overdue")
        assert "Invalid duration" in row.error_message


def test_two_workers_fire_each_due_timer_exactly_once(engine: Engine, sessions: sessionmaker[Session],
                                                      clock: FakeClock) -> None:
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        ids = [start_project(engine, session, TESTER, "smoke_acceptance").id for _ in range(12)]
    clock.set("2025-10-20T09:00:00+08:00")
    barrier = threading.Barrier(2)
    results: list[list[str]] = []
    lost: list[str] = []

    def worker() -> None:
        barrier.wait()
        try:
            with unit(sessions) as session:
                results.append(fire_due_timers(engine, session))
        except Conflict:
            lost.append("conflict")  # SQLite: the second writer's snapshot is stale and it backs off

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with unit(sessions) as session:
        fire_due_timers(engine, session)  # whatever a backed-off worker left is fired on the next tick
        fired_events = [e for i in ids for e in audit_trail(session, i) if e.action == "timer"]
        escalations = [t for i in ids for t in instance_tasks(session, TESTER, i) if t.spec_id == "Task_Escalate"]
    assert sorted(e.instance_id for e in fired_events) == sorted(ids)
    assert len(escalations) == len(ids)
    assert sorted(i for batch in results for i in batch) == sorted(set(i for batch in results for i in batch))
