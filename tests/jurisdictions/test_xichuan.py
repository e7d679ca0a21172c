"""Xichuan 淅川县: decision tables (policies/xichuan.md §4, scenarios §8) and the lifecycle walked end to end."""

from __future__ import annotations

from typing import Any

import pytest

from engine import InvalidInput
from engine.tools.testing import ProcessHarness, ProcessRun

from .conftest import HarnessFactory
from .walking import decide, walk_process

P = "xichuan_project"
SHARING = {"sharingChapterIncluded": True, "resourceCatalogueRef": "目录.xlsx", "sharingListRef": "清单.xlsx",
           "assessorReportRef": "评估.pdf"}
APPROVE = {"documentsApproved": True, "approvalNumber": "淅发改〔2025〕9号", "approvalOpinion": "同意"}
DESIGN_SHARING = {"designSharingChapterIncluded": True, "designResourceCatalogueRef": "初设目录.xlsx",
                  "designSharingListRef": "初设清单.xlsx", "designAssessorReportRef": "初设评估.pdf"}
ANSWERS: dict[str, dict[str, Any]] = {
    "Task_Prepare": {"projectName": "淅川县智慧水利平台", "origin": "ANNUAL", "projectType": "GOVERNMENT_INVESTMENT_CONSTRUCTION",
                     "isClassified": False, "higherLevelExplicitRequirement": False, "planYear": 2027,
                     "newCivilWorks": False, "highEnergy": False, "request": "USE_COUNTY_CLOUD",
                     "aiUseCasesStudied": True, "estimateWan": 1000.0},
    "Task_LeaderConsent": {"leaderConsent": True, "leaderOpinion": "同意"},
    "Task_Submit": {"submissionDate": "2026-06-30", "submissionRef": "材料.pdf"},
    "Task_RemindSubmission": {"reminderNote": "已提醒"},
    "Task_TechReview": {"techReviewPassed": True, "reviewOpinion": "通过"},
    "Task_HigherLevel": {"higherLevelProcessRef": "省级文件.pdf"},
    "Task_DrcTemporary": {"drcApproved": True, "drcOpinion": "列入当年清单"},
    "Task_CountyApprovePurchase": {"countyApproved": True, "countyOpinion": "同意"},
    "Task_DrcLibrary": {"drcApproved": True, "drcOpinion": "报请纳入储备库"},
    "Task_CountyApproveLibrary": {"countyApproved": True, "countyOpinion": "同意"},
    "Task_InvestmentPlan": {"investmentPlanRef": "2026年投资计划.pdf"},
    "Task_OtherApprovals": {"energyAssessmentRef": "节能.pdf", "siteSelectionRef": "选址.pdf",
                            "landPreReviewRef": "用地.pdf", "eiaRef": "环评.pdf"},
    "Task_Proposal": {"proposalRef": "建议书.pdf"},
    "Task_ApproveProposal": APPROVE,
    "Task_Feasibility": {"feasibilityReportRef": "可研.pdf", **SHARING},
    "Task_ApproveFeasibility": APPROVE,
    "Task_Design": {"preliminaryDesignRef": "初设.pdf", "designEstimateWan": 1000.0, "contentAdjusted": False,
                    **DESIGN_SHARING},
    "Task_ApproveDesign": {"designApproved": True, "designApprovalNumber": "淅发改〔2026〕12号",
                           "designApprovalOpinion": "同意", "approvedEstimateWan": 1000.0},
    "Task_ImplementationOpinion": {"implementationOpinionRef": "实施意见.pdf", "opinionInvestmentWan": 980.0},
    "Task_Budget": {"fundedWan": 1000.0, "budgetYear": 2027},
    "Task_Procure": {"contractorName": "河南某公司", "contractAmountWan": 980.0, "requiredClausesIncluded": True,
                     "noSubcontracting": True, "keyProductsSecure": True},
    "Task_Supervisor": {"supervisorName": "某监理公司"},
    "Task_Construction": {"progressNote": "已建成", "finding": "NONE", "changeRequested": False,
                          "completionDate": "2026-03-15"},
    "Task_FileChange": {"changeFilingRef": "备案.pdf"},
    "Task_InfoOpinion": {"infoBureauOpinion": "SUPPORT", "infoOpinionNote": "同意优化"},
    "Task_FormalChange": {"formalChangeRef": "变更批复.pdf", "estimateReapproved": False},
    "Task_DesignChapter": {"designChapterRef": "篇章.pdf"},
    "Task_RectifyFinding": {"rectifiedAndCompliant": True, "rectificationNote": "已整改"},
    "Task_SuspendFunds": {"noticeNote": "暂停拨款"},
    "Task_Criticism": {"noticeNote": "通报批评"},
    "Task_Acceptance": {"acceptanceDate": "2026-06-10", "acceptancePassed": True, "summaryRef": "总结.pdf",
                        "financialReportRef": "财务.pdf", "auditReportRef": "审计.pdf", "securityRiskReportRef": "安全.pdf",
                        "aiEffectAssessed": True, "productsSecure": True, "budgetSurplusWan": 20.0,
                        "surplusReturned": True},
    "Task_LateExplanation": {"writtenExplanationFiled": True, "statedAcceptanceDate": "2026-10-15"},
    "Task_OverdueSupervision": {"noticeNote": "督办"},
    "Task_Rectify": {"rectificationCompletedDate": "2026-07-05", "acceptanceRectificationNote": "已整改"},
    "Task_ReAcceptance": {"reAcceptanceDate": "2026-07-20", "reAcceptancePassed": True, "reAcceptanceReportRef": "重新验收.pdf"},
    "Task_ChaseRectify": {"noticeNote": "督促整改"},
    "Task_OmMode": {"omMode": "SELF_MANAGED"},
    "Task_OmProcure": {"omProviderName": "运维公司", "omContractRef": "运维合同.pdf"},
    "Task_OmEntrust": {"omProviderName": "县大数据中心", "omContractRef": "委托协议.pdf"},
    "Task_OmReview": {"infoBureauOpinionGiven": True, "sharingCompleted": True, "duplicateCollectionOrConstruction": False,
                      "longUnusedOrFailedEvaluation": False, "otherRequirementsImplemented": True, "omReviewOpinion": "同意"},
    "Task_OmBudget": {"omBudgetWan": 40.0},
    "Task_Operation": {"catalogueFiled": True, "longUnused": True, "operationNote": "已被新系统替代"},
    "Task_ShutdownApproval": {"shutdownApproved": True, "shutdownNote": "同意关停"},
}
DRC_REFUSES = {"drcApproved": False, "drcRefusalReason": "不符合年度投资方向"}
COUNTY_REFUSES = {"countyApproved": False, "countyRefusalReason": "财力不足"}
ESCALATIONS = ("Task_RemindSubmission", "Task_LateExplanation", "Task_ChaseRectify")


