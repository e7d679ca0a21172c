"""Yunfu 云浮市: decision tables (policies/yunfu.md §4, scenarios §8) and the processes walked end to end."""

from __future__ import annotations

from typing import Any

import pytest

from engine import InvalidInput
from engine.tools.testing import ProcessHarness, ProcessRun

from .conftest import HarnessFactory
from .walking import decide, walk_process

P = "yunfu_project"
ACCEPT = {"acceptanceDate": "2024-11-20", "wholeProject": True, "acceptanceTestRef": "测评.pdf",
          "securityTestRef": "安全测评.pdf", "expertReviewRef": "专家意见.pdf", "dataIncorporated": True,
          "ipv6Verified": True, "passed": True}
IMPL = {"progressNote": "按合同实施", "supervisionContracted": True, "softwareTestContracted": True,
        "infrastructureRequested": True}
ANSWERS: dict[str, dict[str, Any]] = {
    "Task_Register": {"projectName": "云浮市政务服务移动端运营服务", "isClassified": False, "level": "MUNICIPAL",
                      "funding": "MUNICIPAL_FISCAL", "serviceType": "PROFESSIONAL_SOFTWARE_DEV", "relatedTo": "NONE",
                      "inBeginningYearBudget": True, "totalInvestmentWan": 250.0, "appSoftwareDevWan": 120.0},
    "Task_CityConsent": {"cityGovConsent": True, "cityOpinion": "同意"},
    "Task_Aggregate": {"publicPlanRef": "公共类方案.pdf", "unitNeedsRef": "需求汇总.xlsx"},
    "Task_PublicReview": {"costReviewRef": "造价.pdf", "expertOpinionRef": "专家.pdf", "costAndExpertReviewDone": True},
    "Task_PublicFinance": {"financeOpinion": "SUPPORT", "preliminaryFundingWan": 240.0, "financeNote": "同意"},
    "Task_PublicFunds": {"fundApplicationRef": "资金申请.pdf"},
    "Task_ProfPlan": {"planRef": "方案.pdf", "sharingCatalogueProvided": True, "ipv6Supported": True,
                      "appraisalRef": "论证.pdf"},
    "Task_InitialCheck": {"initialCheckPassed": True, "initialCheckOpinion": "符合要求"},
    "Task_ProfReview": {"costReviewRef": "造价.pdf", "expertOpinionRef": "专家.pdf", "costAndExpertReviewDone": True},
    "Task_ProfFinance": {"financeOpinion": "SUPPORT", "preliminaryFundingWan": 240.0, "financeNote": "同意"},
    "Task_IssueOpinion": {"opinionDecision": "APPROVE", "financeWeighing": "财政局支持，同意立项",
                          "opinionNumber": "云数立〔2024〕5号", "issueDate": "2024-04-01"},
    "Task_ProfFunds": {"fundApplicationRef": "资金申请.pdf"},
    "Task_CityFunding": {"fundsApproved": True, "fundedWan": 240.0},
    "Task_PublicProcure": {"providerName": "服务商甲", "contractAmountWan": 238.0, "signingDate": "2024-05-10"},
    "Task_ProfProcure": {"providerName": "服务商乙", "contractAmountWan": 238.0, "signingDate": "2024-05-10"},
    "Task_PublicImplement": IMPL,
    "Task_ProfImplement": {**IMPL, "event": "NONE"},
    "Task_FileChange": {"changeFilingRef": "备案.pdf"},
    "Task_Coordinate": {"coordinationNote": "已协调"},
    "Task_FileTerminationData": {"terminationRef": "终止.pdf", "terminationFiledOn": "2024-09-02"},
    "Task_FileTerminationFinance": {"financeTerminationRef": "终止.pdf", "financeTerminationFiledOn": "2024-09-03"},
    "Task_PreAcceptance": {"preAcceptanceReviewPassed": True, "preAcceptanceOpinion": "符合标准"},
    "Task_ProfRectify": {"rectificationNote": "已整改"},
    "Task_PublicRectify": {"rectificationNote": "已整改"},
    "Task_PublicAccept": ACCEPT,
    "Task_ProfAccept": ACCEPT,
    "Task_FileAcceptance": {"archivedOn": "2024-11-25"},
    "Task_Evaluation": {"evaluationScore": 90, "evaluationNote": "应用效果良好"},
    "Task_FinanceEvaluation": {"fundUseCompliant": True, "performanceScore": 88, "financeEvaluationNote": "资金使用规范"},
    "Task_ChoosePlanYear": {"planYear": 2025},
    "Task_FilePlan": {"planRef": "2025年计划.pdf"},
    "Task_RemindPlan": {"reminderNote": "已督促"},
}


