"""The restricted environment blocks import and class-walk escapes wherever an expression can appear."""

from __future__ import annotations

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.spiff.sandbox import _compile, make_script_engine

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"')
ESCAPE = "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"


def _process(body: str, flows: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS} id="d" targetNamespace="t"><bpmn:process id="p" isExecutable="true">
<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
{body}
<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
{flows}
</bpmn:process></bpmn:definitions>""".encode()


def _script_process(script: str) -> bytes:
    body = f'<bpmn:scriptTask id="Script_1" name="脚本"><bpmn:incoming>f1</bpmn:incoming>' \
           f'<bpmn:outgoing>f_end</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
    flows = '<bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Script_1"/>' \
            '<bpmn:sequenceFlow id="f_end" sourceRef="Script_1" targetRef="EndEvent_1"/>'
    return _process(body, flows)


def _condition_process(condition: str) -> bytes:
    body = ('<bpmn:exclusiveGateway id="Gateway_1" default="f_end"><bpmn:incoming>f1</bpmn:incoming>'
            '<bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_end</bpmn:outgoing></bpmn:exclusiveGateway>'
            '<bpmn:endEvent id="EndEvent_2"><bpmn:incoming>f_yes</bpmn:incoming></bpmn:endEvent>')
    flows = ('<bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Gateway_1"/>'
             f'<bpmn:sequenceFlow id="f_yes" sourceRef="Gateway_1" targetRef="EndEvent_2">'
             f'<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>'
             '<bpmn:sequenceFlow id="f_end" sourceRef="Gateway_1" targetRef="EndEvent_1"/>')
    return _process(body, flows)


def _timer_process(expression: str) -> bytes:
    body = (f'<bpmn:intermediateCatchEvent id="Timer_1"><bpmn:incoming>f1</bpmn:incoming>'
            f'<bpmn:outgoing>f_end</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeDuration>{expression}'
            f'</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')
    flows = '<bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Timer_1"/>' \
            '<bpmn:sequenceFlow id="f_end" sourceRef="Timer_1" targetRef="EndEvent_1"/>'
    return _process(body, flows)


def _decision_process(input_entry: str, output_entry: str = '"ok"') -> tuple[bytes, bytes]:
    body = ('<bpmn:businessRuleTask id="Rule_1" name="规则"><bpmn:extensionElements>'
            '<spiffworkflow:calledDecisionId>D1</spiffworkflow:calledDecisionId></bpmn:extensionElements>'
            '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f_end</bpmn:outgoing></bpmn:businessRuleTask>')
    flows = '<bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Rule_1"/>' \
            '<bpmn:sequenceFlow id="f_end" sourceRef="Rule_1" targetRef="EndEvent_1"/>'
    dmn = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dd" name="d" namespace="n">
<decision id="D1" name="D1"><decisionTable id="T1">
<input id="i1" label="x"><inputExpression id="ie1" typeRef="number"><text>x</text></inputExpression></input>
<output id="o1" name="result" typeRef="string"/>
<rule id="r1"><inputEntry id="e1"><text>{input_entry}</text></inputEntry><outputEntry id="oe1"><text>{output_entry}</text></outputEntry></rule>
<rule id="r2"><inputEntry id="e2"><text>-</text></inputEntry><outputEntry id="oe2"><text>"other"</text></outputEntry></rule>
</decisionTable></decision></definitions>""".encode()
    return _process(body, flows), dmn


def _run(bpmn: bytes, data: dict[str, object] | None = None, dmn: bytes | None = None,
         helpers: dict[str, object] | None = None) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(bpmn)
    if dmn is not None:
        parser.add_dmn_str(dmn)
    workflow = BpmnWorkflow(parser.get_spec("p"), script_engine=make_script_engine(helpers))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data or {})
    workflow.do_engine_steps()
    return workflow


