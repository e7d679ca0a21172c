"""One lock order for every writer: an instance row before its task rows, so no two units of work deadlock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine as DbEngine

from engine import Bundle, Conflict
from engine.tools.testing import ProcessHarness

from .helpers import SMOKE

ACCEPTANCE = "bpmn/acceptance.bpmn"
_DEADLOCK = "40P01"


@pytest.fixture
def harness(database_url: str) -> Iterator[ProcessHarness]:
    """Return a harness with the smoke bundle deployed, closed after the test."""
    h = ProcessHarness([Bundle.from_directory(SMOKE, "smoke")], database_url=database_url)
    yield h
    h.close()


def _wait_until_someone_waits_for_a_lock(db: DbEngine) -> None:
    if db.dialect.name != "postgresql":
        time.sleep(0.5)  # SQLite has one writer at a time and no view of who waits; give the clerk time to queue
        return
    deadline = time.monotonic() + 10
    with db.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(text(
                "select count(*) from pg_stat_activity where datname = current_database() "
                "and wait_event_type = 'Lock'")).scalar_one()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the clerk's completion never waited for the migration's lock")


def test_a_completion_waits_behind_a_migration_that_holds_the_instance_instead_of_deadlocking(
        harness: ProcessHarness) -> None:
    run = harness.start("smoke_acceptance")
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    texts[ACCEPTANCE] = texts[ACCEPTANCE].replace('name="提交验收申请"', 'name="提交验收申请（修订）"')
    assert harness.deploy(Bundle.from_texts("smoke", texts)) == {"smoke_acceptance": 2}

    migration_holds_instance, go_on = threading.Event(), threading.Event()
    database_errors: list[str] = []

    def pause_after_the_instance_update(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.current_thread().name == "migration" and statement.startswith("UPDATE instance"):
            migration_holds_instance.set()
            go_on.wait(10)  # the migration now holds the instance row and has not touched its task rows

    def note_error(context: Any) -> None:
        database_errors.append(str(getattr(context.original_exception, "sqlstate", "") or ""))

    outcomes: dict[str, Any] = {}

    def migrating() -> None:
        try:
            outcomes["migration"] = harness.migrate("smoke_acceptance", 2)
        except Exception as exc:  # reported below with the outcome
            outcomes["migration"] = exc

    def completing() -> None:
        try:
            run.complete("Task_Submit", {"confirmed": True})
            outcomes["completion"] = "completed"
        except Conflict:
            outcomes["completion"] = "409"
        except Exception as exc:  # reported below with the outcome
            outcomes["completion"] = exc

    event.listen(harness.db, "after_cursor_execute", pause_after_the_instance_update)
    event.listen(harness.db, "handle_error", note_error)
    try:
        migration = threading.Thread(target=migrating, name="migration")
        migration.start()
        assert migration_holds_instance.wait(10)
        completion = threading.Thread(target=completing, name="completion")
        completion.start()
        _wait_until_someone_waits_for_a_lock(harness.db)
        go_on.set()
        migration.join(30)
        completion.join(30)
    finally:
        go_on.set()
        event.remove(harness.db, "after_cursor_execute", pause_after_the_instance_update)
        event.remove(harness.db, "handle_error", note_error)

    assert _DEADLOCK not in database_errors, database_errors
    report = outcomes["migration"]
    # The migration locked first, so it wins; the clerk's completion then ran on the new version or lost cleanly.
    assert [c.instance_id for c in report.movable] == [run.id], report
    assert outcomes["completion"] in {"completed", "409"}, outcomes["completion"]
    assert run.instance().version == 2
