"""Instance state: stored without the spec, rebuilt with the restricted engine, stable across round trips."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.spiff.runtime import Engine

from .helpers import SMOKE


def _workflow(engine: Engine) -> tuple[BpmnWorkflow, object, dict[str, object]]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_files_by_glob(str(SMOKE / "*.bpmn"))
    spec, subs = parser.get_spec("smoke_acceptance"), parser.get_subprocess_specs("smoke_acceptance")
    return BpmnWorkflow(spec, subs, script_engine=engine.script_engine), spec, subs


def test_round_trip_at_every_step_changes_nothing(engine: Engine) -> None:
    workflow, spec, subs = _workflow(engine)
    serializer = engine.serializer
    workflow.do_engine_steps()
    for answer in ({"confirmed": True}, {"passed": False}, {"rectificationNote": "补"}, {"passed": True}):
        state = serializer.dumps_state(workflow)
        assert '"task_specs"' not in state and "subprocess_specs" not in state  # specs live in the version
        restored = serializer.loads_state(state, spec, subs)
        assert serializer.dumps_state(restored) == state
        restored.script_engine = engine.script_engine
        [task] = restored.get_tasks(state=TaskState.READY, manual=True)
        task.set_data(**answer)
        task.run()
        restored.do_engine_steps()
        workflow = restored
    assert workflow.completed


def test_decimal_and_date_survive(engine: Engine) -> None:
    workflow, spec, subs = _workflow(engine)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(amount=Decimal("172.50"), signed=date(2025, 9, 30))
    workflow.do_engine_steps()
    restored = engine.serializer.loads_state(engine.serializer.dumps_state(workflow), spec, subs)
    [task] = restored.get_tasks(state=TaskState.READY, manual=True)
    assert task.data["amount"] == Decimal("172.50") and task.data["signed"] == date(2025, 9, 30)


def test_spec_round_trip_keeps_every_task_spec(engine: Engine) -> None:
    _, spec, subs = _workflow(engine)
    text = engine.serializer.dumps_spec(spec, subs)  # type: ignore[arg-type]
    restored, restored_subs = engine.serializer.loads_spec(text)
    assert sorted(restored.task_specs) == sorted(spec.task_specs)  # type: ignore[attr-defined]
    assert sorted(restored_subs) == ["smoke_accept_loop"]
