"""Qingyang changes its rules while projects are mid-way: diff the versions and migrate running instances."""

from __future__ import annotations

import json
import re

import pytest

from engine import Bundle
from engine.settings import PROJECT_ROOT
from engine.store.audit import audit_trail
from engine.store.models import AuditEvent
from engine.tools.testing import TESTER, ProcessHarness
from engine.usecases import state, tasks
from engine.usecases.versiondiff import diff_versions

from .conftest import HarnessFactory
from .test_qingyang_process import P, walk

BPMN = "bpmn/qingyang_project.bpmn"
ARCHIVE_STEP = (
    '<bpmn:userTask id="Task_ArchiveHandover" name="档案移交核查"><bpmn:documentation>二(四)2 验收后移交项目档案'
    '</bpmn:documentation><bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property '
    'name="formJsonSchemaFilename" value="acceptance_filing.schema.json"/></spiffworkflow:properties>'
    '</bpmn:extensionElements><bpmn:incoming>Flow_Task_FileAcceptance_Timer_PostEvalOpens</bpmn:incoming>'
    '<bpmn:outgoing>Flow_Task_ArchiveHandover_Timer_PostEvalOpens</bpmn:outgoing></bpmn:userTask>\n'
    '    <bpmn:sequenceFlow id="Flow_Task_ArchiveHandover_Timer_PostEvalOpens" sourceRef="Task_ArchiveHandover" '
    'targetRef="Timer_PostEvalOpens"/>\n')


def edited(bundle: Bundle, path: str, *replacements: tuple[str, str]) -> Bundle:
    """Return the bundle with text replaced in one file; every replaced text must be there."""
    texts = bundle.as_texts()
    for old, new in replacements:
        assert old in texts[path], f"{old!r} not in {path}"
        texts[path] = texts[path].replace(old, new)
    return Bundle.from_texts(bundle.name, texts)


def threshold_400(bundle: Bundle) -> Bundle:
    """Move the feasibility threshold of DT_QY_03 from 500万 to 400万."""
    return edited(bundle, "dmn/DT_QY_03.dmn", ("&gt;= 500", "&gt;= 400"), ("&lt; 500", "&lt; 400"))


def archive_step(bundle: Bundle) -> Bundle:
    """Add a data-bureau archive check after acceptance filing, before the post-evaluation window."""
    return edited(
        bundle, BPMN,
        ('<bpmn:flowNodeRef>Task_FileAcceptance</bpmn:flowNodeRef>',
         '<bpmn:flowNodeRef>Task_FileAcceptance</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_ArchiveHandover'
         '</bpmn:flowNodeRef>'),
        ('<bpmn:incoming>Flow_Task_FileAcceptance_Timer_PostEvalOpens</bpmn:incoming><bpmn:outgoing>'
         'Flow_Timer_PostEvalOpens_Task_PostEvaluation',
         '<bpmn:incoming>Flow_Task_ArchiveHandover_Timer_PostEvalOpens</bpmn:incoming><bpmn:outgoing>'
         'Flow_Timer_PostEvalOpens_Task_PostEvaluation'),
        ('sourceRef="Task_FileAcceptance" targetRef="Timer_PostEvalOpens"></bpmn:sequenceFlow>\n',
         'sourceRef="Task_FileAcceptance" targetRef="Task_ArchiveHandover"></bpmn:sequenceFlow>\n' + ARCHIVE_STEP))


def _stored_state(h: ProcessHarness, instance_id: str) -> str:
    with h._unit() as session:
        return state.get_instance(session, instance_id).state


@pytest.fixture
def h(jurisdiction: HarnessFactory) -> ProcessHarness:
    return jurisdiction("qingyang", "2025-03-01T09:00:00+08:00")


@pytest.fixture
def v1() -> Bundle:
    return Bundle.from_jurisdiction(PROJECT_ROOT, "qingyang")