def test_scripts_compute_and_leave_only_their_variables(tmp_path: Path) -> None:
    script = "\n".join([
        "total = 0",
        "for n in [1, 2, 3]:",
        "    total += n",
        "items = {'a': 1}",
        "items['b'] = double(2)",
        "names = sorted(k for k in items)",
        "money = Decimal('0.10') + Decimal('0.20')",
        "first, second = names",
    ])
    workflow = _run(_script_process(script), helpers={"double": lambda v: v * 2})
    assert workflow.completed
    data = workflow.data
    assert data["total"] == 6 and data["items"] == {"a": 1, "b": 4} and data["names"] == ["a", "b"]
    assert str(data["money"]) == "0.30"
    assert not {"double", "Decimal", "__builtins__", "_getattr_", "_write_", "math"} & set(data)


@pytest.mark.parametrize("payload", [
    "__import__('os').system('touch {marker}')",
    "{escape}.__init__.__globals__['system']('touch {marker}')",
    "getattr({escape}, 'x')",
    "'{{0.__class__}}'.format(1)",
    "type(1).__mro__",
    "open('{marker}', 'w')",
])
def test_escapes_are_blocked_in_script_tasks(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "marker"
    code = "x = " + payload.format(marker=marker, escape=ESCAPE)
    with pytest.raises(WorkflowTaskException) as caught:
        _run(_script_process(code))
    assert caught.value.task.task_spec.bpmn_id == "Script_1"
    assert not marker.exists()


@pytest.mark.parametrize("payload", ["__import__('os').system('touch {marker}') == 0",
                                     "{escape}.__init__.__globals__['system']('touch {marker}') == 0"])
def test_escapes_are_blocked_in_gateway_conditions(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "marker"
    with pytest.raises(WorkflowTaskException) as caught:
        _run(_condition_process(payload.format(marker=marker, escape=ESCAPE)))
    assert caught.value.task.task_spec.bpmn_id == "Gateway_1"
    assert not marker.exists()


def test_escape_is_blocked_in_timer_expressions(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    expression = f"{ESCAPE}.__init__.__globals__['system']('touch {marker}') and 'PT1S'"
    with pytest.raises(WorkflowTaskException) as caught:
        _run(_timer_process(expression))
    assert caught.value.task.task_spec.bpmn_id == "Timer_1"
    assert not marker.exists()


@pytest.mark.parametrize(("entry", "output"), [
    (f"? == {ESCAPE}.__init__.__globals__['system']('touch MARKER')", '"ok"'),
    ("&lt; 5", f"{ESCAPE}.__init__.__globals__['system']('touch MARKER')"),
])
def test_escape_is_blocked_in_dmn_cells(tmp_path: Path, entry: str, output: str) -> None:
    marker = tmp_path / "marker"
    bpmn, dmn = _decision_process(entry.replace("MARKER", str(marker)), output.replace("MARKER", str(marker)))
    with pytest.raises(WorkflowTaskException) as caught:
        _run(bpmn, {"x": 1}, dmn)
    assert caught.value.task.task_spec.bpmn_id == "Rule_1"
    assert not marker.exists()


def test_dmn_cells_evaluate_under_restriction() -> None:
    bpmn, dmn = _decision_process("200 &lt;= ? &lt; 500", '"bureau"')
    assert _run(bpmn, {"x": 250}, dmn).data["result"] == "bureau"
    assert _run(bpmn, {"x": 600}, dmn).data["result"] == "other"


def test_conditions_see_task_data() -> None:
    workflow = _run(_condition_process("amount &gt;= 500"), {"amount": 600})
    finished = [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)]
    assert "EndEvent_2" in finished and "EndEvent_1" not in finished


def test_compiled_code_is_cached() -> None:
    _compile.cache_clear()
    _compile("1 + 1", "eval")
    _compile("1 + 1", "eval")
    assert _compile.cache_info().hits == 1


def test_helper_names_must_be_public_identifiers() -> None:
    with pytest.raises(ValueError):
        make_script_engine({"_secret": print})
