"""Fengxian 奉贤区 (consultation draft): each obligation of regulations/fengxian.obligations.toml driven through
the deployed process. The seed text (regulations/fengxian.txt) is the authority; where the policy summary differs,
the element documentation and the obligation's `reading` say so."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from engine import Bundle, InvalidInput, unit_of_work
from engine.settings import PROJECT_ROOT
from engine.tools.testing import ProcessHarness, ProcessRun
from engine.tools.trace import trace_markdown
from engine.usecases.instances import regulations_of
from engine.usecases.tasks import task_view

from .conftest import HarnessFactory
from .test_fengxian import ANSWERS, P, to_acceptance, walk


@pytest.fixture
def h(jurisdiction: HarnessFactory) -> ProcessHarness:
    return jurisdiction("fengxian", "2025-01-06T09:00:00+08:00")


def _earlier_fields(h: ProcessHarness, run: ProcessRun, spec_id: str) -> list[tuple[str, str]]:
    """The fields of earlier steps as the task page of `spec_id` lists them."""
    with unit_of_work(h.sessions) as session:
        view = task_view(h.engine, session, h.tester, run.task(spec_id).id)
    return [field for step in view.earlier for field in step.fields]


def _change(amount: float) -> dict[str, Any]:
    return {"changeRequested": True, "changeAmountWan": amount, "changeReason": "需求调整"}


# --- validity (Art. 38 and the consultation notice) ---------------------------------------------------------

def test_the_draft_declares_no_dates_and_a_project_may_start_on_any_day(h: ProcessHarness) -> None:
    with unit_of_work(h.sessions) as session:
        info = regulations_of(h.engine, session, [P])[P]
    assert info.status == "draft" and info.refusal is None
    assert info.description == "《奉贤区数字化项目全周期管理办法（草案）》，草案（未正式施行）"
    for day in ("2024-08-06T09:00:00+08:00", "2040-12-31T09:00:00+08:00"):
        h.clock.set(day)
        assert h.start(P).waiting() == ["Task_Apply"]
    with pytest.raises(InvalidInput) as needless:  # a draft applies every day: no transition start is needed
        h.start(P, outside_validity="过渡")
    assert needless.value.errors[0].message == "该办法今天在有效期内，无需按过渡情形立项"
    report = trace_markdown(Bundle.from_jurisdiction(PROJECT_ROOT, "fengxian"))
    assert "- fengxian_project: 《奉贤区数字化项目全周期管理办法（草案）》，草案（未正式施行）\n" in report


# --- Art. 22: change limit, cumulative ---------------------------------------------------------------------

def test_a_change_of_exactly_ten_percent_is_reviewed_by_the_data_bureau(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Construction": [_change(30.00), {}]}, until="Timer_TrialRun")
    run.assert_path("Rule_Change", "Task_ChangeReview", "Script_RecordChange", "Task_Construction", "Task_TrialRun")
    run.assert_not_visited("Task_ProcurementLawChange")
    assert run.data["approvedChangesWan"] == Decimal("30.00")


def test_a_change_just_over_ten_percent_follows_the_procurement_law(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Construction": [_change(30.01), {}]}, until="Timer_TrialRun")
    run.assert_path("Rule_Change", "Task_ProcurementLawChange", "Task_Construction")
    run.assert_not_visited("Task_ChangeReview")


def test_successive_changes_count_together_so_a_change_cannot_be_split(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Construction": [_change(20.00), _change(10.00), _change(0.01), {}]}, until="Timer_TrialRun")
    # 20 (6.67 %) and then 10 more (30.00 = exactly 10 %) are reviewed; 0.01 more makes 30.01 > 10 % of 300
    run.assert_path("Task_ChangeReview", "Task_Construction", "Task_ChangeReview", "Task_Construction",
                    "Task_ProcurementLawChange", "Task_Construction", "Task_TrialRun")
    assert run.data["cumulativeChangeWan"] == Decimal("30.01")
    assert run.data["approvedChangesWan"] == Decimal("30.01")


def test_a_refused_change_does_not_count_and_its_reason_reaches_the_unit(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Construction")
    run.complete("Task_Construction", {**ANSWERS["Task_Construction"], **_change(28.00)})
    with pytest.raises(InvalidInput) as caught:  # a refusal without its reason is refused
        run.complete("Task_ChangeReview", {"changeApproved": False, "changeOpinion": "不同意"})
    assert [e.field for e in caught.value.errors] == ["changeRefusalReason"]
    run.complete("Task_ChangeReview", {"changeApproved": False, "changeOpinion": "不同意",
                                       "changeRefusalReason": "超出批复建设内容"})
    assert run.waiting() == ["Task_Construction"]
    assert ("不同意变更的理由", "超出批复建设内容") in _earlier_fields(h, run, "Task_Construction")
    assert run.data["approvedChangesWan"] == Decimal("0")
    walk(run, {"Task_Construction": [_change(5.00), {}]}, until="Timer_TrialRun")
    run.assert_not_visited("Task_ProcurementLawChange")  # 28 refused + 5 = 33 would exceed 30, but only 5 counts
    assert run.data["approvedChangesWan"] == Decimal("5.00")


# --- Art. 24: 30 natural days, after the trial run; Art. 26: rectify and apply again --------------------

def test_acceptance_is_applied_for_only_after_the_trial_run(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run)
    assert run.waiting() == [] and run.status == "waiting"
    h.clock.set("2025-09-01T23:59:00+08:00")  # three months from 2025-06-01 end on 2025-09-01
    assert h.fire_timers() == []
    h.clock.set("2025-09-02T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    assert run.waiting() == ["Task_AcceptanceApplication"]


def test_thirty_natural_days_end_inside_the_national_day_holiday_without_rolling_over(h: ProcessHarness) -> None:
    run = h.start(P)
    to_acceptance(h, run)
    h.clock.set("2025-09-05T10:00:00+08:00")
    run.complete("Task_AcceptanceApplication", ANSWERS["Task_AcceptanceApplication"])
    assert run.data["acceptanceDeadline"] == "2025-10-05"  # Sunday, 国庆 holiday: natural days never move
    assert run.task("Task_OrganiseAcceptance").due_at.isoformat() == "2025-10-05T16:00:00+00:00"
    h.clock.set("2025-10-05T23:59:00+08:00")
    assert h.fire_timers() == []
    h.clock.set("2025-10-06T00:00:01+08:00")  # not 2025-10-09, the first working day after the holiday
    assert h.fire_timers() == [run.id]
    assert "Task_AcceptanceOverdue" in run.waiting()


def test_a_failed_acceptance_withholds_funds_and_a_new_application_starts_a_new_period(h: ProcessHarness) -> None:
    run = h.start(P)
    to_acceptance(h, run)
    walk(run, until="Task_Acceptance")
    assert run.data["acceptanceDeadline"] == "2025-10-02"
    with pytest.raises(InvalidInput) as caught:
        run.complete("Task_Acceptance", {**ANSWERS["Task_Acceptance"], "accepted": False})
    assert [e.field for e in caught.value.errors] == ["acceptanceRectificationRequirements"]
    h.clock.set("2025-09-20T10:00:00+08:00")
    run.complete("Task_Acceptance", {**ANSWERS["Task_Acceptance"], "accepted": False,
                                     "acceptanceRectificationRequirements": "补齐安全测评报告"})
    assert run.waiting() == ["Task_WithholdFunds"]
    assert run.task("Task_WithholdFunds").candidate_group == "fengxian:finance_bureau"
    run.complete("Task_WithholdFunds", ANSWERS["Task_WithholdFunds"])
    assert ("验收报告提出的整改意见", "补齐安全测评报告") in _earlier_fields(h, run, "Task_RectifyAcceptance")
    run.complete("Task_RectifyAcceptance", ANSWERS["Task_RectifyAcceptance"])
    h.clock.set("2025-11-10T10:00:00+08:00")
    run.complete("Task_AcceptanceApplication", ANSWERS["Task_AcceptanceApplication"])
    assert run.data["acceptanceDeadline"] == "2025-12-10"  # counted again from the new receipt
    assert run.task("Task_OrganiseAcceptance").due_at.isoformat() == "2025-12-10T16:00:00+00:00"
    run.assert_path("Rule_AcceptanceResult", "Task_WithholdFunds", "Task_RectifyAcceptance",
                    "Task_AcceptanceApplication", "Script_Receipt", "Rule_Scheduling")
    run.assert_not_visited("Task_AssetRegistration")


# --- Art. 23: classified systems ------------------------------------------------------------------------

def test_a_classified_system_refused_by_the_secrecy_office_is_not_used_until_approved(h: ProcessHarness) -> None:
    run = h.start(P)
    to_acceptance(h, run)
    walk(run, {"Task_Acceptance": {"isClassified": True}}, until="Task_SecrecyApproval")
    assert run.task("Task_SecrecyApproval").candidate_group == "fengxian:secrecy_office"
    run.complete("Task_SecrecyApproval", {"secrecyOfficeApproved": False, "secrecyOpinion": "不同意",
                                          "secrecyRefusalReason": "未完成分级保护测评"})
    assert run.waiting() == ["Task_RectifySecrecy"]
    assert ("不予批准的理由", "未完成分级保护测评") in _earlier_fields(h, run, "Task_RectifySecrecy")
    run.complete("Task_RectifySecrecy", ANSWERS["Task_RectifySecrecy"])
    assert run.waiting() == ["Task_SecrecyApproval"]
    run.assert_not_visited("Task_AssetRegistration")
    run.complete("Task_SecrecyApproval", ANSWERS["Task_SecrecyApproval"])
    assert run.waiting() == ["Task_AssetRegistration"]


# --- Art. 15, 18, 19, 20: two-stage review and the next year's plan --------------------------------------

@pytest.mark.parametrize("failing", ["conformsToDistrictPlan", "proposalMature", "costEstimateReasonable"])
def test_a_failed_pre_review_lists_the_project_as_not_to_be_reviewed(h: ProcessHarness, failing: str) -> None:
    run = h.start(P)
    walk(run, {"Task_PreReview": {failing: False}})
    run.assert_path("Task_PreReview", "Rule_PreReview", "End_NotToBeReviewed")
    run.assert_not_visited("Task_PlanReview")
    assert run.status == "completed"


def test_the_plan_review_passes_only_on_all_five_aspects(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_PlanReview")
    with pytest.raises(InvalidInput):
        run.complete("Task_PlanReview", {**ANSWERS["Task_PlanReview"], "intensiveSharing": False})
    run.complete("Task_PlanReview", {**ANSWERS["Task_PlanReview"], "intensiveSharing": False,
                                     "planReviewPassed": False})
    run.assert_path("Rule_PlanResult", "End_NotInitiated")
    run.assert_not_visited("Task_AnnualPlan", "Task_Budget")


def test_a_passed_plan_review_goes_into_the_next_years_plan_and_budget(h: ProcessHarness) -> None:
    h.clock.set("2025-12-31T17:00:00+08:00")
    run = h.start(P)
    walk(run, until="Task_AnnualPlan")
    assert run.data["planYear"] == 2026
    walk(run, until="Task_Budget")
    assert run.task("Task_Budget").candidate_group == "fengxian:finance_bureau"


# --- Art. 14: out-of-plan projects --------------------------------------------------------------------

def test_an_out_of_plan_project_enters_the_normal_flow_only_after_the_data_bureau_passes_its_basis(
        h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Apply": {"outOfPlan": True, "basisDocument": "DISTRICT_GOVERNMENT_NOTICE"},
               "Task_BasisReview": {"dataBureauReviewPassed": False, "basisOpinion": "依据不明确"}})
    run.assert_path("Rule_Basis", "Task_BasisReview", "Rule_Basis", "End_BasisRejected")
    run.assert_not_visited("Task_PreReview")


# --- Art. 5: approvals, security review, MLPS filing, tender documents, procurement method -------------

def test_returned_documents_carry_their_reason_back_to_the_unit(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_ApproveDocuments")
    with pytest.raises(InvalidInput) as caught:
        run.complete("Task_ApproveDocuments", {"documentsApproved": False, "approvalOpinion": "不予批复"})
    assert [e.field for e in caught.value.errors] == ["documentsReturnReason"]
    run.complete("Task_ApproveDocuments", {"documentsApproved": False, "approvalOpinion": "不予批复",
                                           "documentsReturnReason": "投资概算缺少测算依据"})
    assert run.waiting() == ["Task_Documents"]
    assert ("退回理由", "投资概算缺少测算依据") in _earlier_fields(h, run, "Task_Documents")


def test_the_security_review_can_send_the_plan_back_and_the_mlps_grading_is_filed(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_SecurityReview": [{"securityReviewPassed": False, "securityReturnReason": "未做密码应用方案"},
                                       {}]}, until="Task_TenderDocuments")
    run.assert_path("Task_ApproveDocuments", "Task_SecurityReview", "Task_Documents", "Task_ApproveDocuments",
                    "Task_SecurityReview", "Task_MlpsFiling")
    assert ("退回理由", "未做密码应用方案") in _earlier_fields(h, run, "Task_TenderDocuments")
    groups = {t.spec_id: t.candidate_group for t in run.tasks()}
    assert groups == {"Task_TenderDocuments": "fengxian:applicant_unit"}


def test_the_security_review_and_mlps_filing_sit_with_their_own_agencies(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_SecurityReview")
    assert run.task("Task_SecurityReview").candidate_group == "fengxian:party_office_crypto"
    walk(run, until="Task_MlpsFiling")
    assert run.task("Task_MlpsFiling").candidate_group == "fengxian:public_security"


def test_returned_tender_documents_are_submitted_again(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_TenderReview": [{"tenderDocsApproved": False, "tenderReturnReason": "评分标准有倾向性"}, {}]},
         until="Task_ProcurementMethod")
    run.assert_path("Task_TenderDocuments", "Task_TenderReview", "Gateway_TenderApproved", "Task_TenderDocuments",
                    "Task_TenderReview", "Gateway_TenderApproved")
    assert run.waiting() == ["Task_ProcurementMethod"]


def test_the_finance_bureau_fixes_the_procurement_method_also_for_centralised_procurement(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_TenderReview": {"reachesShanghaiCentralisedCatalogueOrLimit": True}}, until="Task_ProcurementMethod")
    assert run.task("Task_ProcurementMethod").candidate_group == "fengxian:finance_bureau"
    walk(run, until="Task_CentralProcurement")
    assert run.task("Task_CentralProcurement").candidate_group == "fengxian:procurement_center"
    run.assert_not_visited("Task_UnitProcurement")


# --- Art. 16, 8: platforms (COLLECT) ---------------------------------------------------------------------

@pytest.mark.parametrize(("nature", "villages", "platforms"), [
    ("CONVENIENCE_SERVICE", False, ["YIWANG_TONGBAN", "CENTRALLY_PROVIDED_INFRASTRUCTURE"]),
    ("OTHER", True, ["VILLAGE_DIGITAL_BASE", "CENTRALLY_PROVIDED_INFRASTRUCTURE"]),
    ("OTHER", False, ["CENTRALLY_PROVIDED_INFRASTRUCTURE"]),
])
def test_platforms_are_collected_from_the_project_nature(h: ProcessHarness, nature: str, villages: bool,
                                                         platforms: list[str]) -> None:
    run = h.start(P)
    walk(run, {"Task_Apply": {"projectNature": nature, "reachesVillages": villages}}, until="Task_PlanReview")
    assert run.data["platform"] == platforms


# --- Art. 32: performance --------------------------------------------------------------------------------

def test_a_failed_evaluation_blocks_until_rectified_and_its_reason_reaches_the_unit(h: ProcessHarness) -> None:
    run = h.start(P)
    to_acceptance(h, run)
    walk(run, {"Task_Performance": {"evaluationPassed": False, "performanceDefects": "使用率低于目标"}},
         until="Task_RectifyPerformance")
    assert ("未通过评估的原因和整改要求", "使用率低于目标") in _earlier_fields(h, run, "Task_RectifyPerformance")
    run.complete("Task_RectifyPerformance", {"rectified": False, "performanceRectificationNote": "整改中"})
    assert run.waiting() == ["Task_RectifyPerformance"]
    assert run.data["effect"] == "BLOCK_RELATED_UPGRADE_APPLICATIONS"
    run.complete("Task_RectifyPerformance", ANSWERS["Task_RectifyPerformance"])
    assert run.data["effect"] == "BLOCK_LIFTED" and run.waiting() == ["Task_Operation"]


# --- Art. 22 last sentence, Art. 33: stopping and permanent shutdown -----------------------------------

def test_a_permanent_shutdown_is_filed_with_the_finance_and_the_data_bureau_in_parallel(h: ProcessHarness) -> None:
    run = h.start(P)
    to_acceptance(h, run)
    walk(run, until="Task_FileWithFinance")
    groups = {t.spec_id: t.candidate_group for t in run.tasks()}
    assert groups == {"Task_FileWithFinance": "fengxian:finance_bureau",
                      "Task_FileWithDataBureau": "fengxian:data_bureau"}
    run.complete("Task_FileWithDataBureau", ANSWERS["Task_FileWithDataBureau"])
    assert run.status != "completed" and run.waiting() == ["Task_FileWithFinance"]
    run.complete("Task_FileWithFinance", ANSWERS["Task_FileWithFinance"])
    assert run.status == "completed"
    run.assert_path("Gateway_FilingJoin", "End_Decommissioned")


def test_an_o_and_m_project_stopped_for_cause_stops_by_the_finance_procedure(h: ProcessHarness) -> None:
    run = h.start(P)
    to_acceptance(h, run)
    walk(run, {"Task_Operation": {"event": "OM_STOPPED"}}, until="Task_StopOm")
    assert run.task("Task_StopOm").candidate_group == "fengxian:finance_bureau"
    run.complete("Task_StopOm", ANSWERS["Task_StopOm"])
    run.assert_path("Rule_Stop", "Task_StopOm", "End_OmStopped")
    run.assert_not_visited("Task_FileWithFinance", "Task_FileWithDataBureau")