def test_moving_the_500_wan_threshold_migrates_projects_that_have_not_decided_their_path(
        h: ProcessHarness, v1: Bundle) -> None:
    undecided = h.start(P, business_key="QY-A")
    walk(undecided, {"Task_Register": {"investmentWan": 450.0}}, until="Task_Expert")
    decided = h.start(P, business_key="QY-B")
    walk(decided, {"Task_Register": {"investmentWan": 450.0}}, until="Task_Combined")
    assert h.deploy(threshold_400(v1), "阈值调整为400万") == {P: 2}

    plan = h.migrate(P, 2, dry_run=True)
    assert [c.instance_id for c in plan.movable] == [undecided.id]
    [blocked] = plan.blocked
    assert blocked.instance_id == decided.id and blocked.position == ("Task_Combined",)
    assert tuple(map(str, blocked.reasons)) == ("decision of 判定审批文件路径 (Rule_Path) changed after it ran",)
    assert undecided.instance().version == 1  # a dry run changes nothing

    state_before = _stored_state(h, decided.id)
    report = h.migrate(P, 2)
    assert [c.instance_id for c in report.movable] == [undecided.id] and len(report.blocked) == 1
    assert (undecided.instance().version, decided.instance().version) == (2, 1)
    assert _stored_state(h, decided.id) == state_before  # reported, not half-done
    # The migrated project meets the new threshold: 450万 now needs a feasibility study.
    walk(undecided, until="Task_Feasibility")
    undecided.assert_path("Task_Expert", "Rule_Path", "Gateway_ToFeasibility")
    assert undecided.waiting() == ["Task_Feasibility"]
    walk(decided, until="Task_Budget")
    decided.assert_not_visited("Task_Feasibility")
    assert h.start(P).instance().version == 2

    with h._unit() as session:
        [batch] = session.query(AuditEvent).filter_by(action="migrate-batch").all()
        assert batch.data["migrated"] == [undecided.id] and list(batch.data["blocked"]) == [decided.id]
        trail = [e.action for e in audit_trail(session, undecided.id)]
        assert "migrate" in trail and "migrate" not in [e.action for e in audit_trail(session, decided.id)]
        diff = diff_versions(session, TESTER, P, 1, 2)
    rules = {c.where: c for c in diff.of_kind("rule")}
    assert set(rules) == {f"DT_QY_03/Rule_DT_QY_03_{n}" for n in (2, 3, 4, 5)}
    assert rules["DT_QY_03/Rule_DT_QY_03_2"].change == "changed"
    assert any("投资额" in d or ">= 400" in d for d in rules["DT_QY_03/Rule_DT_QY_03_2"].details)
    assert diff.of_kind("element") == [] and diff.of_kind("field") == []


def test_a_step_added_after_acceptance_reaches_projects_still_before_it(h: ProcessHarness, v1: Bundle) -> None:
    filing, later = h.start(P, business_key="QY-FILING"), h.start(P, business_key="QY-LATER")
    walk(filing)
    walk(later)
    h.clock.set("2025-08-16T00:00:01+08:00")  # the trial runs of both end
    assert sorted(h.fire_timers()) == sorted([filing.id, later.id])
    walk(filing, until="Task_FileAcceptance")
    walk(later)  # files acceptance and waits for the post-evaluation window
    early = h.start(P, business_key="QY-EARLY")
    assert later.waiting() == [] and later.status == "waiting"
    assert h.deploy(archive_step(v1), "验收后增加档案移交核查") == {P: 2}

    report = h.migrate(P, 2)
    assert sorted(c.instance_id for c in report.movable) == sorted([filing.id, early.id])
    [blocked] = report.blocked
    assert blocked.instance_id == later.id
    # Blamed on the step the version inserted, not on the unchanged step before it.
    assert tuple(map(str, blocked.reasons)) == (
        "验收结果备案 (Task_FileAcceptance) already ran and its outgoing flows changed: 后评价时窗开启 is replaced by "
        "档案移交核查",)
    assert blocked.reasons[0].text_zh == "「验收结果备案」已经办过，新版本把它之后的「后评价时窗开启」换成了「档案移交核查」"

    task_before = filing.task("Task_FileAcceptance")
    walk(filing, until="Task_ArchiveHandover")
    assert filing.task("Task_ArchiveHandover").candidate_group == "qingyang:data_bureau"
    filing.assert_path("Task_SelfAcceptance", "Task_FileAcceptance")
    assert task_before.id  # the open task kept its id through the migration and was completed normally

    with h._unit() as session:
        diff = diff_versions(session, TESTER, P, 1, 2)
    added = [c for c in diff.changes if c.change == "added"]
    assert {(c.kind, c.where) for c in added} == {
        ("element", "Task_ArchiveHandover"), ("flow", "Flow_Task_ArchiveHandover_Timer_PostEvalOpens")}
    flow = next(c for c in diff.of_kind("flow") if c.change == "changed")
    assert flow.details == ("to: Timer_PostEvalOpens → Task_ArchiveHandover",)


def test_a_changed_form_field_applies_to_open_tasks_and_keeps_their_data(h: ProcessHarness, v1: Bundle) -> None:
    run = h.start(P, business_key="QY-FORM")
    task_id = run.task("Task_Register").id
    with h._unit() as session:
        tasks.claim(h.engine, session, TESTER, task_id)
    schema = json.loads(v1.as_texts()["forms/register.schema.json"])
    schema["properties"]["investmentWan"]["title"] = "总投资（万元，含运维）"
    schema["properties"]["investmentWan"]["maximum"] = 100000
    texts = {**v1.as_texts(), "forms/register.schema.json": json.dumps(schema, ensure_ascii=False)}
    assert h.deploy(Bundle.from_texts("qingyang", texts), "投资额字段改名") == {P: 2}

    report = h.migrate(P, 2)
    assert [c.instance_id for c in report.movable] == [run.id]
    assert run.task("Task_Register").id == task_id
    assert run.task("Task_Register").assignee == TESTER.username  # the claim moved with the task
    with h._unit() as session:
        [field] = diff_versions(session, TESTER, P, 1, 2).of_kind("field")
        version = state.get_instance(session, run.id).process_version
        served = h.engine.form(version, "register.schema.json")
    assert field.where == "register.schema.json#investmentWan" and field.change == "changed"
    assert field.details[0].endswith("→ 总投资（万元，含运维）") and any(d.startswith("maximum") for d in field.details)
    assert served["properties"]["investmentWan"]["title"] == "总投资（万元，含运维）"