@pytest.fixture
def h(jurisdiction: HarnessFactory) -> ProcessHarness:
    return jurisdiction("yunfu", "2024-03-01T09:00:00+08:00")


def walk(run: ProcessRun, answers: dict[str, Any] | None = None, until: str | None = None) -> None:
    walk_process(run, ANSWERS, answers, until=until, skip=("Task_RemindPlan",))



@pytest.mark.parametrize(("filed", "result"), [("2024-11-30", "ON_TIME"), ("2024-12-01", "LATE"), ("", "LATE")])  # T01, T02
def test_plan_filing_by_30_november(h: ProcessHarness, filed: str, result: str) -> None:
    assert decide(h, "DT_YF_03", planYear="2025", filingDate=filed) == {"result": result}


@pytest.mark.parametrize(("service", "related", "category", "owner"), [
    ("PROFESSIONAL_SOFTWARE_DEV", "NONE", "PROFESSIONAL", "applicant_unit"),   # T03
    ("PUBLIC_PLATFORM_DEV", "NONE", "PUBLIC", "data_bureau"),                  # T04
    ("OM", "PROFESSIONAL_SYSTEM", "PROFESSIONAL", "applicant_unit"),           # T05
    ("THIRD_PARTY", "PUBLIC_SYSTEM", "PUBLIC", "data_bureau"),                 # T06
    ("INFRASTRUCTURE", "NONE", "PUBLIC", "data_bureau"),                       # T07
    ("GENERAL_SOFTWARE_DEV", "NONE", "PUBLIC", "data_bureau"),
    ("OM", "NONE", "PROFESSIONAL", "applicant_unit"),
])
def test_category_and_owner(h: ProcessHarness, service: str, related: str, category: str, owner: str) -> None:
    assert decide(h, "DT_YF_02", serviceType=service, relatedTo=related) == {"category": category, "owner": owner}


@pytest.mark.parametrize(("total", "software", "obligations"), [
    ("200.00", "0", ["SUPERVISION_REQUIRED"]),                                                  # T08
    ("199.99", "99.99", []),                                                                    # T09, T11
    ("50", "100.00", ["THIRD_PARTY_SOFTWARE_TEST_REQUIRED"]),                                   # T10
    ("250", "80", ["SUPERVISION_REQUIRED"]),                                                    # T12
    ("200", "100", ["SUPERVISION_REQUIRED", "THIRD_PARTY_SOFTWARE_TEST_REQUIRED"]),
])
def test_mandatory_supervision_and_testing(h: ProcessHarness, total: str, software: str, obligations: list[str]) -> None:
    assert decide(h, "DT_YF_05", totalInvestmentWan=total, appSoftwareDevWan=software) == {"obligation": obligations}


@pytest.mark.parametrize(("catalogue", "ipv6", "check", "review", "finance", "result"), [
    ("false", "true", "", "", "", "INCOMPLETE"),                            # T13
    ("true", "false", "", "", "", "INCOMPLETE"),                            # T14
    ("true", "true", "false", "", "", "INITIAL_CHECK_FAILED"),              # T15
    ("true", "true", "true", "true", "NOT_SUPPORT", "APPROVAL_OPINION_ISSUED"),
    ("true", "true", "true", "", "", "CONTINUE_REVIEW"),
])
def test_professional_initiation(h: ProcessHarness, catalogue: str, ipv6: str, check: str, review: str,
                                 finance: str, result: str) -> None:
    assert decide(h, "DT_YF_04", sharingCatalogueProvided=catalogue, ipv6Supported=ipv6, initialCheckPassed=check,
                costAndExpertReviewDone=review, financeOpinion=finance) == {"result": result}