@pytest.fixture
def h(jurisdiction: HarnessFactory) -> ProcessHarness:
    return jurisdiction("xichuan", "2025-09-01T09:00:00+08:00")   # the trial applies from 2025-08-29


def walk(run: ProcessRun, answers: dict[str, Any] | None = None, until: str | None = None) -> None:
    walk_process(run, ANSWERS, answers, until=until, skip=ESCALATIONS)



@pytest.mark.parametrize(("submitted", "result"), [("2025-06-30", "ON_TIME"), ("2025-07-01", "MISSED_REGULAR_CYCLE"),  # T01, T02
                                                   ("", "MISSED_REGULAR_CYCLE")])
def test_submission_by_end_of_june(h: ProcessHarness, submitted: str, result: str) -> None:
    assert decide(h, "DT_XC_01", planYear="2026", submissionDate=submitted) == {"result": result}


@pytest.mark.parametrize(("origin", "ptype", "passed", "higher", "route"), [
    ("ANNUAL", "GOVERNMENT_INVESTMENT_CONSTRUCTION", "true", "false", "DRC_COUNTY_GOV_LIBRARY_THREE_STAGES"),  # T03
    ("ANNUAL", "PURE_EQUIPMENT_SOFTWARE_PURCHASE", "true", "false", "COUNTY_GOV_APPROVAL_THEN_IMPLEMENT"),    # T04
    ("ANNUAL", "PURCHASED_SERVICE", "true", "false", "COUNTY_GOV_APPROVAL_THEN_IMPLEMENT"),                   # T05
    ("ANNUAL", "PURCHASED_SERVICE", "false", "false", "NOT_APPROVED_NOT_BUDGETED"),                           # T06
    ("ANNUAL", "PURCHASED_SERVICE", "false", "true", "HIGHER_LEVEL_PROCESS"),                                 # T07
    ("TEMPORARY_HIGHER_LEVEL", "PURCHASED_SERVICE", "true", "false", "LEADER_REVIEW_DRC_CURRENT_YEAR"),       # T08
    ("ANNUAL", "PURCHASED_SERVICE", "", "", "TECH_REVIEW_REQUIRED"),
])
def test_approval_route(h: ProcessHarness, origin: str, ptype: str, passed: str, higher: str, route: str) -> None:
    assert decide(h, "DT_XC_02", origin=origin, projectType=ptype, techReviewPassed=passed,
                higherLevelExplicitRequirement=higher) == {"route": route}