def test_a_branch_of_a_passed_gateway_that_now_leads_elsewhere_is_blamed_on_the_new_step(h: ProcessHarness,
                                                                                           v1: Bundle) -> None:
    run = h.start(P, business_key="QY-BRANCH")
    walk(run, until="Task_DeptReview")  # Gateway_Scope has run
    texts = v1.as_texts()
    xml = texts[BPMN].replace("End_OutOfScope", "End_NotApplicable").replace('name="不适用本方案"', 'name="不适用本办法"')
    h.deploy(Bundle.from_texts("qingyang", {**texts, BPMN: xml}), "不适用的结束事件改名")
    [blocked] = h.migrate(P, 2, dry_run=True).blocked
    [reason] = blocked.reasons
    assert reason.text_zh == "「是否适用？」已经办过，新版本把它之后的「不适用本方案」换成了「不适用本办法」"


def test_removing_the_task_an_instance_waits_on_blocks_it(h: ProcessHarness, v1: Bundle) -> None:
    run = h.start(P, business_key="QY-RM")
    walk(run, until="Task_DeptReview")
    texts = v1.as_texts()
    xml = texts[BPMN]
    xml = re.sub(r'<bpmn:userTask id="Task_DeptReview".*?</bpmn:userTask>', "", xml, flags=re.S)
    xml = re.sub(r'<bpmn:sequenceFlow id="Flow_Task_DeptReview_Gateway_DeptReview".*?</bpmn:sequenceFlow>', "", xml)
    xml = re.sub(r'<bpmndi:BPMN(Shape|Edge) id="(Task_DeptReview|Flow_Task_DeptReview_Gateway_DeptReview)_di".*?'
                 r'</bpmndi:BPMN(Shape|Edge)>', "", xml)
    xml = xml.replace("<bpmn:flowNodeRef>Task_DeptReview</bpmn:flowNodeRef>", "")
    xml = xml.replace('targetRef="Task_DeptReview"', 'targetRef="Gateway_DeptReview"')
    xml = xml.replace("<bpmn:incoming>Flow_Task_DeptReview_Gateway_DeptReview</bpmn:incoming>",
                      "<bpmn:incoming>Flow_Gateway_Scope_Task_DeptReview</bpmn:incoming>")
    h.deploy(Bundle.from_texts("qingyang", {**texts, BPMN: xml}), "取消主管部门审核")

    [blocked] = h.migrate(P, 2).blocked
    assert "the instance stands at 主管部门汇总审核 (Task_DeptReview), which the new version removes" in map(str, blocked.reasons)
    assert run.instance().version == 1 and run.waiting() == ["Task_DeptReview"]
    with h._unit() as session:
        removed = [c.where for c in diff_versions(session, TESTER, P, 1, 2).changes if c.change == "removed"]
    # The review form is no longer used by the process, so its fields and their layout leave the version too.
    assert removed == ["Task_DeptReview", "Flow_Task_DeptReview_Gateway_DeptReview",
                       "dept_review.schema.json#(form)", "dept_review.schema.json#deptApproved",
                       "dept_review.schema.json#deptOpinion", "dept_review.uischema.json#deptApproved",
                       "dept_review.uischema.json#deptOpinion", "dept_review.uischema.json#ui:description",
                       "dept_review.uischema.json#ui:order"]


def test_a_field_renamed_in_a_passed_form_and_in_the_decisions_ahead_blocks_the_instance(
        h: ProcessHarness, v1: Bundle) -> None:
    run = h.start(P, business_key="QY-RENAME")
    walk(run, until="Task_DeptReview")
    texts = v1.as_texts()
    schema = json.loads(texts["forms/register.schema.json"])
    schema["properties"]["totalInvestmentWan"] = schema["properties"].pop("investmentWan")
    schema["required"] = [name for name in schema["required"] if name != "investmentWan"]
    texts["forms/register.schema.json"] = json.dumps(schema, ensure_ascii=False)
    texts = {path: text.replace("investmentWan", "totalInvestmentWan") if path.startswith(("dmn/", "bpmn/")) else text
             for path, text in texts.items()}
    assert P in h.deploy(Bundle.from_texts("qingyang", texts), "投资额字段改名")
    [blocked] = h.migrate(P, 2, dry_run=True).blocked
    assert any(str(reason).startswith("decision ") and "reads totalInvestmentWan, which 填报项目基本情况 fills in "
               "version 2 but filled under another name when this instance passed it" in str(reason)
               for reason in blocked.reasons)
    renamed = next(reason for reason in blocked.reasons if reason.code == "renamed_ahead")
    # In Chinese the field goes by its form title and the steps by their names, never by ids.
    assert renamed.text_zh == ("「判定审批文件路径」的决策要读取「申报投资额（万元）」：版本 2 由「填报项目基本情况」填写它，"
                               "而本实例办理该环节时它还叫另一个名字")
