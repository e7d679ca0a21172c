"""Timers: deadlines on the official working-day calendar, fired only when due, by a fake clock."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import Engine, FakeClock
from engine.instances import get_instance, start_instance
from engine.tasks import complete_task, list_tasks
from engine.timers import fire_due_timers

from .helpers import deploy_smoke, unit


@pytest.fixture
def waiting_instance(engine: Engine, sessions: sessionmaker[Session]) -> str:
    """An instance whose contract was signed 2025-09-30, waiting 5 working days."""
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        instance_id = start_instance(engine, session, "smoke", {}, actor="clerk").id
        [task] = list_tasks(session, instance_id=instance_id)
        complete_task(engine, session, task.id, {"investmentWan": 120, "signedOn": "2025-09-30"}, user="a")
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
        assert list_tasks(session, instance_id=waiting_instance) == []


def test_timer_fires_once_when_due_and_the_process_moves_on(engine: Engine, sessions: sessionmaker[Session],
                                                            waiting_instance: str, clock: FakeClock) -> None:
    clock.set("2025-10-15T00:00:01+08:00")
    with unit(sessions) as session:
        assert fire_due_timers(engine, session) == [waiting_instance]
    with unit(sessions) as session:
        row = get_instance(session, waiting_instance)
        assert (row.status, row.next_timer_due_at) == ("running", None)
        assert [t.spec_id for t in list_tasks(session, instance_id=waiting_instance)] == ["Task_Review"]
        assert fire_due_timers(engine, session) == []


def test_explicit_now_is_the_time_timers_compare_against(engine: Engine, sessions: sessionmaker[Session],
                                                         waiting_instance: str) -> None:
    with unit(sessions) as session:
        fired = fire_due_timers(engine, session, datetime.fromisoformat("2025-10-20T09:00:00+08:00"))
    assert fired == [waiting_instance]


def test_only_due_instances_are_loaded(engine: Engine, sessions: sessionmaker[Session], waiting_instance: str,
                                       clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    with unit(sessions) as session:
        other = start_instance(engine, session, "smoke", {}, actor="clerk").id  # waiting for a person
    loaded: list[str] = []
    original = engine.load_instance

    def spy(version: object, state: str) -> object:
        loaded.append(state)
        return original(version, state)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "load_instance", spy)
    clock.set("2025-10-16T09:00:00+08:00")
    with unit(sessions) as session:
        assert fire_due_timers(engine, session) == [waiting_instance]
    assert len(loaded) == 1
    with unit(sessions) as session:
        assert get_instance(session, other).status == "running"
