"""Instance state: stored without the spec, rebuilt with the restricted engine, stable across round trips,
loaded only from a format this engine reads or can upgrade."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session, sessionmaker

from engine import StateFormatError
from engine.spiff.runtime import Engine
from engine.spiff.serialization import STATE_FORMAT, StateSerializer, StateUpgrade, upgrade_state
from engine.tools.testing import TESTER
from engine.usecases.instances import start_project
from engine.usecases.state import get_instance, load
from engine.usecases.tasks import complete, instance_tasks

from .helpers import SMOKE, deploy_smoke, unit


def _workflow(engine: Engine) -> tuple[BpmnWorkflow, object, dict[str, object]]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_files_by_glob(str(SMOKE / "*.bpmn"))
    spec, subs = parser.get_spec("smoke_acceptance"), parser.get_subprocess_specs("smoke_acceptance")
    return BpmnWorkflow(spec, subs, script_engine=engine.script_engine()), spec, subs


def test_round_trip_at_every_step_changes_nothing(engine: Engine) -> None:
    workflow, spec, subs = _workflow(engine)
    serializer = engine.serializer
    workflow.do_engine_steps()
    for answer in ({"confirmed": True}, {"passed": False}, {"rectificationNote": "补"}, {"passed": True}):
        state = serializer.dumps_state(workflow)
        assert '"task_specs"' not in state and "subprocess_specs" not in state  # specs live in the version
        restored = serializer.loads_state(state, spec, subs, state_format=STATE_FORMAT)
        assert serializer.dumps_state(restored) == state
        restored.script_engine = engine.script_engine()
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
    restored = engine.serializer.loads_state(engine.serializer.dumps_state(workflow), spec, subs,
                                             state_format=STATE_FORMAT)
    [task] = restored.get_tasks(state=TaskState.READY, manual=True)
    assert task.data["amount"] == Decimal("172.50") and task.data["signed"] == date(2025, 9, 30)


def test_spec_round_trip_keeps_every_task_spec(engine: Engine) -> None:
    _, spec, subs = _workflow(engine)
    text = engine.serializer.dumps_spec(spec, subs)  # type: ignore[arg-type]
    restored, restored_subs = engine.serializer.loads_spec(text)
    assert sorted(restored.task_specs) == sorted(spec.task_specs)  # type: ignore[attr-defined]
    assert sorted(restored_subs) == ["smoke_accept_loop"]


OLDER = "govflow-0+spiff-1.5"


def _older_layout(dct: dict[str, Any]) -> dict[str, Any]:
    """Lift a state from a pretend older layout that named the root task `root_task`."""
    dct["root"] = dct.pop("root_task")
    return dct


def _store_in_older_format(sessions: sessionmaker[Session], instance_id: str) -> None:
    with unit(sessions) as session:
        row = get_instance(session, instance_id)
        dct = json.loads(row.state)
        dct["root_task"] = dct.pop("root")
        row.state, row.serializer_version = json.dumps(dct), OLDER


def test_state_stored_in_an_older_format_is_upgraded_on_load_and_stored_current(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        instance_id = start_project(engine, session, TESTER, "smoke").id
    _store_in_older_format(sessions, instance_id)
    engine.serializer = StateSerializer(upgrades={OLDER: StateUpgrade(STATE_FORMAT, _older_layout)})
    with unit(sessions) as session:
        [task] = instance_tasks(session, TESTER, instance_id)
        complete(engine, session, TESTER, task.id, {"investmentWan": 120, "signedOn": "2025-09-30"})
    with unit(sessions) as session:
        row = get_instance(session, instance_id)
        assert (row.serializer_version, row.status) == (STATE_FORMAT, "waiting")
        assert "root_task" not in json.loads(row.state)


@pytest.mark.parametrize(("stored", "reason"), [
    (OLDER, "no upgrade leads from it"),
    ("govflow-2+spiff-1.5", "written by a newer Govflow"),
    ("1.5", "no upgrade leads from it"),
])
def test_state_in_a_format_without_an_upgrade_is_refused_naming_instance_and_format(
        engine: Engine, sessions: sessionmaker[Session], stored: str, reason: str) -> None:
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        instance_id = start_project(engine, session, TESTER, "smoke").id
        get_instance(session, instance_id).serializer_version = stored
    with unit(sessions) as session, pytest.raises(StateFormatError) as caught:
        load(engine, session, instance_id)
    error = caught.value
    assert (error.instance_id, error.state_format) == (instance_id, stored)
    assert instance_id in error.message and repr(stored) in error.message and reason in error.message
    assert error.to_dict()["state_format"] == stored


def test_upgrades_chain_to_the_current_format_and_never_go_round_in_a_circle() -> None:
    def step(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        return lambda dct: {**dct, "steps": [*dct.get("steps", []), name]}

    chain = {"govflow-0+spiff-1.4": StateUpgrade("govflow-0+spiff-1.5", step("a")),
             OLDER: StateUpgrade(STATE_FORMAT, step("b"))}
    assert upgrade_state({}, "govflow-0+spiff-1.4", "i1", chain) == {"steps": ["a", "b"]}
    circle = {OLDER: StateUpgrade("govflow-0+spiff-1.4", step("a")),
              "govflow-0+spiff-1.4": StateUpgrade(OLDER, step("b"))}
    with pytest.raises(StateFormatError, match="circle"):
        upgrade_state({}, OLDER, "i1", circle)
    assert upgrade_state({"x": 1}, STATE_FORMAT, "i1", {}) == {"x": 1}
