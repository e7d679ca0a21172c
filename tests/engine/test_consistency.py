"""The consistency checker finds a task index, a timer or an acknowledged completion that disagrees."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from engine import Bundle
from engine.store.db import unit_of_work
from engine.store.models import AuditEvent, InstanceRow, TaskRow
from engine.tools.cli import main
from engine.tools.consistency import check_consistency
from engine.tools.testing import ProcessHarness

from .helpers import SMOKE


def test_a_consistent_database_passes_and_each_kind_of_disagreement_is_named(database_url: str) -> None:
    harness = ProcessHarness([Bundle.from_directory(SMOKE, "smoke")], database_url=database_url)
    try:
        run = harness.start("smoke_acceptance")
        submit = run.task("Task_Submit").id
        other = harness.start("smoke_acceptance")
        run.complete("Task_Submit", {"confirmed": True})
        with unit_of_work(harness.sessions) as session:
            report = check_consistency(harness.engine, session, [submit])
        assert report.consistent and report.instances == 2
        with unit_of_work(harness.sessions) as session:
            session.execute(update(TaskRow).where(TaskRow.instance_id == other.id).values(status="cancelled"))
            session.execute(update(InstanceRow).where(InstanceRow.id == other.id).values(next_timer_due_at=None))
            session.add(AuditEvent(at=harness.clock.now(), actor="system", action="timer", instance_id=other.id,
                                   data={"fired": ["Timer_Overdue"]}))
            session.add(AuditEvent(at=harness.clock.now(), actor="system", action="timer", instance_id=other.id,
                                   data={"fired": ["Timer_Overdue"]}))
        with unit_of_work(harness.sessions) as session:
            problems = check_consistency(harness.engine, session, [submit, "no-such-task"]).problems
        assert any(p.startswith(f"instance {other.id}: ready tasks in state") for p in problems)
        assert any(p.startswith(f"instance {other.id}: next timer None stored") for p in problems)
        assert "task no-such-task: its completion was acknowledged but is missing" in problems
        assert f"instance {other.id}: timer Timer_Overdue fired 2 times" in problems
    finally:
        harness.close()


def test_the_cli_reports_consistency(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    harness = ProcessHarness([Bundle.from_directory(SMOKE, "smoke")], database_url=database_url)
    try:
        harness.start("smoke_acceptance")
    finally:
        harness.close()
    monkeypatch.setenv("GOVFLOW_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["check-consistency"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"instances": 1, "tasks": 1, "consistent": True, "problems": []}