CHANGE = {"allApprovalStagesComplete": "true", "approvedEstimateWan": "1000", "adjustAmountWan": "150", "selfAdjustedWan": "0",
          "totalAfterChangeWan": "1000", "objectiveUnchanged": "true", "circumstance": "C1_NEW_DEPLOYMENT",
          "infoBureauOpinion": ""}


@pytest.mark.parametrize(("changes", "route"), [
    ({}, "SELF_ADJUST_AND_FILE_WITH_DRC"),                                                         # T09: 15.00%
    ({"adjustAmountWan": "150.01"}, "FORMAL_PROCEDURE"),                                           # T10
    ({"approvedEstimateWan": "5000", "totalAfterChangeWan": "5000", "adjustAmountWan": "750",
      "circumstance": "C3_SCHEDULE"}, "SELF_ADJUST_AND_FILE_WITH_DRC"),                            # T11: no cap
    ({"approvedEstimateWan": "800", "totalAfterChangeWan": "800", "adjustAmountWan": "40",
      "circumstance": "C2_TECH_OPTIMISATION"}, "REQUEST_INFO_BUREAU_OPINION"),                     # T12
    ({"circumstance": "C2_TECH_OPTIMISATION", "infoBureauOpinion": "SUPPORT"}, "SELF_ADJUST_AND_FILE_WITH_DRC"),
    ({"circumstance": "C2_TECH_OPTIMISATION", "infoBureauOpinion": "OPPOSE"}, "FORMAL_PROCEDURE"),
    ({"allApprovalStagesComplete": "false"}, "QUANTIFY_IN_PRELIMINARY_DESIGN_CHAPTER"),           # T13
    ({"totalAfterChangeWan": "1000.01"}, "FORMAL_PROCEDURE"),                                      # T14
    ({"objectiveUnchanged": "false"}, "FORMAL_PROCEDURE"),
    ({"circumstance": "NONE"}, "FORMAL_PROCEDURE"),
    ({"allApprovalStagesComplete": ""}, "FORMAL_PROCEDURE"),
    ({"selfAdjustedWan": "100", "adjustAmountWan": "50"}, "SELF_ADJUST_AND_FILE_WITH_DRC"),       # cumulative 15.00 %
    ({"selfAdjustedWan": "100", "adjustAmountWan": "50.01"}, "FORMAL_PROCEDURE"),                # cumulative 15.001 %
    ({"approvedEstimateWan": ""}, "FORMAL_PROCEDURE"),                                           # no DRC-approved 概算
])
def test_change_request(h: ProcessHarness, changes: dict[str, str], route: str) -> None:
    assert decide(h, "DT_XC_05", **{**CHANGE, **changes}) == {"route": route}


@pytest.mark.parametrize(("completed", "accepted", "explained", "stated", "rectification", "result"), [
    ("2025-01-15", "2025-07-15", "", "", "", "ON_TIME"),                          # T15 last day
    ("2025-01-15", "", "false", "", "", "OVERDUE"),                               # T16
    ("2025-01-15", "", "true", "2025-09-30", "", "EXTENDED_TO_STATED_DATE"),
    ("2025-01-15", "2025-09-30", "true", "2025-09-30", "", "EXTENDED_TO_STATED_DATE"),
    ("2025-01-15", "2025-10-09", "true", "2025-09-30", "", "OVERDUE"),           # later than the date it stated
    ("2025-08-31", "2026-02-28", "", "", "", "ON_TIME"),                          # T17 month end
    ("2025-08-31", "2026-03-01", "", "", "", "OVERDUE"),
    ("2025-01-15", "2025-07-15", "", "", "RECTIFIED_IN_TIME", "ON_TIME"),         # re-acceptance after timely rectification
    ("2025-01-15", "2025-07-15", "", "", "RECTIFIED_LATE", "LATE_RECTIFICATION"),
])
def test_acceptance_within_six_months(h: ProcessHarness, completed: str, accepted: str, explained: str, stated: str,
                                      rectification: str, result: str) -> None:
    assert decide(h, "DT_XC_06", completionDate=completed, acceptanceDate=accepted, writtenExplanationFiled=explained,
                  statedAcceptanceDate=stated, rectification=rectification) == {"result": result}


