"""Fengxian 奉贤区 (draft): decision tables (policies/fengxian.md §4, scenarios §8) and the lifecycle walked end to end."""

from __future__ import annotations

from typing import Any

import pytest

from engine import InvalidInput
from engine.tools.testing import ProcessHarness, ProcessRun

from .conftest import HarnessFactory
from .walking import decide, walk_process

P = "fengxian_project"
ANSWERS: dict[str, dict[str, Any]] = {
    "Task_Apply": {"projectName": "奉贤区一网统管街镇平台", "applicantType": "DISTRICT_ORGAN", "itemType": "APPLICATION_SYSTEM",
                   "responsibleLeader": "张副局长", "priorityRank": 1, "planRef": "方案.pdf", "studyRef": "研究.pdf",
                   "budgetWan": 300.0, "phased": False, "upgrade": False, "applicationSystem": True,
                   "dataSharingReadinessRef": "共享说明.pdf", "omProject": False, "outOfPlan": False,
                   "projectNature": "CITY_OPERATION", "reachesVillages": False, "ownInternetExit": False},
    "Task_BasisReview": {"dataBureauReviewPassed": True, "basisOpinion": "依据充分"},
    "Task_PreReview": {"conformsToDistrictPlan": True, "proposalMature": True, "costEstimateReasonable": True,
                       "preReviewOpinion": "通过"},
    "Task_PlanReview": {"necessity": True, "soundness": True, "intensiveSharing": True, "securityFeasible": True,
                        "costReasonable": True, "planReviewPassed": True, "planReviewOpinion": "通过"},
    "Task_AnnualPlan": {"annualPlanRef": "2026年度计划.pdf"},
    "Task_Budget": {"budgetedWan": 300.0},
    "Task_Documents": {"constructionPlanRef": "方案.pdf", "feasibilityRef": "可研.pdf", "estimateRef": "概算.pdf",
                       "preliminaryDesignRef": "初设.pdf"},
    "Task_ApproveDocuments": {"documentsApproved": True, "approvedAmountWan": 300.0, "approvalOpinion": "同意"},
    "Task_SecurityReview": {"securityReviewPassed": True, "securityReviewOpinion": "安全可靠，密码应用符合要求"},
    "Task_MlpsFiling": {"mlpsLevel": 2, "mlpsFilingNo": "31012099999-00001"},
    "Task_TenderDocuments": {"tenderDocumentsRef": "招标文件.pdf"},
    "Task_TenderReview": {"tenderDocsApproved": True, "reachesShanghaiCentralisedCatalogueOrLimit": False},
    "Task_ProcurementMethod": {"procurementMethod": "OPEN_TENDER"},
    "Task_CentralProcurement": {"contractorName": "上海某公司", "totalProjectAmountWan": 300.0, "signingDate": "2025-02-10"},
    "Task_UnitProcurement": {"contractorName": "上海某公司", "totalProjectAmountWan": 300.0, "signingDate": "2025-02-10"},
    "Task_Construction": {"progressNote": "按期完成", "changeRequested": False},
    "Task_ChangeReview": {"changeApproved": True, "changeOpinion": "同意"},
    "Task_ProcurementLawChange": {"changeApproved": True, "changeOpinion": "重新采购"},
    "Task_TrialRun": {"trialStart": "2025-06-01", "trialMonths": 3},
    "Task_AcceptanceApplication": {"applicationFormSubmitted": True, "applicationFormRef": "验收申请表.pdf"},
    "Task_OrganiseAcceptance": {"acceptanceScheduledOn": "2025-09-20", "groupMembers": "数据局、财政局、采购中心、专家"},
    "Task_AcceptanceOverdue": {"noticeNote": "督办"},
    "Task_Acceptance": {"accepted": True, "isClassified": False, "acceptanceReportRef": "验收报告.pdf"},
    "Task_WithholdFunds": {"noticeNote": "暂不拨付"},
    "Task_RectifyAcceptance": {"rectificationNote": "已整改"},
    "Task_SecrecyApproval": {"secrecyOfficeApproved": True, "secrecyOpinion": "同意"},
    "Task_RectifySecrecy": {"secrecyRectificationNote": "已按保密要求整改"},
    "Task_AssetRegistration": {"assetSummaryRef": "资产汇总表.xlsx"},
    "Task_OmPlan": {"qualityPlanRef": "质量.pdf", "omPlanRef": "运维.pdf", "securityPlanRef": "安全.pdf",
                    "emergencyPlanRef": "应急.pdf"},
    "Task_OmFeeReview": {"omType": "ROUTINE", "omFeeWan": 30.0},
    "Task_OmFunding": {"omFundedWan": 30.0},
    "Task_Performance": {"evaluationPassed": True, "evaluationNote": "合格"},
    "Task_RectifyPerformance": {"rectified": True, "performanceRectificationNote": "已整改"},
    "Task_Operation": {"event": "PERMANENT_DECOMMISSION", "operationNote": "系统整合"},
    "Task_StopOm": {"noticeNote": "停止执行"},
    "Task_FileWithFinance": {"financeFilingReceivedOn": "2026-09-10", "financeFilingNote": "已备案"},
    "Task_FileWithDataBureau": {"dataBureauFilingReceivedOn": "2026-09-11", "dataBureauFilingNote": "已备案"},
}


