"""Authoring: generated diagrams validate, deploy, run, and carry complete DI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import etree

from engine import Bundle, FakeClock
from engine.spiff.compiler import compile_bundle
from engine.tools.authoring import ProcessBuilder, missing_di
from engine.tools.testing import ProcessHarness

from .helpers import SMOKE


def _review_process() -> ProcessBuilder:
    b = ProcessBuilder("gen_review", "生成的审查流程", "gen")
    b.lane("applicant_unit", "申请单位")
    b.lane("data_bureau", "数据局")
    b.start("StartEvent_1", "开始", "applicant_unit", "Art. 1")
    b.user("Task_Apply", "申报", "applicant_unit", "Art. 2", form="apply")
    b.rule("Task_Route", "判定路径", "data_bureau", "Art. 3", decision="DT_S_01")
    b.gateway("Gateway_Route", "路径？", "data_bureau", "Art. 3")
    b.user("Task_Review", "审核", "data_bureau", "Art. 4", form="accept", due="add_working_days(today(), 5)")
    b.timer("Timer_Late", "超期", "data_bureau", "Art. 4", duration='"P5D"', attached_to="Task_Review",
            interrupting=False)
    b.user("Task_Escalate", "督办", "data_bureau", "Art. 4", form="check")
    b.end("EndEvent_Escalated", "已督办", "data_bureau", "Art. 4")
    b.user("Task_Rectify", "整改", "applicant_unit", "Art. 5", form="rectify")
    b.end("EndEvent_Done", "办结", "data_bureau", "Art. 6")
    b.flow("StartEvent_1", "Task_Apply")
    b.flow("Task_Apply", "Task_Route")
    b.flow("Task_Route", "Gateway_Route")
    b.flow("Gateway_Route", "Task_Review", name="简易", condition='route == "SIMPLE"')
    b.flow("Gateway_Route", "EndEvent_Done", name="其他", default=True)
    b.flow("Task_Review", "Task_Rectify", name="")
    b.flow("Task_Rectify", "Task_Apply", name="重新申报")
    b.flow("Timer_Late", "Task_Escalate")
    b.flow("Task_Escalate", "EndEvent_Escalated")
    return b


def _bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "gen"
    folder.mkdir()
    for name in ("DT_S_01.dmn", "labels.schema.json", "apply.schema.json", "accept.schema.json", "check.schema.json",
                 "rectify.schema.json"):
        shutil.copy(SMOKE / name, folder / name)
    for form in ("apply", "accept", "check", "rectify"):
        (folder / f"{form}.uischema.json").write_text("{}", encoding="utf-8")
    (folder / "gen_review.bpmn").write_text(_review_process().to_xml(), encoding="utf-8")
    return folder


def test_generated_diagram_has_complete_di_and_deploys(tmp_path: Path) -> None:
    folder = _bundle(tmp_path)
    root = etree.parse(str(folder / "gen_review.bpmn")).getroot()
    assert missing_di(root) == []
    compiled = compile_bundle(Bundle.from_directory(folder))
    assert compiled.processes["gen_review"].lanes == {
        "gen_review": {"申请单位": "gen:applicant_unit", "数据局": "gen:data_bureau"}}


def test_generated_diagram_runs_its_loop_and_timer(tmp_path: Path, database_url: str) -> None:
    harness = ProcessHarness([Bundle.from_directory(_bundle(tmp_path))], database_url=database_url,
                             clock=FakeClock("2025-09-30T09:00:00+08:00"))
    try:
        run = harness.start("gen_review")
        run.complete("Task_Apply", {"investmentWan": 10})
        harness.advance(days=6)
        assert run.waiting() == ["Task_Escalate", "Task_Review"]
        run.complete("Task_Review", {"passed": False})
        run.complete("Task_Rectify", {"rectificationNote": "补正"})
        run.complete("Task_Apply", {"investmentWan": 900})
        run.assert_path("Task_Apply", "Task_Review", "Task_Rectify", "Task_Apply", "EndEvent_Done")
    finally:
        harness.close()


def test_missing_di_names_undrawn_elements(tmp_path: Path) -> None:
    root = etree.parse(str(SMOKE / "smoke.bpmn")).getroot()
    assert {"Task_Apply", "F1", "Lane_A"} <= set(missing_di(root))


def test_decision_builder_writes_a_deployable_typed_table(tmp_path: Path, database_url: str) -> None:
    from engine.tools.authoring import DecisionBuilder

    b = DecisionBuilder("DT_GEN_01", "生成的决策")
    b.raw_input("approvedEstimateWan", "number")
    b.raw_input("adjustAmountWan", "number")
    b.input("不超过15%", "adjustAmountWan * 100 <= approvedEstimateWan * 15", "boolean")
    b.output("路径", "route")
    b.rule(["True"], ['"SELF_ADJUST_AND_FILE"'], "Art. 1")
    b.rule(["-"], ['"FORMAL_APPROVAL"'], "Art. 1 兜底")
    with pytest.raises(ValueError, match="wrong number of cells"):
        b.rule(["-", "-"], ['"X"'], "Art. 2")
    folder = tmp_path / "gen"
    folder.mkdir()
    (folder / "DT_GEN_01.dmn").write_text(b.to_xml(), encoding="utf-8")
    # Every value a rule outputs has a name for clerks, or the bundle does not deploy.
    (folder / "labels.schema.json").write_text(json.dumps({"type": "object", "properties": {"route": {
        "type": "string", "title": "路径", "oneOf": [{"const": "SELF_ADJUST_AND_FILE", "title": "自行调整后备案"},
                                                    {"const": "FORMAL_APPROVAL", "title": "报批"}]}}},
        ensure_ascii=False), encoding="utf-8")
    harness = ProcessHarness([Bundle.from_directory(folder)], database_url=database_url)
    try:
        assert harness.decide("DT_GEN_01", approvedEstimateWan="1150", adjustAmountWan="172.50").outputs == {
            "route": "SELF_ADJUST_AND_FILE"}
        assert harness.decide("DT_GEN_01", approvedEstimateWan="1150", adjustAmountWan="172.51").outputs == {
            "route": "FORMAL_APPROVAL"}
    finally:
        harness.close()