@pytest.mark.parametrize(("earlier", "completed", "result"), [
    ("", "2026-07-10", "RECTIFIED_IN_TIME"),               # failed 2026-06-10: one month ends Friday 07-10
    ("", "2026-07-11", "RECTIFIED_LATE"),
    ("RECTIFIED_IN_TIME", "2026-07-10", "RECTIFIED_IN_TIME"),
    ("RECTIFIED_LATE", "2026-07-01", "RECTIFIED_LATE"),     # an earlier round was late: the project stays late
    ("", "", "RECTIFIED_LATE"),                             # no completion date recorded
])
def test_rectification_within_one_month(h: ProcessHarness, earlier: str, completed: str, result: str) -> None:
    assert decide(h, "DT_XC_12", rectification=earlier, rectificationCompletedDate=completed,
                  rectifyStartDate="2026-06-10") == {"rectification": result}


def test_other_decisions(h: ProcessHarness) -> None:
    assert decide(h, "DT_XC_03", newCivilWorks="true", highEnergy="false") == {"extraApprovals": "REQUIRED"}  # T26
    assert decide(h, "DT_XC_03", newCivilWorks="false", highEnergy="true") == {"extraApprovals": "REQUIRED"}
    assert decide(h, "DT_XC_03", newCivilWorks="false", highEnergy="false") == {"extraApprovals": "NONE"}
    assert decide(h, "DT_XC_03", newCivilWorks="", highEnergy="") == {"extraApprovals": "REQUIRED"}
    assert decide(h, "DT_XC_04", projectType="GOVERNMENT_INVESTMENT_CONSTRUCTION") == {"supervisor": "REQUIRED"}  # T27
    assert decide(h, "DT_XC_04", projectType="PURCHASED_SERVICE") == {"supervisor": "NOT_STATED"}
    assert decide(h, "DT_XC_04", projectType="") == {"supervisor": "REQUIRED"}
    assert decide(h, "DT_XC_07", acceptancePassed="false") == {"next": "RECTIFY"}                           # T18
    assert decide(h, "DT_XC_07", acceptancePassed="true") == {"next": "O_AND_M"}
    assert decide(h, "DT_XC_07", acceptancePassed="") == {"next": "RECTIFY"}
    assert decide(h, "DT_XC_09", omMode="OUTSOURCED") == {"requirement": "GOVERNMENT_PROCUREMENT_REQUIRED"}   # T23
    assert decide(h, "DT_XC_09", omMode="CENTRALISED") == {"requirement": "QUALIFIED_BODY_REQUIRED"}
    assert decide(h, "DT_XC_09", omMode="SELF_MANAGED") == {"requirement": "NONE_ADDITIONAL"}
    assert decide(h, "DT_XC_09", omMode="") == {"requirement": "GOVERNMENT_PROCUREMENT_REQUIRED"}
    assert decide(h, "DT_XC_10", request="NEW_SEPARATE_INFRASTRUCTURE") == {"result": "PROHIBITED"}            # T24
    assert decide(h, "DT_XC_10", request="THIRD_PARTY_CLOUD_EXPIRY") == {"result": "DO_NOT_RENEW"}             # T25
    assert decide(h, "DT_XC_10", request="EXISTING_ROOM_OR_NON_CLASSIFIED_SYSTEM") == {"result": "MIGRATE_TO_COUNTY_CLOUD"}
    assert decide(h, "DT_XC_10", request="USE_COUNTY_CLOUD") == {"result": "USE_COUNTY_CLOUD"}
    assert decide(h, "DT_XC_11", finding="SERIOUS_CONSEQUENCE", rectifiedAndCompliant="true") == {"action": "CRITICISM_OR_TRANSFER"}
    assert decide(h, "DT_XC_11", finding="SERIOUS_DELAY", rectifiedAndCompliant="true") == {"action": "CLOSE"}
    assert decide(h, "DT_XC_11", finding="MAJOR_LOSS", rectifiedAndCompliant="false") == {
        "action": "MAY_SUSPEND_FUNDS_AND_CONSTRUCTION"}
    assert decide(h, "DT_XC_11", finding="NONE", rectifiedAndCompliant="") == {"action": "NONE"}


