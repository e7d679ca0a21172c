"""The element model: a bundle's BPMN and DMN files parsed once into typed, immutable elements."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engine import Bundle, DeploymentError
from engine.conventions import DUE_DATE, FORM_SCHEMA, TIME_DATE, TIME_DURATION
from engine.spiff.compiler import compile_bundle
from engine.spiff.dmn_elements import read_decision_file
from engine.spiff.elements import BundleElements, Process, read_elements
from engine.spiff.xmlsafe import UnsafeXml

SMOKE = Path(__file__).resolve().parents[1] / "data" / "bundles" / "smoke"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs">\n')


@pytest.fixture(scope="module")
def smoke() -> BundleElements:
    return read_elements(Bundle.from_directory(SMOKE))


def _process(elements: BundleElements, process_id: str) -> Process:
    return next(p for p in elements.processes if p.id == process_id)


def test_processes_carry_lanes_with_their_groups_and_elements_in_document_order(smoke: BundleElements) -> None:
    accept = _process(smoke, "smoke_acceptance")
    assert (accept.name, accept.file) == ("验收示例", "bpmn/acceptance.bpmn")
    assert [(lane.id, lane.label, lane.candidate_group) for lane in accept.lanes] == [
        ("Lane_A_Unit", "建设单位", "smoke:applicant"), ("Lane_A_Bureau", "数据局", "smoke:data_bureau")]
    assert accept.lane_groups == {"建设单位": "smoke:applicant", "数据局": "smoke:data_bureau"}
    assert [e.id for e in accept.elements] == ["StartEvent_A", "Task_Submit", "Timer_Overdue", "Task_Escalate",
                                              "EndEvent_Escalated", "Call_Accept", "EndEvent_A"]
    submit, timer = accept.elements[1], accept.elements[2]
    assert (submit.kind, submit.label, submit.process_id) == ("userTask", "提交验收申请", "smoke_acceptance")
    assert submit.lane is not None and submit.lane.label == "建设单位"
    assert submit.documentation == "Demo Art. 7" and submit.properties == {FORM_SCHEMA: "check.schema.json"}
    assert submit.line == 15 and smoke.locations["Task_Submit"] == ("bpmn/acceptance.bpmn", 15)
    assert timer.kind == "boundaryEvent" and timer.timer is not None
    assert (timer.timer.kind, timer.timer.expression) == (TIME_DURATION, '"P5D"')
    assert timer.lane is not None and timer.lane.candidate_group == "smoke:data_bureau"
    assert accept.elements[0].documentation is None and accept.elements[0].timer is None


def test_tasks_read_properties_decisions_timers_and_flows_as_spiffworkflow_does(smoke: BundleElements) -> None:
    smoke_process = _process(smoke, "smoke")
    by_id = {e.id: e for e in smoke_process.elements}
    assert by_id["Task_Apply"].properties[DUE_DATE] == "add_working_days(today(), 5)"
    assert by_id["Rule"].called_decision == "DT_S_01" and by_id["Task_Apply"].called_decision is None
    timer = by_id["Timer"].timer
    assert timer is not None and (timer.kind, timer.expression) == (TIME_DATE, "deadline(add_working_days(signedOn, 5))")
    loop = _process(smoke, "smoke_accept_loop")
    flows = {f.id: f for f in loop.flows}
    assert (flows["FL4"].source, flows["FL4"].target, flows["FL4"].condition) == (
        "Gateway_Passed", "EndEvent_L", "passed == True")
    assert flows["FL5"].condition is None
    assert next(e for e in loop.elements if e.id == "Gateway_Passed").default_flow == "FL5"


def test_decisions_carry_columns_rules_cells_and_lines(smoke: BundleElements) -> None:
    decisions = {d.id: d for d in smoke.decisions}
    route = decisions["DT_S_01"]
    assert (route.label, route.file) == ("路径", "dmn/DT_S_01.dmn")
    table = route.table
    assert table is not None and (table.id, table.hit_policy) == ("Table_S", "FIRST")
    [column] = table.inputs
    assert (column.id, column.label, column.expression, column.type_ref) == ("In1", "投资", "investmentWan", "number")
    assert [(o.name, o.label) for o in table.outputs] == [("route", "路径")]
    assert [(r.id, r.number, r.inputs, r.outputs, r.line) for r in table.rules] == [
        ("R1", 1, (">= 500",), ('"FULL"',), 7), ("R2", 2, ("< 500",), ('"SIMPLE"',), 8),
        ("R3", 3, ("-",), ('"MANUAL"',), 9)]
    assert decisions["DT_S_02"].rules[0].description == "Demo Art. 1 紧急"
    [document] = [d for d in smoke.decision_files if d.path == "dmn/DT_S_03.dmn"]
    assert [(i.name, i.type_ref, i.label) for i in document.input_data] == [
        ("adjustAmountWan", "number", "adjustAmountWan"), ("approvedEstimateWan", "number", "approvedEstimateWan")]
    assert decisions["DT_S_03"].table is not None
    assert decisions["DT_S_03"].table.inputs[0].expression == "adjustAmountWan * 100 <= approvedEstimateWan * 15"


def test_elements_are_immutable(smoke: BundleElements) -> None:
    element = smoke.processes[0].elements[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        element.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        element.properties["x"] = "y"  # type: ignore[index]
    with pytest.raises(TypeError):
        smoke.locations["x"] = ("y", 1)  # type: ignore[index]


def test_inner_lanes_comments_and_subprocess_children_are_read() -> None:
    xml = HEAD + """<bpmn:process id="p" isExecutable="true">
  <bpmn:laneSet id="LS"><bpmn:lane id="Outer" name="外">
    <bpmn:flowNodeRef>Task_A</bpmn:flowNodeRef><bpmn:flowNodeRef>Sub</bpmn:flowNodeRef>
    <bpmn:childLaneSet id="CLS"><bpmn:lane id="Inner">
      <bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="candidateGroup" value="j:inner"/>
      </spiffworkflow:properties></bpmn:extensionElements><bpmn:flowNodeRef>Task_A</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:childLaneSet></bpmn:lane></bpmn:laneSet>
  <bpmn:userTask id="Task_A"><!-- reviewed --><bpmn:documentation>Art. 3</bpmn:documentation>
    <bpmn:documentation>（A1）</bpmn:documentation></bpmn:userTask>
  <bpmn:subProcess id="Sub" name="子"><bpmn:scriptTask id="Script_B"><bpmn:script> x = 1 </bpmn:script></bpmn:scriptTask>
  </bpmn:subProcess>