@pytest.mark.parametrize(("issued", "checked", "result"), [
    # T16: two years end on Sunday 2026-03-15, so the validity runs to Monday (one roll-over rule, README)
    ("2024-03-15", "2026-03-16", "VALID"), ("2024-03-15", "2026-03-17", "EXPIRED"),
    # T17: 29 Feb becomes 28 Feb, a make-up working Saturday in 2026, so no roll-over
    ("2024-02-29", "2026-02-28", "VALID"), ("2024-02-29", "2026-03-01", "EXPIRED"),
    ("2024-02-29", "", "EXPIRED"),
])
def test_approval_opinion_valid_two_years(h: ProcessHarness, issued: str, checked: str, result: str) -> None:
    assert decide(h, "DT_YF_06", issueDate=issued, checkDate=checked) == {"result": result}


@pytest.mark.parametrize(("in_budget", "basis", "consent", "result"), [
    ("true", "", "", "NORMAL_ROUTE"),
    ("false", "NATIONAL_MINISTRY_REQUIREMENT", "true", "MAY_APPLY_FOR_INITIATION"),   # T18
    ("false", "NETWORK_SECURITY", "false", "NOT_ALLOWED"),
    ("false", "OTHER", "", "NOT_ALLOWED_THIS_YEAR"),                                    # T19
    ("false", "LIVELIHOOD_CRITICAL", "", "CITY_GOV_CONSENT_REQUIRED"),
])
def test_in_year_exception(h: ProcessHarness, in_budget: str, basis: str, consent: str, result: str) -> None:
    assert decide(h, "DT_YF_07", inBeginningYearBudget=in_budget, basis=basis, cityGovConsent=consent) == {
        "result": result}


@pytest.mark.parametrize(("event", "cause", "action"), [
    ("OVERDUE_DELIVERY", "LAW_OR_POLICY_CHANGE", "FILE_WITH_DATA_BUREAU"),    # T21
    ("MAJOR_CHANGE", "OTHER", "COORDINATE_WITH_DATA_BUREAU"),
    ("TERMINATION", "OTHER", "FILE_WITH_DATA_BUREAU_AND_FINANCE"),            # T22
    ("NONE", "", "NO_ACTION"),
])
def test_change_delay_termination(h: ProcessHarness, event: str, cause: str, action: str) -> None:
    assert decide(h, "DT_YF_08", event=event, cause=cause) == {"action": action}


@pytest.mark.parametrize(("category", "passed", "route"), [
    ("PUBLIC", "", "DATA_BUREAU_ORGANISES"), ("PROFESSIONAL", "false", "BLOCKED"),     # T23
    ("PROFESSIONAL", "true", "UNIT_ORGANISES_AND_FILES"), ("OTHER", "true", "BLOCKED")])
def test_acceptance_route(h: ProcessHarness, category: str, passed: str, route: str) -> None:
    assert decide(h, "DT_YF_09", category=category, preAcceptanceReviewPassed=passed) == {"route": route}


@pytest.mark.parametrize(("start", "classified", "level", "funding", "result"), [
    ("2025-02-01", "false", "MUNICIPAL", "MUNICIPAL_FISCAL", "POLICY_EXPIRED"),               # T26
    ("2025-01-31", "false", "MUNICIPAL", "MUNICIPAL_FISCAL", "IN_SCOPE"),                     # T27
    ("2020-01-31", "false", "MUNICIPAL", "MUNICIPAL_FISCAL", "POLICY_NOT_YET_EFFECTIVE"),
    ("2024-06-01", "true", "MUNICIPAL", "MUNICIPAL_FISCAL", "OUT_OF_SCOPE_SECRECY_RULES"),   # T20
    ("2024-06-01", "false", "COUNTY", "MUNICIPAL_FISCAL", "REFERENCE_ONLY"),                 # T28
    ("2024-06-01", "false", "MUNICIPAL", "OTHER", "OUT_OF_SCOPE"),
])
def test_applicability_and_validity_period(h: ProcessHarness, start: str, classified: str, level: str,
                                           funding: str, result: str) -> None:
    assert decide(h, "DT_YF_01", processStartDate=start, isClassified=classified, level=level, funding=funding) == {
        "result": result}