def test_o_and_m_budget_eligibility(h: ProcessHarness) -> None:
    ok = {"infoBureauOpinionGiven": "true", "sharingCompleted": "true", "duplicateCollectionOrConstruction": "false",
          "longUnusedOrFailedEvaluation": "false", "otherRequirementsImplemented": "true"}
    assert decide(h, "DT_XC_08", **ok) == {"result": ["ELIGIBLE"]}
    assert decide(h, "DT_XC_08", **{**ok, "infoBureauOpinionGiven": "false"}) == {"result": ["NOT_BUDGETABLE"]}  # T20
    assert decide(h, "DT_XC_08", **{**ok, "duplicateCollectionOrConstruction": "true"}) == {"result": ["NO_OM_BUDGET"]}  # T21
    for key, value in (("sharingCompleted", "false"), ("longUnusedOrFailedEvaluation", "true"),
                       ("otherRequirementsImplemented", "false")):
        assert decide(h, "DT_XC_08", **{**ok, key: value}) == {"result": ["NO_OM_BUDGET"]}
    assert decide(h, "DT_XC_08", infoBureauOpinionGiven="", sharingCompleted="", duplicateCollectionOrConstruction="",
                  longUnusedOrFailedEvaluation="", otherRequirementsImplemented="") == {"result": []}


def test_construction_project_through_three_stages_to_shutdown(h: ProcessHarness) -> None:
    run = h.start(P, business_key="XC-2026-03")
    run.complete("Task_Prepare", ANSWERS["Task_Prepare"])
    [submit] = run.tasks()
    assert submit.due_at.isoformat() == "2026-06-30T16:00:00+00:00"   # plan year 2027: end of June 2026
    walk(run, {"Task_Operation": {"longUnused": False}}, until="Task_Acceptance")
    [acceptance] = [t for t in run.tasks() if t.spec_id == "Task_Acceptance"]
    assert acceptance.due_at.isoformat() == "2026-09-15T16:00:00+00:00"   # completed 2026-03-15 + 6 months
    walk(run, {"Task_Operation": [{"longUnused": False}, {}]})
    assert run.status == "waiting"  # next budget year
    h.clock.set("2027-06-20T09:00:00+08:00")
    assert h.fire_timers() == [run.id]
    walk(run)
    assert run.status == "completed"
    run.assert_path("Task_Submit", "Rule_Timely", "Task_TechReview", "Rule_Infrastructure", "Rule_Route",
                    "Task_DrcLibrary", "Task_CountyApproveLibrary", "Task_InvestmentPlan", "Rule_Other",
                    "Task_Proposal", "Task_ApproveProposal", "Task_Feasibility", "Task_ApproveFeasibility",
                    "Task_Design", "Task_ApproveDesign", "Script_ApprovalsDone", "Task_ImplementationOpinion",
                    "Task_Budget", "Task_Procure", "Rule_Supervisor", "Task_Supervisor", "Task_Construction",
                    "Task_Acceptance", "Rule_Acceptance", "Rule_AcceptedOnTime", "Task_OmMode", "Rule_OmMode",
                    "Task_OmReview", "Rule_OmBudget", "Task_OmBudget", "Task_Operation", "Timer_NextYear",
                    "Task_OmReview", "Task_Operation", "Task_ShutdownApproval", "End_Shutdown")


def test_purchase_and_temporary_and_higher_level_routes(h: ProcessHarness) -> None:
    purchase = h.start(P)
    walk(purchase, {"Task_Prepare": {"projectType": "PURE_EQUIPMENT_SOFTWARE_PURCHASE", "newCivilWorks": True},
                    "Task_OmMode": {"omMode": "OUTSOURCED"}}, until="Task_OmReview")
    purchase.assert_path("Task_CountyApprovePurchase", "Script_ApprovalsDone", "Rule_Supervisor", "Task_Construction",
                         "Task_OmMode", "Task_OmProcure")
    purchase.assert_not_visited("Task_Proposal", "Task_Supervisor", "Task_OtherApprovals")
    temporary = h.start(P)
    walk(temporary, {"Task_Prepare": {"origin": "TEMPORARY_HIGHER_LEVEL", "projectType": "PURCHASED_SERVICE"},
                     "Task_OmMode": {"omMode": "CENTRALISED"}}, until="Task_OmReview")
    temporary.assert_path("Task_LeaderConsent", "Task_TechReview", "Task_DrcTemporary", "Script_ApprovalsDone",
                          "Task_OmEntrust")
    higher = h.start(P)
    walk(higher, {"Task_Prepare": {"higherLevelExplicitRequirement": True},
                  "Task_TechReview": {"techReviewPassed": False, "failedCriteria": ["SCALE"]}}, until="Task_ImplementationOpinion")
    higher.assert_path("Task_TechReview", "Rule_Route", "Task_HigherLevel")


