"""Qingyang 青阳县: the whole lifecycle process walked along every route with a fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from engine import InvalidInput
from engine.tools.testing import ProcessHarness, ProcessRun

from .conftest import HarnessFactory
from .walking import walk_process

P = "qingyang_project"
APPROVE = {"documentsApproved": True, "estimateIncludesOmCost": False, "approvedEstimateWan": 180.0,
           "approvalNumber": "青数〔2025〕12号", "approvalOpinion": "同意"}
DESIGN = {"estimateWan": 180.0, "dataSharingChapterIncluded": True, "omDesignChapterIncluded": True,
          "securityCryptoPlanned": True, "dataResourceCatalogueRef": "数据资源目录.xlsx"}
ACCEPT = {"acceptanceDate": "2025-09-15", "passed": True, "archiveAccepted": True, "securityAccepted": True,
          "fundsUseAccepted": True, "dataSharingAccepted": True, "cryptoAccepted": True, "canAcceptOnSchedule": True,
          "acceptanceReportRef": "验收报告.pdf"}
ANSWERS: dict[str, dict[str, Any]] = {
    "Task_Register": {"projectName": "青阳县城市运行管理平台", "applicantType": "COUNTY_UNIT", "isClassified": False,
                      "fundingSource": "FISCAL", "fundingMode": "CONSTRUCTION", "projectNature": "NEW",
                      "investmentWan": 180.0, "timing": "REGULAR_CYCLE", "inReserveLibrary": True,
                      "involvesNewCivilWorks": False, "highEnergyConsumption": False,
                      "canRelyOnIntegratedPlatform": True, "crossDepartment": False},
    "Task_DeptReview": {"deptApproved": True, "deptOpinion": "同意申报"},
    "Task_PreReview": {"preReviewPassed": True, "preReviewOpinion": "预审通过"},
    "Task_CountyApproval": {"countyGovApproved": True, "countyOpinion": "同意追加"},
    "Task_JointReview": {"jointReviewOpinion": "列入计划清单", "upperPlanReviewRef": "市省审核意见.pdf",
                         "cacJoined": True, "drcJoined": True, "financeJoined": True},
    "Task_PlanDecision": {"inAnnualPlan": True, "planDocumentNumber": "青政〔2025〕3号"},
    "Task_Expert": {"expertAppraisalDone": True, "expertOpinion": "方案可行"},
    "Task_ServiceDocs": {"serviceRequirementPlanRef": "需求.pdf", "systemPlanRef": "方案.pdf",
                         "purchasedServiceEstimateRef": "概算.pdf", "estimateWan": 300.0,
                         "dataResourceCatalogueRef": "目录.xlsx"},
    "Task_ApproveServiceDocs": APPROVE,
    "Task_Proposal": {"proposalRef": "建议书.pdf", "dataResourceCatalogueRef": "目录.xlsx"},
    "Task_ApproveProposal": APPROVE,
    "Task_Feasibility": {"feasibilityReportRef": "可研.pdf", "dataResourceCatalogueRef": "目录.xlsx"},
    "Task_ApproveFeasibility": APPROVE,
    "Task_Design": {"preliminaryDesignRef": "初设.pdf", "estimateRef": "概算.pdf", **DESIGN},
    "Task_CityReview": {"cityConsent": True, "cityOpinion": "同意报省"},
    "Task_ProvinceReview": {"provinceConsent": True, "provinceOpinion": "同意"},
    "Task_ApproveDesign": APPROVE,
    "Task_Combined": {"combinedDocumentRef": "合并文本.pdf", **DESIGN},
    "Task_ApproveCombined": APPROVE,
    "Task_OtherApprovals": {"energyAssessmentRef": "节能.pdf", "siteSelectionRef": "选址.pdf",
                            "landPreReviewRef": "用地.pdf", "eiaRef": "环评.pdf"},
    "Task_PlatformException": {"exceptionReason": "需对接公安专网", "professionalReviewOpinion": "同意单独建设"},
    "Task_CityFiling": {"cityFiledOn": "2025-04-10"},
    "Task_Budget": {"fundedWan": 180.0, "budgetYear": 2025},
    "Task_Procure": {"contractorName": "安徽某科技有限公司", "contractAmountWan": 176.5, "signingDate": "2025-04-20",
                     "procurementMethod": "OPEN_TENDER", "deliverablesOwnedByGovernment": True,
                     "freeInterfaceServiceMonths": 36},
    "Task_FileContract": {"contractRef": "合同.pdf", "priceListRef": "报价清单.xlsx", "contractFiledOn": "2025-04-25"},
    "Task_Construction": {"progressReport": "已完成建设", "changeRequested": False},
    "Task_FileChange": {"changeFilingRef": "变更备案.pdf"},
    "Task_ApproveChange": {"changeApproved": True, "changeOpinion": "同意"},
    "Task_TrialRun": {"trialStart": "2025-05-15", "isSpecialProject": False},
    "Task_SelfAcceptance": ACCEPT,
    "Task_InitialAcceptance": {"initialAcceptancePassed": True, "initialReportRef": "初验报告.pdf"},
    "Task_BureauAcceptance": ACCEPT,
    "Task_Deferral": {"deferralApproved": True, "deferredTo": "2025-10-31"},
    "Task_Rectify": {"rectificationNote": "已整改"},
    "Task_SecrecyApproval": {"secrecyTestRef": "测评.pdf", "secrecyApproved": True},
    "Task_FileAcceptance": {"acceptanceFiledOn": "2025-09-20"},
    "Task_PostEvaluation": {"evaluationDate": "2026-10-10", "selfEvaluationReportRef": "自评价.pdf",
                            "sentToDataAndFinance": True},
    "Task_ChasePostEval": {"chaseNote": "已督促"},
    "Task_PostEvalReview": {"thirdPartyCommissioned": False, "reviewFindings": "运行良好", "violationFound": False},
    "Task_RectifyFindings": {"rectifiedByDeadline": True, "compliantAfterRectification": True,
                             "findingsRectificationNote": "已整改"},
    "Task_Sanction": {"sanctions": ["CRITICISM_NOTICE"], "sanctionNote": "通报批评"},
    "Task_OmBudget": {"omPlanRef": "运维方案.pdf", "omBudgetWan": 18.0},
}


@pytest.fixture
def h(jurisdiction: HarnessFactory) -> ProcessHarness:
    return jurisdiction("qingyang", "2025-03-01T09:00:00+08:00")


def walk(run: ProcessRun, answers: dict[str, Any] | None = None, until: str | None = None) -> None:
    walk_process(run, ANSWERS, answers, until=until, skip=("Task_ChasePostEval",))


def to_acceptance(h: ProcessHarness, run: ProcessRun, answers: dict[str, Any] | None = None) -> None:
    """Walk to the end of the trial run and let its timer fire."""
    walk(run, answers)
    assert run.status == "waiting", run.waiting()
    h.clock.set("2025-08-16T00:00:01+08:00")
    assert h.fire_timers() == [run.id]


def test_small_in_plan_project_from_library_to_operation(h: ProcessHarness) -> None:
    run = h.start(P, business_key="QY-2025-001")
    walk(run)
    # The 3-month trial run from 2025-05-15 ends with 2025-08-15; acceptance waits for it.
    assert run.status == "waiting" and run.waiting() == []
    h.clock.set("2025-08-15T23:59:00+08:00")
    assert h.fire_timers() == []
    h.clock.set("2025-08-16T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    walk(run)
    # Self-evaluation opens 12 months after acceptance (2025-09-15).
    h.clock.set("2026-09-15T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    walk(run)
    assert run.status == "completed"
    run.assert_path("Task_Register", "Rule_Scope", "Task_DeptReview", "Rule_Eligibility", "Task_JointReview",
                    "Task_PlanDecision", "Task_Expert", "Rule_Path", "Task_Combined", "Task_ApproveCombined",
                    "Rule_Other", "Rule_Platform", "Task_Budget", "Task_Procure", "Task_FileContract",
                    "Task_Construction", "Task_TrialRun", "Rule_Trial", "Timer_TrialRun", "Rule_Acceptance",
                    "Task_SelfAcceptance", "Rule_Gates", "Task_FileAcceptance", "Timer_PostEvalOpens",
                    "Task_PostEvaluation", "Rule_PostEval", "Task_PostEvalReview", "Rule_Supervision",
                    "Task_OmBudget", "End_Operating")


def test_500_wan_in_plan_goes_feasibility_design_and_city_province_review(h: ProcessHarness) -> None:
    run = h.start(P)
    big = {"investmentWan": 500.0}
    walk(run, {"Task_Register": big, "Task_ProvinceReview": [{"provinceConsent": False, "provinceReturnReason": "集约建设不足"}, {}],
               "Task_ApproveDesign": {"approvedEstimateWan": 520.0}}, until="Task_Budget")
    run.assert_path("Rule_Path", "Task_Feasibility", "Task_ApproveFeasibility", "Task_Design", "Rule_Upper",
                    "Task_CityReview", "Task_ProvinceReview", "Task_Design", "Task_CityReview",
                    "Task_ProvinceReview", "Task_ApproveDesign")
    run.assert_not_visited("Task_Proposal", "Task_Combined")


def test_continuing_project_over_500_skips_upper_review(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Register": {"investmentWan": 800.0, "projectNature": "CONTINUING"}}, until="Task_Budget")
    run.assert_not_visited("Task_CityReview")
    run.assert_path("Task_Design", "Rule_Upper", "Task_ApproveDesign")


def test_out_of_plan_addition_needs_pre_review_county_approval_and_full_documents(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Register": {"timing": "OUT_OF_PLAN", "inReserveLibrary": False, "investmentWan": 650.0}},
         until="Task_Budget")
    run.assert_path("Task_PreReview", "Task_CountyApproval", "Rule_Eligibility", "Script_OutOfPlan", "Task_Expert",
                    "Task_Proposal", "Task_ApproveProposal", "Task_Feasibility", "Task_ApproveFeasibility",
                    "Task_Design")
    assert run.data["inAnnualPlan"] is False


@pytest.mark.parametrize(("answers", "end"), [
    ({"Task_Register": {"applicantType": "TOWNSHIP"}}, "End_Township"),                               # T24
    ({"Task_Register": {"fundingSource": "OTHER"}}, "End_OutOfScope"),
    ({"Task_Register": {"inReserveLibrary": False}, "Task_PreReview": {"preReviewPassed": False}},
     "End_PreReviewFailed"),                                                                          # T21
    ({"Task_Register": {"timing": "OUT_OF_PLAN"}, "Task_CountyApproval": {"countyGovApproved": False}},
     "End_NotApproved"),                                                                              # T23
    ({"Task_PlanDecision": {"inAnnualPlan": False}}, "End_NotInPlan"),
    ({"Task_Expert": {"expertAppraisalDone": False}}, "End_NoAppraisal"),                             # T26
])
def test_gates_before_approval_end_the_application(h: ProcessHarness, answers: dict[str, Any], end: str) -> None:
    run = h.start(P)
    walk(run, answers)
    assert run.status == "completed"
    run.assert_path(end)


def test_department_returns_the_application_once(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_DeptReview": [{"deptApproved": False, "deptOpinion": "请补充需求"}, {}]}, until="Task_Expert")
    run.assert_path("Task_Register", "Task_DeptReview", "Task_Register", "Task_DeptReview", "Rule_Eligibility")


def test_purchased_service_documents_and_o_and_m_cost_is_returned(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Register": {"fundingMode": "PURCHASED_SERVICE_FORMING_SYSTEM", "investmentWan": 300.0},
               "Task_ApproveServiceDocs": [{"estimateIncludesOmCost": True, "returnReason": "概算含运维费"}, {}]}, until="Task_Budget")   # T07, T31
    run.assert_path("Task_ServiceDocs", "Task_ApproveServiceDocs", "Task_ServiceDocs", "Task_ApproveServiceDocs",
                    "Rule_Other")


def test_returned_documents_are_revised(h: ProcessHarness) -> None:
    rejected = {"documentsApproved": False, "approvalOpinion": "请补充", "returnReason": "缺少数据共享篇章"}
    run = h.start(P)
    walk(run, {"Task_Register": {"timing": "OUT_OF_PLAN", "investmentWan": 650.0},
               "Task_ApproveProposal": [rejected, {}], "Task_ApproveFeasibility": [rejected, {}],
               "Task_ApproveDesign": [rejected, {}]}, until="Task_Budget")
    run.assert_path("Task_Proposal", "Task_Proposal", "Task_Feasibility", "Task_Feasibility", "Task_Design",
                    "Task_Design")
    small = h.start(P)
    walk(small, {"Task_ApproveCombined": [rejected, {}]}, until="Task_Budget")
    small.assert_path("Task_Combined", "Task_ApproveCombined", "Task_Combined", "Task_ApproveCombined")


def test_civil_works_and_platform_exception_add_approvals(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Register": {"involvesNewCivilWorks": True, "canRelyOnIntegratedPlatform": False}},
         until="Task_Budget")                                                                        # T29, T30
    run.assert_path("Rule_Other", "Task_OtherApprovals", "Rule_Platform", "Task_PlatformException",
                    "Task_CityFiling")


def test_changes_within_and_beyond_limits(h: ProcessHarness) -> None:
    run = h.start(P)
    within = {"changeRequested": True, "totalAfterChangeWan": 180.0, "adjustAmountWan": 27.0,
              "objectiveUnchanged": True, "circumstance": "C2_TECH_OPTIMISATION", "changeReason": "优化"}
    beyond = {**within, "adjustAmountWan": 27.01}
    walk(run, {"Task_Construction": [within, beyond, {}]}, until="Task_TrialRun")   # 27 = 15% of 180
    run.assert_path("Task_Construction", "Rule_Change", "Task_FileChange", "Task_Construction", "Rule_Change",
                    "Task_ApproveChange", "Task_Construction", "Gateway_Change")


def test_trial_run_extension_capped_at_six_months(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_TrialRun": [{"isSpecialProject": True, "requestedMonths": 7},
                                 {"isSpecialProject": True, "requestedMonths": 6}]})
    run.assert_path("Task_TrialRun", "Rule_Trial", "Task_TrialRun", "Rule_Trial")
    assert run.data["trialRun"] == "P6M"
    h.clock.set("2025-11-15T12:00:00+08:00")  # six months from 2025-05-15 end with 2025-11-17 (weekend roll-over)
    assert h.fire_timers() == []
    h.clock.set("2025-11-18T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    run.assert_path("Rule_Trial", "Timer_TrialRun", "Script_TrialDone")


def test_large_project_bureau_acceptance_with_failure_deferral_and_secrecy(h: ProcessHarness) -> None:
    run = h.start(P)
    register = {"investmentWan": 250.0, "isClassified": True}
    to_acceptance(h, run, {"Task_Register": register, "Task_ApproveCombined": {"approvedEstimateWan": 250.0}})
    walk(run, {"Task_BureauAcceptance": [{"archiveAccepted": False, "acceptanceReturnReason": "档案未验收"},
                                                {"canAcceptOnSchedule": False}, {}],
               "Task_SecrecyApproval": [{"secrecyApproved": False, "secrecyReturnReason": "测评未通过"}, {}]}, until="Task_FileAcceptance")
    run.assert_path("Rule_Acceptance", "Task_InitialAcceptance", "Task_BureauAcceptance", "Rule_Gates",
                    "Task_Rectify", "Task_BureauAcceptance", "Task_Deferral", "Task_BureauAcceptance",
                    "Task_SecrecyApproval", "Task_Rectify", "Task_BureauAcceptance", "Task_SecrecyApproval")


def test_post_evaluation_window_overdue_is_escalated_and_sanctions_can_terminate(h: ProcessHarness) -> None:
    run = h.start(P)
    to_acceptance(h, run)
    walk(run)
    h.clock.set("2026-09-15T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    [task] = [t for t in run.tasks() if t.spec_id == "Task_PostEvaluation"]
    assert task.due_at.isoformat() == "2027-09-15T16:00:00+00:00"  # 24 months after 2025-09-15, end of day
    h.clock.set("2027-09-16T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    assert run.waiting() == ["Task_ChasePostEval", "Task_PostEvaluation"]
    run.complete("Task_ChasePostEval", ANSWERS["Task_ChasePostEval"])
    walk(run, {"Task_PostEvaluation": [{"evaluationDate": "2026-09-14"}, {"evaluationDate": "2027-09-20"}],
               "Task_PostEvalReview": {"violationFound": True},
               "Task_RectifyFindings": {"rectifiedByDeadline": False},
               "Task_Sanction": {"sanctions": ["SUSPEND", "TERMINATE"]}})
    run.assert_path("Task_PostEvaluation", "Rule_PostEval", "Task_PostEvaluation", "Rule_PostEval",
                    "Task_PostEvalReview", "Task_RectifyFindings", "Rule_Supervision", "Task_Sanction",
                    "End_Terminated")
    assert run.data["status"] == "OVERDUE"


def test_rectified_findings_close_and_mild_sanctions_continue(h: ProcessHarness) -> None:
    for rectified, end_via in ((True, "Rule_Supervision"), (False, "Task_Sanction")):
        run = h.start(P)
        to_acceptance(h, run)
        walk(run)
        h.clock.set("2026-09-15T00:00:01+08:00")
        h.fire_timers()
        walk(run, {"Task_PostEvalReview": {"violationFound": True},
                   "Task_RectifyFindings": {"rectifiedByDeadline": rectified}})
        run.assert_path(end_via, "Task_OmBudget", "End_Operating")
        h.clock.set("2025-03-01T09:00:00+08:00")


def test_documents_without_the_data_resource_catalogue_are_refused(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Combined")
    answer = {k: v for k, v in ANSWERS["Task_Combined"].items() if k != "dataResourceCatalogueRef"}
    with pytest.raises(InvalidInput) as caught:                                                       # T25
        run.complete("Task_Combined", answer)
    assert [e.field for e in caught.value.errors] == ["dataResourceCatalogueRef"]
