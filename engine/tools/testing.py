"""A test harness for people who test process models, usable from pytest.

    harness = ProcessHarness([Bundle.from_directory(path)], clock=FakeClock("2025-09-30T09:00:00+08:00"))
    run = harness.start("demo_approval", {"projectName": "…"})
    run.complete("Task_Apply", {...}, actor=Actor("alice", groups=frozenset({"demo:applicant_unit"})))
    harness.advance(days=6)          # moves the fake clock and fires due timers
    run.assert_path("Task_Apply", "Task_Route", "Task_Review")

Every step goes through the same actor-checked use cases as the web app, against a real database,
one unit of work each, so a test also proves the instance survives a save and a reload at every step.
Steps act as the harness's tester, an administrator of the unit `testing` (`TESTER`), unless a test
names another actor.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import URL, text
from sqlalchemy.pool import StaticPool

from engine.clock import FakeClock
from engine.settings import Settings
from engine.spiff.bundle import Bundle
from engine.spiff.internals import install
from engine.spiff.runtime import Engine
from engine.store.db import init_db, make_db_engine, make_session_factory, unit_of_work
from engine.store.models import Base
from engine.store.schema import upgrade_schema
from engine.tools.coverage import CoverageRecorder
from engine.usecases import decisions, deployments, instances, migration, oversight, state, tasks, timers
from engine.usecases.access import Actor
from engine.usecases.decisions import DecisionResult
from engine.usecases.migration import MigrationReport
from engine.usecases.snapshots import InstanceInfo, TaskInfo

__all__ = ["TESTER", "TEST_DATABASE_SUFFIX", "NotATestDatabase", "ProcessHarness", "ProcessRun", "check_resettable"]

TESTER = Actor("tester", role="admin", unit="testing", display_name="tester")

# A reset empties a PostgreSQL database only when its name ends so, as govflow_test and govflow_bench_test do.
TEST_DATABASE_SUFFIX = "_test"


class NotATestDatabase(RuntimeError):
    """A reset was asked of a database not named as a throwaway test database."""


class ProcessHarness:
    """Deployed bundles, a database, a fake clock and an optional coverage recorder.

    With `reset` (the default) a PostgreSQL database is emptied first, so it must be named
    `*_test`; any other name raises NotATestDatabase before a connection is opened.
    """

    def __init__(self, bundles: Iterable[Bundle], *, clock: FakeClock | None = None,
                 database_url: str = "sqlite://", coverage: CoverageRecorder | None = None,
                 reset: bool = True, tester: Actor = TESTER) -> None:
        self.clock = clock or FakeClock()
        self.coverage = coverage
        install()  # the fake clock must reach SpiffWorkflow's timers
        self.tester = tester
        self.engine = Engine(Settings(database_url=database_url), clock=self.clock)
        options: dict[str, Any] = {"poolclass": StaticPool} if database_url == "sqlite://" else {}
        self.db = make_db_engine(database_url, **options)
        if reset:
            _reset(self.db)
        init_db(self.db)
        self.sessions = make_session_factory(self.db)
        if coverage is not None:
            self.engine.observers.append(coverage.observe)
            self.engine.decision_subscribers.append(coverage.observe_decision)
        with self._unit() as session:
            for bundle in bundles:
                if coverage is not None:
                    coverage.add_bundle(bundle)
                deployments.deploy(self.engine, session, tester, bundle)

    def _unit(self) -> Any:
        return unit_of_work(self.sessions)

    def start(self, process_id: str, data: dict[str, Any] | None = None, *, actor: Actor | None = None,
              version: int | None = None, business_key: str | None = None, unit: str | None = None,
              outside_validity: str | None = None) -> ProcessRun:
        """Start a project and return a handle to drive it; only administrators name a version or unit.

        Like everyone, the tester starts projects only while the process's regulation applies (on the fake
        clock), unless it gives a transition reason as `outside_validity`.
        """
        with self._unit() as session:
            started = instances.start_project(self.engine, session, actor or self.tester, process_id,
                                              business_key=business_key, data=data, version=version, unit=unit,
                                              outside_validity=outside_validity)
            return ProcessRun(self, started.id)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> list[str]:
        """Move the fake clock forward and fire every timer now due; return the fired instance ids."""
        self.clock.advance(delta, **kwargs)
        return self.fire_timers()

    def fire_timers(self) -> list[str]:
        """Fire timers due at the current fake time."""
        with self._unit() as session:
            return timers.fire_due_timers(self.engine, session)

    def decide(self, decision_id: str, **inputs: Any) -> DecisionResult:
        """Evaluate a deployed decision directly."""
        with self._unit() as session:
            return decisions.evaluate_decision(self.engine, session, decision_id, inputs)

    def deploy(self, bundle: Bundle, note: str = "") -> dict[str, int]:
        """Deploy a changed bundle; return {process id: new version}, which new instances now start on."""
        with self._unit() as session:
            result = deployments.deploy(self.engine, session, self.tester, bundle, note=note)
            return {v.process_id: v.version for v in result.new_versions}

    def migrate(self, process_id: str, to_version: int, instance_ids: list[str] | None = None, *,
                dry_run: bool = False) -> MigrationReport:
        """Dry-run or migrate instances to another version, as the tester (an administrator)."""
        with self._unit() as session:
            run = migration.plan_migration if dry_run else migration.migrate_instances
            return run(self.engine, session, self.tester, process_id, to_version, instance_ids)

    def close(self) -> None:
        """Release database connections."""
        self.db.dispose()


class ProcessRun:
    """One instance under test."""

    def __init__(self, harness: ProcessHarness, instance_id: str) -> None:
        self.harness = harness
        self.id = instance_id

    def instance(self) -> InstanceInfo:
        """Return the instance as it is stored now."""
        with self.harness._unit() as session:
            return instances.visible_instance(session, self.harness.tester, self.id)

    @property
    def status(self) -> str:
        """Return the instance status (running, waiting, completed, error, cancelled)."""
        return self.instance().status

    @property
    def error(self) -> tuple[str | None, str | None]:
        """Return (element id, message) of the instance's error, if any."""
        found = self.instance()
        return found.error_element, found.error_message

    @property
    def data(self) -> dict[str, Any]:
        """Return the instance data as the workflow holds it now."""
        with self.harness._unit() as session:
            _, instance = state.load(self.harness.engine, session, self.id)
            return instance.data

    def tasks(self) -> list[TaskInfo]:
        """Return the ready human tasks from the task index."""
        with self.harness._unit() as session:
            return tasks.instance_tasks(session, self.harness.tester, self.id)

    def waiting(self) -> list[str]:
        """Return the spec ids of ready human tasks, sorted."""
        return sorted(t.spec_id for t in self.tasks())

    def task(self, spec_id: str) -> TaskInfo:
        """Return the ready task with this spec id."""
        matches = [t for t in self.tasks() if t.spec_id == spec_id]
        if len(matches) != 1:
            raise AssertionError(f"expected one ready {spec_id}, have {self.waiting()}")
        return matches[0]

    def complete(self, spec_id: str, data: dict[str, Any], *, actor: Actor | None = None) -> ProcessRun:
        """Complete the ready task with this spec id, as the tester or the actor named."""
        task_id = self.task(spec_id).id
        with self.harness._unit() as session:
            tasks.complete(self.harness.engine, session, actor or self.harness.tester, task_id, data)
        return self

    def retry(self, data: dict[str, Any] | None = None) -> ProcessRun:
        """Retry a failed element with corrected data, as the tester (an administrator)."""
        with self.harness._unit() as session:
            oversight.retry(self.harness.engine, session, self.harness.tester, self.id, data)
        return self

    def path(self) -> list[str]:
        """Return the ids of completed elements in completion order."""
        with self.harness._unit() as session:
            _, instance = state.load(self.harness.engine, session, self.id)
            return instance.executed_elements()

    def assert_path(self, *expected: str) -> None:
        """Assert the completed elements contain `expected` in this order (other elements may interleave)."""
        taken = self.path()
        position = 0
        for element in taken:
            if position < len(expected) and element == expected[position]:
                position += 1
        if position < len(expected):
            raise AssertionError(f"path {taken} does not pass through {list(expected)} in order "
                                 f"(stuck at {expected[position]})")

    def assert_not_visited(self, *elements: str) -> None:
        """Assert none of `elements` completed."""
        visited = set(self.path()) & set(elements)
        if visited:
            raise AssertionError(f"elements {sorted(visited)} were visited")


_RECREATED: set[str] = set()


def check_resettable(url: URL) -> None:
    """Raise NotATestDatabase unless a reset may empty the database at `url`."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return  # a reset drops nothing in SQLite
    name = url.database or ""
    if backend == "postgresql" and name.endswith(TEST_DATABASE_SUFFIX):
        return
    # A reset drops the whole public schema, so a mistyped URL must never reach a real database.
    raise NotATestDatabase(
        f"refusing to reset database {name!r} at {url.render_as_string(hide_password=True)}: "
        f"a reset empties only PostgreSQL databases whose name ends in {TEST_DATABASE_SUFFIX!r} "
        "(such as govflow_test) and leaves SQLite alone")


def _reset(db: Any) -> None:
    # Tests share one PostgreSQL database; start every harness from empty tables.
    check_resettable(db.url)
    if db.dialect.name == "postgresql":
        url = db.url.render_as_string(hide_password=False)
        if url not in _RECREATED:
            # Once per test process: tables left by an older schema would not match the models
            # (and may lack tables the models now have), so start from an empty schema.
            with db.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            _RECREATED.add(url)
        upgrade_schema(db)
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with db.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
