"""Schema migrations: the migrations make the models' schema, and an old database is upgraded with its data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import func, inspect, select

from engine import FakeClock, unit_of_work
from engine.store.db import init_db, make_db_engine
from engine.store.models import Base, InstanceRow, TaskRow
from engine.store.schema import SchemaError, current_revision, head_revision, run_migration, upgrade_schema
from engine.tools.cli import main
from engine.tools.testing import ProcessHarness, ProcessRun

from ..jurisdictions.golden import GOLDEN, run_to_end, stored_answers
from .premigration import DUMP, build


@pytest.fixture
def empty(database_url: str) -> Iterator[SqlEngine]:
    """Return an engine on an empty database (the PostgreSQL test schema emptied and left empty)."""
    db = make_db_engine(database_url)
    if db.dialect.name == "postgresql":
        with db.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    yield db
    db.dispose()


def test_the_migrations_make_exactly_the_schema_the_models_declare(empty: SqlEngine) -> None:
    run_migration(empty, "upgrade", "head")
    with empty.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    assert current_revision(empty) == head_revision()


def test_a_new_database_is_created_at_the_head(empty: SqlEngine) -> None:
    assert upgrade_schema(empty) == ""
    assert current_revision(empty) == head_revision()
    assert {t.name for t in Base.metadata.sorted_tables} <= set(inspect(empty).get_table_names())


def test_init_db_refuses_a_database_made_before_migrations_and_names_the_command(empty: SqlEngine) -> None:
    build(empty)
    with pytest.raises(SchemaError, match="govflow db upgrade"):
        init_db(empty)
    assert current_revision(empty) is None  # refused: nothing changed


def test_a_database_made_before_migrations_is_upgraded_and_its_instances_run_to_their_end(
        empty: SqlEngine, database_url: str) -> None:
    counts = build(empty)
    assert counts["instance"] == 16 and counts["task"] >= 10
    assert upgrade_schema(empty) == "pre-migration"
    assert current_revision(empty) == head_revision()
    with empty.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(InstanceRow)) == counts["instance"]
        assert connection.scalar(select(func.count()).select_from(TaskRow)) == counts["task"]
        rows = connection.execute(select(InstanceRow.id, InstanceRow.business_key)).all()
    harness = ProcessHarness([], clock=FakeClock(), database_url=database_url, reset=False)
    try:
        for instance_id, business_key in rows:
            # GOLDEN-<jurisdiction>-<stage>: the answers that jurisdiction's stages were walked with.
            jurisdiction = business_key.split("-")[1]
            answers = stored_answers(next(GOLDEN.glob(f"*/{jurisdiction}/answers.json")))
            with _alone(harness, instance_id):
                run_to_end(harness, ProcessRun(harness, instance_id), answers)
            assert ProcessRun(harness, instance_id).status == "completed", business_key
    finally:
        harness.close()


@contextmanager
def _alone(harness: ProcessHarness, instance_id: str) -> Iterator[None]:
    # Each stored instance runs from its own stored time, as its golden test does: the others' timers are held
    # back meanwhile, so a clock moved years ahead for one never fires another's.
    with unit_of_work(harness.sessions) as session:
        held = {row.id: row.next_timer_due_at for row in session.scalars(select(InstanceRow))
                if row.id != instance_id}
        for row in session.scalars(select(InstanceRow).where(InstanceRow.id.in_(held))):
            row.next_timer_due_at = None
        this = session.get(InstanceRow, instance_id)
        assert this is not None
        harness.clock.set(this.updated_at)
    yield
    with unit_of_work(harness.sessions) as session:
        for row in session.scalars(select(InstanceRow).where(InstanceRow.id.in_(held))):
            row.next_timer_due_at = held[row.id]


def test_the_cli_upgrades_and_reports_the_revisions(empty: SqlEngine, database_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    build(empty)
    monkeypatch.setenv("GOVFLOW_DATABASE_URL", database_url)
    runner = CliRunner()
    refused = runner.invoke(main, ["init-db"])
    assert refused.exit_code == 1 and "govflow db upgrade" in refused.output
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert json.loads(upgraded.output) == {"database": json.loads(upgraded.output)["database"],
                                           "from": "pre-migration", "to": head_revision()}
    again = runner.invoke(main, ["db", "current"])
    assert json.loads(again.output) == {"revision": head_revision(), "head": head_revision()}


def test_the_dump_is_the_baseline_schema() -> None:
    dump = json.loads(DUMP.read_text(encoding="utf-8"))
    assert set(dump) <= {t.name for t in Base.metadata.sorted_tables}
    assert Path(DUMP).stat().st_size < 1_000_000
