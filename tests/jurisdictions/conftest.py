"""Harness factories shared by the jurisdiction tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from engine import Bundle, FakeClock
from engine.settings import PROJECT_ROOT
from engine.tools.coverage import CoverageRecorder
from engine.tools.testing import ProcessHarness

HarnessFactory = Callable[[str, str], ProcessHarness]


def _factory(database_url: str, coverage: CoverageRecorder,
             reuse: bool = False) -> tuple[HarnessFactory, list[ProcessHarness]]:
    created: list[ProcessHarness] = []
    cache: dict[tuple[str, str], ProcessHarness] = {}

    def make(jurisdiction: str, start: str) -> ProcessHarness:
        if reuse and (jurisdiction, start) in cache:
            return cache[(jurisdiction, start)]
        harness = ProcessHarness([Bundle.from_jurisdiction(PROJECT_ROOT, jurisdiction)], database_url=database_url,
                                 clock=FakeClock(start), coverage=coverage)
        created.append(harness)
        cache[(jurisdiction, start)] = harness
        return harness

    return make, created


@pytest.fixture
def jurisdiction(database_url: str, govflow_coverage: CoverageRecorder) -> Iterator[HarnessFactory]:
    """Return a factory for a harness with one jurisdiction deployed on the test database."""
    make, created = _factory(database_url, govflow_coverage)
    yield make
    for harness in created:
        harness.close()


@pytest.fixture(scope="module")
def decisions_of(tmp_path_factory: pytest.TempPathFactory,
                 govflow_coverage: CoverageRecorder) -> Iterator[HarnessFactory]:
    """Return a factory for a module-wide harness; decisions are read-only, so one SQLite file serves."""
    path = tmp_path_factory.mktemp("decisions") / "g.sqlite"
    make, created = _factory(f"sqlite:///{path}", govflow_coverage, reuse=True)
    yield make
    for harness in created:
        harness.close()