@pytest.fixture
def h(jurisdiction: HarnessFactory) -> ProcessHarness:
    return jurisdiction("fengxian", "2025-01-06T09:00:00+08:00")


def walk(run: ProcessRun, answers: dict[str, Any] | None = None, until: str | None = None) -> None:
    walk_process(run, ANSWERS, answers, until=until, skip=("Task_AcceptanceOverdue",))



def to_acceptance(h: ProcessHarness, run: ProcessRun, answers: dict[str, Any] | None = None) -> None:
    walk(run, answers)
    h.clock.set("2025-09-02T00:00:01+08:00")  # three months from 2025-06-01 end with 2025-09-01
    assert h.fire_timers() == [run.id]


@pytest.mark.parametrize(("applicant", "item", "result"), [
    ("SUB_DISTRICT", "OFFICE_EQUIPMENT_ONLY", "OUT_OF_SCOPE"),            # T01
    ("DISTRICT_ORGAN", "CABLING_OR_SECURITY_TECH_ONLY", "OUT_OF_SCOPE"),   # T02
    ("DISTRICT_ORGAN", "DIGITAL_INFRASTRUCTURE", "IN_SCOPE"),              # T03
    ("TOWN", "APPLICATION_SYSTEM", "REFERENCE_ONLY"),                      # T04
    ("DISTRICT_ORGAN", "SPECIAL_EQUIPMENT", "OUT_OF_SCOPE"),
    ("PRIVATE_COMPANY", "APPLICATION_SYSTEM", "OUT_OF_SCOPE"),
])
def test_applicability(h: ProcessHarness, applicant: str, item: str, result: str) -> None:
    assert decide(h, "DT_FX_01", applicantType=applicant, itemType=item) == {"result": result}


def test_required_documents_are_collected(h: ProcessHarness) -> None:
    none = {k: "false" for k in ("phased", "upgrade", "applicationSystem", "omProject", "outOfPlan")}
    assert decide(h, "DT_FX_02", **none) == {"requiredDocuments": ["BASE_DOCUMENTS"]}
    everything = {k: "true" for k in none}
    assert decide(h, "DT_FX_02", **everything) == {"requiredDocuments": [
        "PHASED_PLAN", "UPGRADE_DOCUMENTS", "DATA_SHARING_READINESS", "OM_DOCUMENTS", "OUT_OF_PLAN_BASIS", "BASE_DOCUMENTS"]}


@pytest.mark.parametrize(("basis", "passed", "result"), [
    ("DISTRICT_LEADER_INSTRUCTION", "true", "ENTER_NORMAL_APPLICATION_FLOW"),   # T07
    ("NONE", "", "REJECTED"),                                                     # T08
    ("DISTRICT_GOVERNMENT_NOTICE", "false", "REJECTED"),
    ("MUNICIPAL_AUTHORITY_DOCUMENT", "", "DATA_BUREAU_REVIEW_REQUIRED"),
])
def test_out_of_plan_basis(h: ProcessHarness, basis: str, passed: str, result: str) -> None:
    assert decide(h, "DT_FX_03", basisDocument=basis, dataBureauReviewPassed=passed) == {"result": result}


@pytest.mark.parametrize(("conforms", "mature", "cost", "result"), [
    ("true", "true", "false", "NOT_TO_BE_REVIEWED_LIST"),    # T09
    ("false", "true", "true", "NOT_TO_BE_REVIEWED_LIST"),
    ("true", "false", "true", "NOT_TO_BE_REVIEWED_LIST"),
    ("true", "true", "true", "TO_PLAN_REVIEW"),
    ("", "", "", "NOT_TO_BE_REVIEWED_LIST"),
])
def test_pre_review(h: ProcessHarness, conforms: str, mature: str, cost: str, result: str) -> None:
    assert decide(h, "DT_FX_04", conformsToDistrictPlan=conforms, proposalMature=mature,
                costEstimateReasonable=cost) == {"result": result}


