"""The tester's harness: drive processes with a fake clock, assert paths, and measure coverage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from engine import Bundle, FakeClock
from engine.store.db import make_db_engine
from engine.tools.coverage import CoverageRecorder
from engine.tools.testing import NotATestDatabase, ProcessHarness, _reset, check_resettable

from .helpers import SMOKE


@pytest.fixture
def smoke(database_url: str, clock: FakeClock, govflow_coverage: CoverageRecorder) -> Iterator[ProcessHarness]:
    harness = ProcessHarness([Bundle.from_directory(SMOKE)], clock=clock, database_url=database_url,
                             coverage=govflow_coverage)
    yield harness
    harness.close()


def test_acceptance_fails_then_passes_after_rectification(smoke: ProcessHarness) -> None:
    run = smoke.start("smoke_acceptance")
    run.complete("Task_Submit", {"confirmed": True})
    assert run.waiting() == ["Task_Accept"]
    run.complete("Task_Accept", {"passed": False, "acceptanceReport": "文档不全"})
    run.complete("Task_Rectify", {"rectificationNote": "已补齐"})
    run.complete("Task_Accept", {"passed": True})
    assert run.status == "completed"
    run.assert_path("Task_Submit", "Task_Accept", "Task_Rectify", "Task_Accept", "EndEvent_L", "EndEvent_A")
    run.assert_not_visited("Task_Escalate")


def test_overdue_submission_escalates_after_five_days(smoke: ProcessHarness) -> None:
    run = smoke.start("smoke_acceptance")
    assert smoke.advance(days=4, hours=23) == []
    assert smoke.advance(hours=2) == [run.id]
    assert run.waiting() == ["Task_Escalate", "Task_Submit"]  # non-interrupting: both open
    run.complete("Task_Escalate", {"confirmed": True})
    run.complete("Task_Submit", {"confirmed": True})
    run.complete("Task_Accept", {"passed": True})
    run.assert_path("Timer_Overdue", "Task_Escalate", "EndEvent_Escalated")


def test_working_day_timer_with_the_fake_clock(smoke: ProcessHarness) -> None:
    run = smoke.start("smoke")
    run.complete("Task_Apply", {"investmentWan": 80, "signedOn": "2025-09-30"})
    assert run.data["route"] == "SIMPLE"
    smoke.clock.set("2025-10-14T12:00:00+08:00")
    assert smoke.fire_timers() == []
    smoke.clock.set("2025-10-15T00:00:01+08:00")
    assert smoke.fire_timers() == [run.id]
    run.complete("Task_Review", {"investmentWan": 80})
    run.assert_path("Task_Apply", "Rule", "Timer", "Task_Review", "EndEvent_1")


def test_full_route_and_errors(smoke: ProcessHarness) -> None:
    run = smoke.start("smoke")
    run.complete("Task_Apply", {"investmentWan": 900, "signedOn": "2020-01-01"})
    assert run.data["route"] == "FULL"
    failing = smoke.start("smoke_failing", {"divisor": 0})
    assert failing.status == "error"
    assert failing.error[0] == "Task_Divide"
    failing.retry({"divisor": 5})
    failing.complete("Task_Check", {"confirmed": True})
    assert failing.status == "completed"
    assert smoke.decide("DT_S_01", investmentWan="1").outputs == {"route": "SIMPLE"}


def test_assert_path_reports_where_it_got_stuck(smoke: ProcessHarness) -> None:
    run = smoke.start("smoke")
    run.complete("Task_Apply", {"investmentWan": 1, "signedOn": "2020-01-01"})
    with pytest.raises(AssertionError, match="stuck at Task_Nope"):
        run.assert_path("Task_Apply", "Task_Nope")
    with pytest.raises(AssertionError, match="Task_Apply"):
        run.assert_not_visited("Task_Apply")


def test_coverage_counts_nodes_flows_and_rules(database_url: str, clock: FakeClock, tmp_path: Path) -> None:
    recorder = CoverageRecorder()
    harness = ProcessHarness([Bundle.from_directory(SMOKE)], clock=clock, database_url=database_url,
                             coverage=recorder)
    try:
        run = harness.start("smoke_acceptance")
        run.complete("Task_Submit", {"confirmed": True})
        run.complete("Task_Accept", {"passed": True})
        harness.decide("DT_S_01", investmentWan="600")
    finally:
        harness.close()
    summary = recorder.summary()
    loop = summary["processes"]["smoke_accept_loop"]
    assert loop["flows"]["missing"] == ["FL5", "FL6"]
    assert loop["nodes"]["missing"] == ["Task_Rectify"]
    main = summary["processes"]["smoke_acceptance"]
    assert main["flows"]["missing"] == ["FA4", "FA5"]
    assert summary["decisions"]["DT_S_01"] == {"covered": 1, "total": 3, "missing": ["R2", "R3"]}
    assert "rules not matched: R2, R3" in recorder.report()
    recorder.write_json(tmp_path / "cov.json")
    assert (tmp_path / "cov.json").read_text(encoding="utf-8").startswith("{")


def test_coverage_reads_rules_and_elements_that_hold_xml_comments() -> None:
    dmn = (SMOKE / "DT_S_01.dmn").read_text(encoding="utf-8").replace(
        '<rule id="R2">', '<rule id="R2"><!-- reviewed 2025 --><description>小型项目</description>')
    bpmn = (SMOKE / "acceptance.bpmn").read_text(encoding="utf-8").replace(
        "<bpmn:documentation>Demo Art. 7", "<!-- reviewed 2025 --><bpmn:documentation>Demo Art. 7")
    assert "<!-- reviewed 2025 -->" in dmn and "<!-- reviewed 2025 -->" in bpmn
    recorder = CoverageRecorder()
    recorder.add_bundle(Bundle.from_texts("smoke", {"dmn/DT_S_01.dmn": dmn, "bpmn/acceptance.bpmn": bpmn}))
    assert recorder.decisions["DT_S_01"].rules == {"R1": "", "R2": "小型项目", "R3": ""}
    assert "Task_Submit" in recorder.processes["smoke_acceptance"].nodes


# Port 9 has no PostgreSQL: a guard that let these through would fail with a connection error instead.
NOT_FOR_TESTS = ["postgresql://postgres@127.0.0.1:9/govflow", "postgresql://postgres@127.0.0.1:9/govflow_bench",
                 "postgresql://postgres@127.0.0.1:9/test_govflow", "postgresql://postgres@127.0.0.1:9/govflow_test_copy",
                 "postgresql://postgres@127.0.0.1:9/contest", "postgresql://postgres@127.0.0.1:9"]


@pytest.mark.parametrize("url", NOT_FOR_TESTS)
def test_reset_refuses_a_postgresql_database_not_named_for_tests(url: str) -> None:
    db = make_db_engine(url)
    try:
        with pytest.raises(NotATestDatabase, match=f"refusing to reset database '{make_url(url).database or ''}'"):
            _reset(db)
    finally:
        db.dispose()


def test_harness_refuses_before_connecting_and_hides_the_password() -> None:
    with pytest.raises(NotATestDatabase) as refused:
        ProcessHarness([], database_url="postgresql://postgres:s3cret@127.0.0.1:9/govflow")
    assert "'govflow'" in str(refused.value) and "s3cret" not in str(refused.value)


def test_reset_rule_accepts_test_databases_and_sqlite_and_nothing_else() -> None:
    for url in ("postgresql://postgres@127.0.0.1:55432/govflow_test", "postgresql+psycopg://u:p@db/govflow_bench_test",
                "sqlite://", "sqlite:///tmp/anything.sqlite"):
        check_resettable(make_url(url))
    with pytest.raises(NotATestDatabase, match="'govflow_test'"):
        check_resettable(make_url("mysql://u@127.0.0.1:9/govflow_test"))  # a reset cannot empty other servers
