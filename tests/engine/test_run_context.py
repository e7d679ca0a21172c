"""Run contexts: each instance runs on its own clock, and its decisions form one stream for audit and coverage."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from engine import Engine, FakeClock
from engine.spiff.run_context import DecisionLog, DecisionTaken, RunContext
from engine.store.audit import audit_trail
from engine.tools.testing import TESTER
from engine.usecases.decisions import evaluate_decision
from engine.usecases.instances import start_project
from engine.usecases.state import load
from engine.usecases.tasks import complete, instance_tasks

from .helpers import deploy_smoke, unit


def _taken(decision_id: str, rule: str) -> DecisionTaken:
    return DecisionTaken("Rule", decision_id, decision_id, [], {"route": rule}, (rule,))


def test_a_log_tells_subscribers_as_decisions_are_taken_and_drains_once() -> None:
    heard: list[DecisionTaken] = []
    subscribers = [heard.append]
    log = DecisionLog(subscribers)
    log.append(_taken("D1", "R1"))
    later: list[DecisionTaken] = []
    subscribers.append(later.append)  # a subscriber added later hears later decisions
    log.append(_taken("D2", "R2"))
    assert [d.decision_id for d in heard] == ["D1", "D2"] and [d.decision_id for d in later] == ["D2"]
    assert [d.decision_id for d in log] == ["D1", "D2"] and len(log) == 2
    assert [d.decision_id for d in log.drain()] == ["D1", "D2"]
    assert log.drain() == [] and len(log) == 0


def test_audit_and_subscribers_read_the_same_decisions(engine: Engine, sessions: sessionmaker[Session]) -> None:
    heard: list[DecisionTaken] = []
    engine.decision_subscribers.append(heard.append)
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        instance_id = start_project(engine, session, TESTER, "smoke").id
        [task] = instance_tasks(session, TESTER, instance_id)
        complete(engine, session, TESTER, task.id, {"investmentWan": 600, "signedOn": "2025-09-30"})
    with unit(sessions) as session:
        audited = [e for e in audit_trail(session, instance_id) if e.action == "decide"]
    assert [(d.element_id, d.decision_id, d.outputs) for d in heard] == [("Rule", "DT_S_01", {"route": "FULL"})]
    assert [(e.element, e.data["decision"], e.data["outputs"]) for e in audited] == \
        [("Rule", "DT_S_01", {"route": "FULL"})]
    assert heard[0].rules == ("R1",)


def test_a_decision_taken_on_its_own_reaches_subscribers_with_its_id_and_rule(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    heard: list[DecisionTaken] = []
    engine.decision_subscribers.append(heard.append)
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        assert evaluate_decision(engine, session, "DT_S_01", {"investmentWan": "12.5"}).outputs == {"route": "SIMPLE"}
    assert [(d.decision_id, d.rules) for d in heard] == [("DT_S_01", ("R2",))]


def test_an_instance_runs_on_the_clock_it_was_loaded_with(engine: Engine, sessions: sessionmaker[Session],
                                                          clock: FakeClock) -> None:
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        instance_id = start_project(engine, session, TESTER, "smoke").id
    with unit(sessions) as session:
        _, own = load(engine, session, instance_id, clock=FakeClock("2026-02-02T09:00:00+08:00"))
        _, default = load(engine, session, instance_id)
    assert own.evaluate("today()", {}) == "2026-02-02"
    assert default.evaluate("today()", {}) == clock.now().date().isoformat() == "2025-09-30"
    assert own.run is not default.run and own.run.decisions is not default.run.decisions


def test_a_run_context_defaults_to_the_wall_clock() -> None:
    before = datetime.now(UTC)
    assert before <= RunContext().now() <= datetime.now(UTC)
