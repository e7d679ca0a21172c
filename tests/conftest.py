"""Shared fixtures: a database per test (SQLite file or the CI PostgreSQL), engine, clock, bundles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import install_spiff_patches
from engine.clock import FakeClock
from engine.settings import Settings
from engine.spiff.bundle import Bundle
from engine.spiff.runtime import Engine
from engine.store.db import init_db, make_db_engine, make_session_factory
from engine.tools.coverage import CoverageRecorder
from engine.tools.testing import ProcessHarness

DATA = Path(__file__).parent / "data"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"


def _configured_url() -> str:
    value = os.environ.get("GOVFLOW_TEST_DATABASE_URL", "sqlite")
    return "" if value == "sqlite" else value


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Return a fresh database: a SQLite file, or the CI PostgreSQL database emptied."""
    configured = _configured_url()
    if configured:
        from engine.tools.testing import _reset

        db = make_db_engine(configured)
        _reset(db)
        db.dispose()
        return configured
    return f"sqlite:///{tmp_path / 'govflow.sqlite'}"


@pytest.fixture
def clock() -> FakeClock:
    """Return a fake clock at 2025-09-30 09:00 China time (before the National Day holiday)."""
    return FakeClock("2025-09-30T09:00:00+08:00")


@pytest.fixture
def engine(database_url: str, clock: FakeClock) -> Engine:
    """Return an engine on the test database and the fake clock."""
    return Engine(Settings(database_url=database_url), clock=clock)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Return a session factory on a database with every table created."""
    db = make_db_engine(database_url)
    init_db(db)
    yield make_session_factory(db)
    db.dispose()


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """Return one session; the test decides when to commit."""
    with sessions() as s:
        yield s


@pytest.fixture
def demo_bundle() -> Bundle:
    """Return the demo bundle used by engine tests."""
    return Bundle.from_directory(DATA / "bundles" / "demo")


@pytest.fixture(scope="session")
def govflow_coverage() -> Iterator[CoverageRecorder]:
    """Collect BPMN and DMN coverage over the whole test session."""
    recorder = CoverageRecorder()
    yield recorder
    recorder.write_json(ARTIFACTS / "govflow-coverage.json")
    (ARTIFACTS / "govflow-coverage.txt").write_text(recorder.report() + "\n", encoding="utf-8")


@pytest.fixture(autouse=True)
def _credit_coverage_to_test(request: pytest.FixtureRequest, govflow_coverage: CoverageRecorder) -> Iterator[None]:
    """Let the coverage report say which test exercised which element or rule."""
    govflow_coverage.current_test = request.node.nodeid
    yield
    govflow_coverage.current_test = None


@pytest.fixture
def harness(demo_bundle: Bundle, database_url: str, clock: FakeClock,
            govflow_coverage: CoverageRecorder) -> Iterator[ProcessHarness]:
    """Return a harness with the demo bundle deployed, recording coverage."""
    h = ProcessHarness([demo_bundle], clock=clock, database_url=database_url, coverage=govflow_coverage)
    yield h
    h.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the process coverage report after the test results."""
    report = ARTIFACTS / "govflow-coverage.txt"
    if report.exists():
        terminalreporter.write_sep("-", "govflow process coverage")
        terminalreporter.write_line(report.read_text(encoding="utf-8"))


def pytest_configure(config: pytest.Config) -> None:
    """Let SpiffWorkflow's timers read the engines' clocks, as every entry point does before building an Engine."""
    install_spiff_patches()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Drop a coverage report left by an earlier run."""
    (ARTIFACTS / "govflow-coverage.txt").unlink(missing_ok=True)