@pytest.mark.parametrize(("nature", "villages", "platforms"), [
    ("CONVENIENCE_SERVICE", "false", ["YIWANG_TONGBAN", "CENTRALLY_PROVIDED_INFRASTRUCTURE"]),    # T10
    ("CITY_OPERATION", "true", ["YIWANG_TONGGUAN", "VILLAGE_DIGITAL_BASE", "CENTRALLY_PROVIDED_INFRASTRUCTURE"]),  # T11
    ("PUBLIC_DATA_GOVERNANCE", "false", ["PUBLIC_DATA_GOVERNANCE_FUND", "CENTRALLY_PROVIDED_INFRASTRUCTURE"]),
])
def test_platform_routing(h: ProcessHarness, nature: str, villages: str, platforms: list[str]) -> None:
    assert decide(h, "DT_FX_05", projectNature=nature, reachesVillages=villages) == {"platform": platforms}


def test_plan_review_procurement_and_changes(h: ProcessHarness) -> None:
    assert decide(h, "DT_FX_06", planReviewPassed="false") == {"result": "NOT_INITIATED_THIS_YEAR"}      # T12
    assert decide(h, "DT_FX_06", planReviewPassed="true") == {"result": "INCLUDED_IN_NEXT_YEAR_PLAN"}    # T13
    assert decide(h, "DT_FX_06", planReviewPassed="") == {"result": "NOT_INITIATED_THIS_YEAR"}
    assert decide(h, "DT_FX_07", reachesShanghaiCentralisedCatalogueOrLimit="true") == {"route": "CENTRALISED_PROCUREMENT"}  # T24
    assert decide(h, "DT_FX_07", reachesShanghaiCentralisedCatalogueOrLimit="false") == {"route": "FINANCE_DETERMINES_METHOD"}
    assert decide(h, "DT_FX_07", reachesShanghaiCentralisedCatalogueOrLimit="") == {"route": "FINANCE_DETERMINES_METHOD"}
    for change, route in (("30.00", "DATA_BUREAU_REVIEW"), ("30.01", "GOVERNMENT_PROCUREMENT_LAW"),    # T14, T15
                          ("5", "DATA_BUREAU_REVIEW")):                                               # T16
        assert decide(h, "DT_FX_08", approvedChangesWan="0", changeAmountWan=change,
                      totalProjectAmountWan="300")["route"] == route
    assert decide(h, "DT_FX_08", approvedChangesWan="0", changeAmountWan="",
                  totalProjectAmountWan="300") == {"route": "GOVERNMENT_PROCUREMENT_LAW", "cumulativeChangeWan": None}


@pytest.mark.parametrize(("ended", "submitted", "receipt", "outputs"), [
    ("true", "true", "2025-03-01", {"result": "ORGANISE_WITHIN_30_DAYS", "acceptanceDeadline": "2025-03-31"}),  # T17
    ("true", "true", "2025-09-05", {"result": "ORGANISE_WITHIN_30_DAYS", "acceptanceDeadline": "2025-10-05"}),  # T18
    ("false", "true", "2025-03-01", {"result": "WAIT", "acceptanceDeadline": None}),                           # T19
    ("true", "false", "2025-03-01", {"result": "WAIT", "acceptanceDeadline": None}),
])
def test_acceptance_within_30_natural_days(h: ProcessHarness, ended: str, submitted: str, receipt: str,
                                           outputs: dict[str, object]) -> None:
    assert decide(h, "DT_FX_09", trialRunEnded=ended, applicationFormSubmitted=submitted, receiptDate=receipt) == outputs


@pytest.mark.parametrize(("accepted", "classified", "approved", "result"), [
    ("false", "false", "", "NO_DELIVERY_NO_PAYMENT"),    # T20
    ("true", "true", "", "WAIT_SECRECY_APPROVAL"),       # T21
    ("true", "true", "false", "SECRECY_REFUSED"),
    ("true", "true", "true", "DELIVER"),
    ("true", "false", "", "DELIVER"),
    ("", "", "", "NO_DELIVERY_NO_PAYMENT"),
])
def test_acceptance_result(h: ProcessHarness, accepted: str, classified: str, approved: str, result: str) -> None:
    assert decide(h, "DT_FX_10", accepted=accepted, isClassified=classified, secrecyOfficeApproved=approved) == {
        "result": result}