def test_annual_plan_filed_on_time_and_overdue_reminder(h: ProcessHarness) -> None:
    run = h.start("yunfu_annual_plan")
    run.complete("Task_ChoosePlanYear", ANSWERS["Task_ChoosePlanYear"])
    [task] = run.tasks()
    assert task.due_at.isoformat() == "2024-11-30T16:00:00+00:00"
    run.complete("Task_FilePlan", ANSWERS["Task_FilePlan"])
    assert run.data["result"] == "ON_TIME" and run.status == "completed"
    late = h.start("yunfu_annual_plan")
    late.complete("Task_ChoosePlanYear", ANSWERS["Task_ChoosePlanYear"])
    h.clock.set("2024-12-01T00:00:01+08:00")
    assert h.fire_timers() == [late.id]
    late.complete("Task_RemindPlan", ANSWERS["Task_RemindPlan"])
    h.clock.set("2024-12-02T10:00:00+08:00")
    late.complete("Task_FilePlan", ANSWERS["Task_FilePlan"])
    assert late.data["filingDate"] == "2024-12-02" and late.data["result"] == "LATE"
    late.assert_path("Timer_PlanDeadline", "Task_RemindPlan", "End_Reminded")


def test_professional_project_from_initiation_to_evaluation(h: ProcessHarness) -> None:
    run = h.start(P, business_key="YF-2024-08")
    walk(run, {"Task_InitialCheck": [{"initialCheckPassed": False}, {}],
               "Task_ProfReview": [{"costAndExpertReviewDone": False}, {}],
               "Task_PreAcceptance": [{"preAcceptanceReviewPassed": False}, {}],
               "Task_ProfAccept": [{"passed": False, "acceptanceFindings": "测评问题未整改"}, {}]})
    assert run.status == "completed"
    run.assert_path("Task_ProfPlan", "Task_InitialCheck", "Rule_InitialCheck", "Task_ProfPlan", "Task_InitialCheck",
                    "Task_ProfReview", "Gateway_ProfReviewDone", "Task_ProfReview", "Task_ProfFinance", "Rule_Initiation",
                    "Task_IssueOpinion", "Task_ProfFunds", "Task_CityFunding", "Rule_Obligations", "Task_ProfProcure",
                    "Task_ProfImplement", "Task_PreAcceptance", "Task_ProfRectify", "Task_PreAcceptance",
                    "Task_ProfAccept", "Task_ProfRectify", "Task_PreAcceptance", "Task_ProfAccept",
                    "Task_FileAcceptance", "Task_Evaluation", "End_Evaluated")


def test_public_project_is_owned_by_the_data_bureau(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Register": {"serviceType": "PUBLIC_PLATFORM_DEV"},
               "Task_PublicImplement": [{"supervisionContracted": False}, {}],
               "Task_PublicAccept": [{"dataIncorporated": False, "acceptanceFindings": "数据资源未纳入"}, {}]})
    run.assert_path("Task_Aggregate", "Task_PublicReview", "Task_PublicFinance", "Task_PublicFunds",
                    "Task_CityFunding", "Task_PublicProcure", "Task_PublicImplement", "Task_PublicImplement",
                    "Task_PublicAccept", "Task_PublicRectify", "Task_PublicAccept", "Task_Evaluation")
    assert [t.candidate_group for t in run.tasks()] == []
    assert run.status == "completed"