@pytest.mark.parametrize(("answers", "end"), [
    ({"Task_Prepare": {"isClassified": True}}, "End_Classified"),                                             # T28
    ({"Task_Prepare": {"origin": "TEMPORARY_HIGHER_LEVEL"},
      "Task_LeaderConsent": {"leaderConsent": False, "leaderRefusalReason": "不属临时任务"}}, "End_NoConsent"),
    ({"Task_Submit": {"submissionDate": "2026-07-01"}}, "End_MissedCycle"),
    ({"Task_TechReview": {"techReviewPassed": False, "failedCriteria": ["NECESSITY"]}}, "End_NotApproved"),
    ({"Task_Prepare": {"origin": "TEMPORARY_HIGHER_LEVEL"}, "Task_DrcTemporary": DRC_REFUSES}, "End_NotApproved"),
    ({"Task_DrcLibrary": DRC_REFUSES}, "End_DrcRejected"),
    ({"Task_CountyApproveLibrary": COUNTY_REFUSES}, "End_CountyRejected"),
    ({"Task_Prepare": {"projectType": "PURCHASED_SERVICE"}, "Task_CountyApprovePurchase": COUNTY_REFUSES},
     "End_CountyRejected"),
])
def test_early_ends(h: ProcessHarness, answers: dict[str, Any], end: str) -> None:
    run = h.start(P)
    walk(run, answers)
    run.assert_path(end)
    assert run.status == "completed"