def test_performance_and_decommissioning(h: ProcessHarness) -> None:
    assert decide(h, "DT_FX_11", evaluationPassed="false", rectified="false") == {
        "effect": "BLOCK_RELATED_UPGRADE_APPLICATIONS"}                                                  # T22
    assert decide(h, "DT_FX_11", evaluationPassed="false", rectified="true") == {"effect": "BLOCK_LIFTED"}
    assert decide(h, "DT_FX_11", evaluationPassed="true", rectified="") == {"effect": "FEEDS_BUDGET_AND_APPLICATIONS"}
    assert decide(h, "DT_FX_11", evaluationPassed="", rectified="") == {"effect": "BLOCK_RELATED_UPGRADE_APPLICATIONS"}
    assert decide(h, "DT_FX_12", event="PERMANENT_DECOMMISSION") == {"action": "FILE_WITH_FINANCE_AND_DATA_BUREAU"}  # T23
    assert decide(h, "DT_FX_12", event="OM_STOPPED") == {"action": "STOP_PER_FINANCE_PROCEDURE"}
    assert decide(h, "DT_FX_12", event="CONTINUE") == {"action": "NO_ACTION"}


def test_project_from_application_to_decommissioning(h: ProcessHarness) -> None:
    run = h.start(P, business_key="FX-2025-11")
    to_acceptance(h, run)
    walk(run, until="Task_OrganiseAcceptance")
    [organise] = [t for t in run.tasks() if t.spec_id == "Task_OrganiseAcceptance"]
    assert organise.due_at.isoformat() == "2025-10-02T16:00:00+00:00"  # received 2025-09-02 + 30 natural days
    walk(run, {"Task_Operation": [{"event": "CONTINUE"}, {}]})
    assert run.status == "waiting"
    h.clock.set("2026-09-03T09:00:00+08:00")
    assert h.fire_timers() == [run.id]
    walk(run)
    assert run.status == "completed"
    run.assert_path("Task_Apply", "Rule_Scope", "Rule_Documents", "Task_PreReview", "Rule_PreReview", "Rule_Platform",
                    "Task_PlanReview", "Rule_PlanResult", "Task_AnnualPlan", "Task_Budget", "Task_Documents",
                    "Task_ApproveDocuments", "Task_SecurityReview", "Task_MlpsFiling", "Task_TenderDocuments",
                    "Task_TenderReview", "Task_ProcurementMethod", "Rule_Procurement",
                    "Task_UnitProcurement", "Script_OpenChangeLedger", "Task_Construction", "Task_TrialRun", "Timer_TrialRun",
                    "Task_AcceptanceApplication", "Rule_Scheduling", "Task_OrganiseAcceptance", "Task_Acceptance",
                    "Rule_AcceptanceResult", "Task_AssetRegistration", "Task_OmPlan", "Task_OmFeeReview",
                    "Task_OmFunding", "Task_Performance", "Task_Operation", "Timer_NextYear", "Task_OmFeeReview",
                    "Task_Operation", "Gateway_FilingJoin", "End_Decommissioned")
    assert run.data["platform"] == ["YIWANG_TONGGUAN", "CENTRALLY_PROVIDED_INFRASTRUCTURE"]