</bpmn:process></bpmn:definitions>"""
    [process] = read_elements(Bundle.from_texts("t", {"bpmn/t.bpmn": xml})).checked().processes
    assert [(lane.id, lane.label, lane.candidate_group) for lane in process.lanes] == [
        ("Outer", "外", None), ("Inner", "Inner", "j:inner")]
    assert process.lane_groups == {"Inner": "j:inner"}
    task, sub, script = process.elements
    assert task.lane is not None and task.lane.id == "Inner" and task.documentation == "Art. 3 （A1）"
    assert sub.lane is not None and sub.lane.id == "Outer" and (sub.kind, sub.label) == ("subProcess", "子")
    assert (script.id, script.kind, script.script, script.lane, script.process_id) == (
        "Script_B", "scriptTask", "x = 1", None, "p")


def test_an_unsafe_file_is_unreadable_and_the_rest_is_read() -> None:
    bundle = Bundle.from_texts("t", {
        "bpmn/bad.bpmn": '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "boom">]>\n<x>&e;</x>',
        "dmn/DT_S_01.dmn": (SMOKE / "DT_S_01.dmn").read_text(encoding="utf-8")})
    elements = read_elements(bundle)
    assert list(elements.unreadable) == ["bpmn/bad.bpmn"] and elements.diagram("bpmn/bad.bpmn") is None
    assert elements.unreadable["bpmn/bad.bpmn"].line == 2
    assert [d.id for d in elements.decisions] == ["DT_S_01"]
    with pytest.raises(DeploymentError) as raised:
        elements.checked()
    assert "DOCTYPE" in raised.value.problems[0].message
    with pytest.raises(UnsafeXml):
        read_decision_file(b"<definitions>" * 10, "dmn/big.dmn", max_bytes=20)


def test_lanes_are_found_by_name_and_ids_by_their_first_place() -> None:
    # The same id in a decision and a diagram stands where the decision defines it, as the compiler reports.
    dmn = (SMOKE / "DT_S_01.dmn").read_text(encoding="utf-8")
    bpmn = (SMOKE / "smoke.bpmn").read_text(encoding="utf-8").replace('id="Rule"', 'id="R1"').replace(
        '<bpmn:flowNodeRef>Rule<', '<bpmn:flowNodeRef>R1<').replace('targetRef="Rule"', 'targetRef="R1"').replace(
        'sourceRef="Rule"', 'sourceRef="R1"')
    elements = read_elements(Bundle.from_texts("t", {"bpmn/smoke.bpmn": bpmn, "dmn/DT_S_01.dmn": dmn}))
    assert elements.locations["R1"] == ("dmn/DT_S_01.dmn", 7)
    assert elements.lane_ids == {"申请单位": "Lane_A"}
    assert elements.locations["Lane_A"][0] == "bpmn/smoke.bpmn"


def test_the_compiled_bundle_keeps_the_elements_it_was_checked_with() -> None:
    bundle = Bundle.from_directory(SMOKE)
    compiled = compile_bundle(bundle)
    assert {p.id for p in compiled.elements.processes} == set(compiled.processes)
    assert compiled.problem_at("Task_Submit", "x").line == 15
    assert compiled.problem_at("nowhere", "x").file == bundle.of_kind("bpmn")[0].path