def test_infrastructure_of_its_own_is_sent_back(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Prepare": [{"request": "NEW_SEPARATE_INFRASTRUCTURE"}, {}]}, until="Task_DrcLibrary")
    run.assert_path("Task_TechReview", "Rule_Infrastructure", "Task_Prepare", "Task_TechReview", "Rule_Route")


def test_documents_returned_civil_works_and_changes(h: ProcessHarness) -> None:
    no = {"documentsApproved": False, "approvalOpinion": "退回", "returnReason": "投资估算依据不足"}
    design_no = {"designApproved": False, "designApprovalOpinion": "退回", "designReturnReason": "概算偏高"}
    change = {"changeRequested": True, "totalAfterChangeWan": 1000.0, "adjustAmountWan": 100.0,
              "objectiveUnchanged": True, "circumstance": "C2_TECH_OPTIMISATION"}
    run = h.start(P)
    walk(run, {"Task_Prepare": {"newCivilWorks": True}, "Task_ApproveProposal": [no, {}],
               "Task_ApproveFeasibility": [no, {}], "Task_ApproveDesign": [design_no, {}],
               "Task_Construction": [change, {**change, "circumstance": "C1_NEW_DEPLOYMENT", "adjustAmountWan": 50.0},
                                     {**change, "circumstance": "C3_SCHEDULE", "adjustAmountWan": 0.01},
                                     {"finding": "SERIOUS_DELAY"}, {"finding": "MAJOR_LOSS"}, {}],
               "Task_RectifyFinding": [{}, {"rectifiedAndCompliant": False}]}, until="Task_Acceptance")
    # 100 + 50 = 150.00 = 15 % of the approved 1000 is still a self-adjustment; 0.01 more is not (Art. 17 ¶2)
    run.assert_path("Task_OtherApprovals", "Task_Proposal", "Task_Proposal", "Task_Feasibility", "Task_Feasibility",
                    "Task_Design", "Task_Design", "Task_Construction", "Rule_Change", "Task_InfoOpinion",
                    "Rule_Change", "Task_FileChange", "Script_ChangeLedger", "Task_Construction", "Task_FileChange",
                    "Task_Construction", "Task_FormalChange", "Task_Construction", "Task_RectifyFinding",
                    "Rule_Supervision", "Task_Construction", "Task_RectifyFinding", "Task_SuspendFunds",
                    "Task_Construction")


def test_serious_consequences_are_transferred(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Construction": [{"finding": "SERIOUS_CONSEQUENCE"}, {}]}, until="Task_Acceptance")
    # criticism or transfer sanctions the unit; it does not end the project, which goes on to acceptance
    run.assert_path("Task_RectifyFinding", "Rule_Supervision", "Task_Criticism", "Task_Construction")
    assert run.waiting() == ["Task_Acceptance"]


def test_change_before_approvals_complete_goes_into_the_design(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Design": [{"contentAdjusted": True}, {}]}, until="Task_DesignChapter")
    assert run.data["allApprovalStagesComplete"] is False
    run.complete("Task_DesignChapter", ANSWERS["Task_DesignChapter"])
    walk(run, until="Task_ImplementationOpinion")
    run.assert_path("Task_ApproveFeasibility", "Task_Design", "Gateway_DesignAdjusted", "Rule_DesignChange",
                    "Task_DesignChapter", "Task_ApproveDesign", "Script_ApprovalsDone")
    assert run.path().count("Task_Proposal") == 1 and run.path().count("Task_Feasibility") == 1   # not re-approved


def test_late_acceptance_needs_an_explanation_and_failure_a_one_month_rectification(h: ProcessHarness) -> None:
    run, other = h.start(P), h.start(P)
    walk(run, until="Task_Acceptance")
    walk(other, until="Task_Acceptance")
    h.clock.set("2026-09-16T00:00:01+08:00")                     # after 2026-09-15
    assert sorted(h.fire_timers()) == sorted([run.id, other.id])
    assert run.waiting() == ["Task_LateExplanation"]
    run.complete("Task_LateExplanation", ANSWERS["Task_LateExplanation"])
    run.assert_path("Timer_AcceptanceDeadline", "Task_LateExplanation", "Rule_Deadline", "Script_StatedDate")
    assert run.task("Task_Acceptance").due_at.isoformat() == "2026-10-15T16:00:00+00:00"   # the date it stated
    run.complete("Task_Acceptance", {**ANSWERS["Task_Acceptance"], "acceptanceDate": "2026-10-15",
                                     "acceptancePassed": False, "acceptanceFailReason": "安全测评未完成"})
    [rectify] = [t for t in run.tasks() if t.spec_id == "Task_Rectify"]
    assert rectify.due_at.isoformat() == "2026-11-16T16:00:00+00:00"  # 11-15 is a Sunday: the month ends Monday
    h.clock.set("2026-11-17T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    run.complete("Task_ChaseRectify", ANSWERS["Task_ChaseRectify"])
    walk(run, {"Task_Rectify": {"rectificationCompletedDate": "2026-11-18"},
               "Task_ReAcceptance": {"reAcceptanceDate": "2026-11-20"}}, until="Task_OmMode")
    assert run.data["rectification"] == "RECTIFIED_LATE"
    assert run.data["result"] == "EXTENDED_TO_STATED_DATE"  # first accepted on the date its explanation stated
    other.complete("Task_LateExplanation", {"writtenExplanationFiled": False})
    other.complete("Task_OverdueSupervision", ANSWERS["Task_OverdueSupervision"])
    other.assert_path("Rule_Deadline", "Task_OverdueSupervision")
    assert other.waiting() == ["Task_LateExplanation"]      # supervised until the unit states a date (Art. 19, 35*)


def test_acceptance_package_needs_the_audit_report_and_surplus_returned(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Acceptance")
    package = {k: v for k, v in ANSWERS["Task_Acceptance"].items() if k != "auditReportRef"}
    with pytest.raises(InvalidInput) as caught:                                                  # T19
        run.complete("Task_Acceptance", package)
    assert [e.field for e in caught.value.errors] == ["auditReportRef"]
    with pytest.raises(InvalidInput) as caught:                                                  # T29
        run.complete("Task_Acceptance", {**ANSWERS["Task_Acceptance"], "surplusReturned": False})
    assert [e.field for e in caught.value.errors] == ["surplusReturned"]


def test_june_deadline_reminder(h: ProcessHarness) -> None:
    run = h.start(P)
    run.complete("Task_Prepare", ANSWERS["Task_Prepare"])
    assert h.fire_timers() == []                                  # plan year 2027: due 2026-06-30
    h.clock.set("2026-07-01T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    run.complete("Task_RemindSubmission", ANSWERS["Task_RemindSubmission"])
    run.assert_path("Timer_June", "Task_RemindSubmission", "End_Reminded")
