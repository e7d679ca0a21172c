"""The SpiffWorkflow details engine.spiff.internals relies on still exist with the shape it expects.

An upgrade of SpiffWorkflow that moves any of them fails here first, naming the detail.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib.metadata import version
from typing import Any

import pytest
import SpiffWorkflow
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers import DefaultRegistry
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.util.diff import migrate_workflow
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

from engine import Engine, FakeClock, Settings
from engine.spiff import internals
from engine.spiff.dmn import TypedDMNEngine

from .helpers import SMOKE


def _workflow(engine: Engine, process: str, clock: FakeClock) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_files_by_glob(str(SMOKE / "*.bpmn"))
    parser.add_dmn_files_by_glob(str(SMOKE / "*.dmn"))
    spec, subs = parser.get_spec(process), parser.get_subprocess_specs(process)
    return BpmnWorkflow(spec, subs, script_engine=engine.script_engine(engine.run_context(clock)))


def test_the_installed_spiffworkflow_is_the_one_the_internals_were_read_against() -> None:
    assert internals.SPIFF_VERSION == "3.2.0"
    assert version("spiffworkflow") == SpiffWorkflow.__version__ == internals.SPIFF_VERSION


@pytest.mark.parametrize("reader", [TimeDateEventDefinition.has_fired, DurationTimerEventDefinition.has_fired,
                                    CycleTimerEventDefinition.cycle_complete,
                                    TimerEventDefinition.get_timedelta_from_start,
                                    TimerEventDefinition.parse_iso_recurring_interval])
def test_timers_read_now_from_the_timer_modules_datetime(reader: Any) -> None:
    # The patch replaces the module-level name; a reader that imported datetime otherwise would bypass it.
    assert reader.__globals__ is vars(timer_module)
    assert "datetime" in reader.__code__.co_names


def test_a_duration_timer_takes_its_deadline_from_the_bound_clock_and_keeps_it_in_internal_data(
        engine: Engine) -> None:
    assert internals.installed()
    clock = FakeClock("2030-01-07T09:00:00+08:00")  # far from the wall clock on purpose
    workflow = _workflow(engine, "smoke_acceptance", clock)
    with internals.timer_clock(clock):
        workflow.do_engine_steps()
    [timer] = [t for t in workflow.get_tasks(state=TaskState.WAITING)
               if isinstance(getattr(t.task_spec, "event_definition", None), DurationTimerEventDefinition)]
    deadline = internals.timer_deadline(timer)
    assert isinstance(deadline, str)
    assert datetime.fromisoformat(deadline) == clock.now() + timedelta(days=5)
    clock.advance(days=5, seconds=1)
    with internals.timer_clock(clock):
        workflow.refresh_timers()
    assert timer.state == TaskState.READY
    internals.set_timer_deadline(timer, "2031-01-01T00:00:00+00:00")
    assert timer.internal_data == {**timer.internal_data, "event_value": "2031-01-01T00:00:00+00:00"}


def test_without_a_bound_clock_the_timer_module_reads_the_wall_clock() -> None:
    before = datetime.now(UTC)
    assert before <= timer_module.datetime.now(UTC) <= datetime.now(UTC)
    with internals.timer_clock(FakeClock("2030-01-07T09:00:00+08:00")):
        assert timer_module.datetime.now(UTC) == datetime(2030, 1, 7, 1, 0, tzinfo=UTC)


def test_an_engine_refuses_to_be_built_before_the_timer_patch_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timer_module, "datetime", datetime)
    assert not internals.installed()
    with pytest.raises(RuntimeError, match="install_spiff_patches"):
        Engine(Settings(database_url="sqlite://"))
    internals.install()
    internals.install()  # idempotent
    assert internals.installed()


def test_the_specless_converter_writes_what_spiffworkflow_writes_but_the_specs(engine: Engine) -> None:
    assert BpmnWorkflowConverter.__mro__[1] is WorkflowConverter  # the grandparent it calls is the next class up
    # BpmnWorkflow passes it on to Workflow, which then builds no task tree of its own.
    assert issubclass(BpmnWorkflow, Workflow)
    assert "deserializing" in inspect.signature(Workflow.__init__).parameters
    for helper in ("mapping_to_dict", "mapping_from_dict", "set_default_attributes", "subprocesses_from_dict"):
        assert callable(getattr(BpmnWorkflowConverter, helper)), helper
    workflow = _workflow(engine, "smoke_acceptance", FakeClock())
    workflow.do_engine_steps()
    registry = engine.serializer.registry
    full = BpmnWorkflowConverter(BpmnWorkflow, registry).to_dict(workflow)
    specless = internals.SpeclessWorkflowConverter(BpmnWorkflow, registry).to_dict(workflow)
    assert set(full) - set(specless) == {"spec", "subprocess_specs"}
    assert set(specless) == set(full) - {"spec", "subprocess_specs"}
    assert specless["last_task"] == full["last_task"]
    internals.set_last_task(workflow, None)
    assert internals.SpeclessWorkflowConverter(BpmnWorkflow, registry).to_dict(workflow)["last_task"] is None


def test_the_registry_encoder_mode_leaves_data_to_the_json_encoder() -> None:
    registry = DefaultRegistry()
    assert registry._encoder_mode is False
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    text = internals.dumps_encoded(registry, lambda: registry.convert({"amount": Decimal("1.50")}))
    assert text == '{"amount":{"value":"1.50","typename":"Decimal"}}'
    assert registry._encoder_mode is False


def test_the_script_environment_removes_what_it_merged_into_a_context() -> None:
    parameters = list(inspect.signature(TaskDataEnvironment._remove_globals_and_functions_from_context).parameters)
    assert parameters == ["self", "context", "external_context"]
    environment = TaskDataEnvironment({"helper": len})
    context = {"helper": len, "kept": 1, "__builtins__": {}, "extra": 2}
    internals.remove_script_globals(environment, context, {"extra": 2})
    assert context == {"kept": 1}
    assert internals.SCRIPT_FILENAME in PythonScriptEngine.get_error_line_number_and_content.__code__.co_consts


def test_business_rule_tasks_keep_a_plain_dmn_engine_that_can_be_retyped(engine: Engine) -> None:
    assert not hasattr(DMNEngine, "__slots__")
    assert list(inspect.signature(DMNEngine.__init__).parameters) == ["self", "decision_table"]
    workflow = _workflow(engine, "smoke", FakeClock())
    spec = workflow.spec.task_specs["Rule"]
    dmn_engine = internals.dmn_engine_of(spec)
    assert type(dmn_engine) is DMNEngine and set(vars(dmn_engine)) == {"decision_table"}
    # The spec serializer builds a plain DMNEngine again when a version's specs are loaded.
    restored, _ = engine.serializer.loads_spec(engine.serializer.dumps_spec(workflow.spec, {}))
    assert type(internals.dmn_engine_of(restored.task_specs["Rule"])) is DMNEngine
    assert internals.dmn_engine_of(workflow.spec.task_specs["Task_Apply"]) is None
    typed = internals.retype_dmn_engine(dmn_engine, TypedDMNEngine)
    assert typed is dmn_engine and isinstance(typed, TypedDMNEngine)
    with pytest.raises(TypeError):
        internals.retype_dmn_engine(object(), TypedDMNEngine)


def test_the_decision_table_model_has_what_the_typed_engine_reads(engine: Engine) -> None:
    table = internals.dmn_engine_of(_workflow(engine, "smoke", FakeClock()).spec.task_specs["Rule"]).decision_table
    assert (table.id, table.name, table.hit_policy) == ("Table_S", "", "FIRST")
    assert [o.name for o in table.outputs] == ["route"]
    rule = table.rules[0]
    assert (rule.id, rule.row_number) == ("R1", 1)
    [entry] = rule.inputEntries
    assert entry.lhs == [">= 500"]
    assert (entry.input.id, entry.input.label, entry.input.expression, entry.input.typeRef) == \
        ("In1", "投资", "investmentWan", "number")
    task = internals.detached_task({"investmentWan": 600}, engine.script_engine(), "DT_S_01")
    assert rule.output_as_dict(task) == {"route": "FULL"}
    assert callable(DMNEngine.needs_eq)


def test_a_detached_task_carries_what_a_task_exception_reads(engine: Engine) -> None:
    task = internals.detached_task({"x": 1}, engine.script_engine(), "DT_S_01")
    error = WorkflowTaskException("cell failed", task=task)
    assert error.task is task and "decision" in str(error.task_trace)


def test_a_migrated_workflow_keeps_the_old_called_specs_until_given_the_new_ones(engine: Engine) -> None:
    source = inspect.getsource(migrate_workflow)
    assert "subprocess_specs" not in source  # the reason set_subprocess_specs exists
    assert "workflow.last_task = None" in source  # the reason set_last_task is needed afterwards
    workflow = _workflow(engine, "smoke_acceptance", FakeClock())
    workflow.do_engine_steps()
    assert internals.last_task(workflow) is not None and internals.last_task(workflow).id in workflow.tasks
    internals.set_subprocess_specs(workflow, {})
    registry = engine.serializer.registry
    assert BpmnWorkflowConverter(BpmnWorkflow, registry).to_dict(workflow)["subprocess_specs"] == {}