def test_out_of_plan_with_basis_reviewed_by_the_data_bureau(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Apply": {"outOfPlan": True, "basisDocument": "DISTRICT_LEADER_INSTRUCTION"}}, until="Task_PreReview")
    run.assert_path("Rule_Documents", "Rule_Basis", "Task_BasisReview", "Rule_Basis")
    rejected = h.start(P)
    walk(rejected, {"Task_Apply": {"outOfPlan": True, "basisDocument": "NONE"}})
    rejected.assert_path("Rule_Basis", "End_BasisRejected")


@pytest.mark.parametrize(("answers", "end"), [
    ({"Task_Apply": {"itemType": "OFFICE_EQUIPMENT_ONLY"}}, "End_OutOfScope"),
    ({"Task_Apply": {"applicantType": "TOWN"}}, "End_Reference"),
    ({"Task_PreReview": {"costEstimateReasonable": False}}, "End_NotToBeReviewed"),
    ({"Task_PlanReview": {"planReviewPassed": False, "costReasonable": False}}, "End_NotInitiated"),
])
def test_early_ends(h: ProcessHarness, answers: dict[str, Any], end: str) -> None:
    run = h.start(P)
    walk(run, answers)
    run.assert_path(end)
    assert run.status == "completed"


def test_returned_documents_centralised_procurement_and_changes(h: ProcessHarness) -> None:
    run = h.start(P)
    change = {"changeRequested": True, "changeReason": "需求调整"}
    walk(run, {"Task_ApproveDocuments": [{"documentsApproved": False, "documentsReturnReason": "概算偏高"}, {}],
               "Task_TenderReview": {"reachesShanghaiCentralisedCatalogueOrLimit": True},
               "Task_Construction": [{**change, "changeAmountWan": 30.0}, {**change, "changeAmountWan": 30.01}, {}]},
         until="Timer_TrialRun")
    run.assert_path("Task_Documents", "Task_ApproveDocuments", "Task_Documents", "Task_ApproveDocuments",
                    "Task_CentralProcurement", "Task_Construction", "Task_ChangeReview", "Task_Construction",
                    "Task_ProcurementLawChange", "Task_Construction", "Task_TrialRun")


def test_acceptance_failure_secrecy_missing_form_and_overdue(h: ProcessHarness) -> None:
    run, late = h.start(P), h.start(P)
    walk(run)
    walk(late)
    h.clock.set("2025-09-02T00:00:01+08:00")
    assert sorted(h.fire_timers()) == sorted([run.id, late.id])
    walk(run, {"Task_AcceptanceApplication": [{"applicationFormSubmitted": False}, {}, {}],
               "Task_Acceptance": [{"accepted": False, "acceptanceRectificationRequirements": "补齐文档"},
                                   {"isClassified": True}],
               "Task_SecrecyApproval": [{"secrecyOfficeApproved": False, "secrecyRefusalReason": "未测评"}, {}]},
         until="Task_AssetRegistration")
    run.assert_path("Task_AcceptanceApplication", "Rule_Scheduling", "Task_AcceptanceApplication", "Rule_Scheduling",
                    "Task_OrganiseAcceptance", "Task_Acceptance", "Rule_AcceptanceResult", "Task_WithholdFunds",
                    "Task_RectifyAcceptance", "Task_AcceptanceApplication", "Task_OrganiseAcceptance",
                    "Task_Acceptance", "Task_SecrecyApproval", "Rule_AcceptanceResult", "Task_RectifySecrecy",
                    "Task_SecrecyApproval", "Rule_AcceptanceResult")
    walk(late, until="Task_OrganiseAcceptance")
    h.clock.set("2025-10-03T00:00:01+08:00")
    assert h.fire_timers() == [late.id]
    late.complete("Task_AcceptanceOverdue", ANSWERS["Task_AcceptanceOverdue"])
    late.assert_path("Timer_AcceptanceOverdue", "Task_AcceptanceOverdue", "End_AcceptanceOverdue")


def test_failed_performance_blocks_until_rectified_and_o_and_m_can_stop(h: ProcessHarness) -> None:
    run = h.start(P)
    to_acceptance(h, run)
    walk(run, {"Task_Performance": {"evaluationPassed": False, "performanceDefects": "访问量未达标"},
               "Task_RectifyPerformance": [{"rectified": False}, {}], "Task_Operation": {"event": "OM_STOPPED"}})
    run.assert_path("Task_Performance", "Rule_Performance", "Task_RectifyPerformance", "Rule_Performance",
                    "Task_RectifyPerformance", "Rule_Performance", "Task_Operation", "Task_StopOm", "End_OmStopped")


def test_application_documents_depend_on_the_project(h: ProcessHarness) -> None:
    run = h.start(P)
    with pytest.raises(InvalidInput) as caught:                                      # T05
        run.complete("Task_Apply", {**ANSWERS["Task_Apply"], "upgrade": True, "upgradeReason": "扩容",
                                    "testReportRef": "测评.pdf", "acceptanceOpinionRef": "验收.pdf"})
    assert [e.field for e in caught.value.errors] == ["originalContractRef"]
    with pytest.raises(InvalidInput) as caught:                                      # T06
        run.complete("Task_Apply", {**ANSWERS["Task_Apply"], "omProject": True, "originalContractRef": "合同.pdf",
                                    "acceptanceOpinionRef": "验收.pdf"})
    assert [e.field for e in caught.value.errors] == ["catalogueProofRef"]
    with pytest.raises(InvalidInput) as caught:                                      # T25 own internet exit
        run.complete("Task_Apply", {**ANSWERS["Task_Apply"], "ownInternetExit": True})
    assert [e.field for e in caught.value.errors] == ["ownInternetExit"]
