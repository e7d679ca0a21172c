"""Golden stored states: every stored stage of every jurisdiction loads as stored and runs to its end.

The files under tests/data/golden/ are written by `python -m tests.jurisdictions.golden` (see golden.py);
a failure here means stored instances in production would fail the same way after this change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import FakeClock, unit_of_work
from engine.spiff.serialization import STATE_FORMAT
from engine.tools.testing import ProcessHarness
from engine.usecases import state

from .golden import GOLDEN, restore, run_to_end, stage_files, stored_answers

STAGES = stage_files()


@pytest.fixture
def harness(database_url: str) -> Iterator[ProcessHarness]:
    """Return a harness with nothing deployed: each test restores the version its stage ran on."""
    h = ProcessHarness([], clock=FakeClock(), database_url=database_url)
    yield h
    h.close()


def test_every_jurisdiction_has_golden_states_in_the_current_format() -> None:
    current = {path.parent.name for path in STAGES if path.parent.parent.name == STATE_FORMAT}
    assert current == {"qingyang", "yunfu", "datong", "xichuan", "fengxian"}
    assert sum(p.stat().st_size for p in GOLDEN.rglob("*") if p.is_file()) < 2_000_000


@pytest.mark.parametrize("path", STAGES, ids=lambda p: "/".join(p.relative_to(GOLDEN).with_suffix("").parts))
def test_a_golden_state_loads_where_it_stood_and_runs_to_its_end(harness: ProcessHarness, path: Path) -> None:
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["serializer_version"] == path.parent.parent.name
    run = restore(harness, path)
    assert run.waiting() == stored["ready"]
    assert run.path() == stored["executed"]
    with unit_of_work(harness.sessions) as session:
        row = state.get_instance(session, run.id)
        due = row.next_timer_due_at.isoformat() if row.next_timer_due_at else None
        assert (row.serializer_version, row.status) == (STATE_FORMAT, stored["instance"]["status"])
    assert due == stored["instance"]["next_timer_due_at"]  # a deadline fixed before storing stays fixed
    run_to_end(harness, run, stored_answers(path))
    assert run.status == "completed", run.error
    assert run.path()[:len(stored["executed"])] == stored["executed"]