def test_software_testing_obligation_is_enforced(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_ProfImplement": [{"softwareTestContracted": False}, {}]}, until="Task_PreAcceptance")
    run.assert_path("Task_ProfImplement", "Gateway_ProfObligations", "Gateway_ProfImplement", "Task_ProfImplement")


def test_approval_opinion_lapsing_after_the_regulation_expired_ends_the_project(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_ProfFunds")
    h.clock.set("2026-04-01T23:00:00+08:00")
    assert h.fire_timers() == []
    h.clock.set("2026-04-02T00:00:01+08:00")                                     # issued 2024-04-01
    assert h.fire_timers() == [run.id]
    # Art. 28: a re-application after 2025-01-31 cannot be made under this regulation
    assert run.tasks() == [] and run.status == "completed"
    run.assert_path("Task_IssueOpinion", "Timer_OpinionExpiry", "Gateway_OpinionLapsed", "End_OpinionLapsed")
    assert run.path().count("Task_ProfPlan") == 1


def test_changes_delays_and_termination(h: ProcessHarness) -> None:
    run = h.start(P)
    events = [{"event": "OVERDUE_DELIVERY", "cause": "LAW_OR_POLICY_CHANGE"}, {"event": "MAJOR_CHANGE", "cause": "OTHER"},
              {"event": "TERMINATION", "cause": "OTHER"}]
    walk(run, {"Task_ProfImplement": events})
    run.assert_path("Task_ProfImplement", "Task_FileChange", "Task_ProfImplement", "Task_Coordinate",
                    "Task_ProfImplement", "Gateway_TerminationSplit", "Gateway_TerminationJoin", "End_Terminated")
    run.assert_path("Task_FileTerminationData", "End_Terminated")
    run.assert_path("Task_FileTerminationFinance", "End_Terminated")


@pytest.mark.parametrize(("answers", "end"), [
    ({"Task_Register": {"isClassified": True}}, "End_Secrecy"),
    ({"Task_Register": {"level": "COUNTY"}}, "End_Reference"),
    ({"Task_Register": {"funding": "OTHER"}}, "End_OutOfScope"),
    ({"Task_Register": {"inBeginningYearBudget": False, "basis": "OTHER"}}, "End_NotAllowed"),
    ({"Task_CityFunding": {"fundsApproved": False}}, "End_NotFunded"),
])
def test_early_ends(h: ProcessHarness, answers: dict[str, Any], end: str) -> None:
    run = h.start(P)
    walk(run, answers)
    run.assert_path(end)


def test_in_year_project_with_city_consent(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Register": {"inBeginningYearBudget": False, "basis": "NETWORK_SECURITY"}}, until="Task_ProfPlan")
    run.assert_path("Rule_InYear", "Task_CityConsent", "Rule_InYear", "Rule_Category")


def test_policy_dates_decide_which_rules_apply(h: ProcessHarness) -> None:
    # Art. 28: nobody starts a project under the regulation outside 2020-02-01..2025-01-31; an administrator
    # may for a transition case, and the process itself then ends at its own date check.
    h.clock.set("2025-02-01T09:00:00+08:00")
    with pytest.raises(InvalidInput) as refused:
        h.start(P)
    assert [e.field for e in refused.value.errors] == ["process_id"]
    assert "已于 2025-01-31 届满失效" in refused.value.errors[0].message
    expired = h.start(P, outside_validity="办法失效前已受理的申请，补录")
    walk(expired)
    expired.assert_path("Rule_Scope", "End_PolicyExpired")
    h.clock.set("2020-01-15T09:00:00+08:00")
    with pytest.raises(InvalidInput) as early_refusal:
        h.start(P)
    assert "自 2020-02-01 起施行" in early_refusal.value.errors[0].message
    early = h.start(P, outside_validity="试点单位提前受理")
    walk(early)
    early.assert_path("Rule_Scope", "End_NotEffective")


def test_acceptance_of_one_phase_only_is_refused(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_ProfAccept")
    with pytest.raises(InvalidInput) as caught:                                  # T25 whole-project acceptance
        run.complete("Task_ProfAccept", {**ACCEPT, "wholeProject": False})
    assert [e.field for e in caught.value.errors] == ["wholeProject"]
    no_security = {k: v for k, v in ACCEPT.items() if k != "securityTestRef"}
    with pytest.raises(InvalidInput) as caught:                                  # T24 security testing required
        run.complete("Task_ProfAccept", no_security)
    assert [e.field for e in caught.value.errors] == ["securityTestRef"]
