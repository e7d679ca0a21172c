"""Yunfu 云浮市: one small test per obligation of regulations/yunfu.obligations.toml, driving the deployed process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine import InvalidInput
from engine.tools.testing import ProcessHarness, ProcessRun

from .conftest import HarnessFactory
from .test_yunfu import ANSWERS
from .walking import decide, walk_process

P = "yunfu_project"
PLAN = "yunfu_annual_plan"


At = Callable[[str], ProcessHarness]


@pytest.fixture
def at(jurisdiction: HarnessFactory) -> At:
    """Return a maker of a yunfu harness whose fake clock starts at the given local time."""
    return lambda moment: jurisdiction("yunfu", moment)


def walk(run: ProcessRun, answers: dict[str, Any] | None = None, until: str | None = None) -> None:
    walk_process(run, ANSWERS, answers, until=until, skip=("Task_RemindPlan",))


def open_plan(h: ProcessHarness, plan_year: int) -> ProcessRun:
    run = h.start(PLAN)
    run.complete("Task_ChoosePlanYear", {"planYear": plan_year})
    return run


# --- Art. 6: the deadline follows the plan year, a fixed calendar date -------------------------------------------

def test_a_plan_opened_in_december_for_the_year_after_next_is_due_the_next_30_november(at: At) -> None:
    h = at("2023-12-05T09:00:00+08:00")
    run = open_plan(h, 2025)
    [task] = run.tasks()
    # 2024-11-30 is a Saturday: a fixed date, not a period, so it does not roll over to Monday 2024-12-02
    assert task.spec_id == "Task_FilePlan" and task.due_at.isoformat() == "2024-11-30T16:00:00+00:00"
    assert h.fire_timers() == []                                               # not overdue the moment it starts
    h.clock.set("2024-11-30T23:59:00+08:00")
    assert h.fire_timers() == []
    h.clock.set("2024-12-01T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    assert sorted(run.waiting()) == ["Task_FilePlan", "Task_RemindPlan"]


def test_a_plan_opened_in_november_for_next_year_is_due_that_30_november(at: At) -> None:
    h = at("2023-11-10T09:00:00+08:00")
    run = open_plan(h, 2024)
    assert run.task("Task_FilePlan").due_at.isoformat() == "2023-11-30T16:00:00+00:00"
    h.clock.set("2023-12-01T00:00:01+08:00")
    assert h.fire_timers() == [run.id]


@pytest.mark.parametrize(("filed_at", "reminded", "result"), [
    ("2024-11-30T22:00:00+08:00", False, "ON_TIME"),     # the last day, a Saturday, still counts
    ("2024-12-01T00:00:01+08:00", True, "LATE"),
])
def test_the_reminder_timer_and_the_filing_decision_agree(at: At, filed_at: str, reminded: bool,
                                                          result: str) -> None:
    h = at("2023-12-05T09:00:00+08:00")
    run = open_plan(h, 2025)
    h.clock.set(filed_at)
    assert (h.fire_timers() == [run.id]) is reminded
    run.complete("Task_FilePlan", ANSWERS["Task_FilePlan"])
    assert run.data["filingDate"] == filed_at[:10] and run.data["result"] == result
    assert decide(h, "DT_YF_03", planYear="2025", filingDate=filed_at[:10]) == {"result": result}
    run.assert_path("Script_StampFiling", "Rule_PlanTimely", "End_PlanFiled")


# --- Art. 28 with Art. 6: nothing is demanded under the expired regulation ----------------------------------------

def test_a_plan_year_due_after_the_regulation_expired_is_not_demanded(at: At) -> None:
    h = at("2024-12-05T09:00:00+08:00")
    run = open_plan(h, 2026)                                   # due 2025-11-30, after 2025-01-31
    assert run.status == "completed" and run.tasks() == [] and run.data["filingDemand"] == "DUE_AFTER_EXPIRY"
    run.assert_path("Rule_PlanDemanded", "End_NotDemanded")
    run.assert_not_visited("Task_FilePlan")


def test_an_open_filing_and_its_reminder_lapse_with_the_regulation(at: At) -> None:
    h = at("2024-12-05T09:00:00+08:00")
    run = open_plan(h, 2025)                                   # due 2024-11-30: overdue at once
    h.fire_timers()
    assert sorted(run.waiting()) == ["Task_FilePlan", "Task_RemindPlan"]
    h.clock.set("2025-01-31T23:59:00+08:00")
    assert h.fire_timers() == []
    h.clock.set("2025-02-01T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    assert run.tasks() == [] and run.status == "completed"
    run.assert_path("Timer_FilingLapses", "End_Lapsed")
    run.assert_path("Timer_ReminderLapses", "End_Lapsed")


def test_starting_an_annual_plan_after_expiry_is_refused_unless_an_administrator_gives_a_reason(
        at: At) -> None:
    h = at("2025-02-01T09:00:00+08:00")
    with pytest.raises(InvalidInput) as refused:
        h.start(PLAN)
    assert "已于 2025-01-31 届满失效" in refused.value.errors[0].message
    run = h.start(PLAN, outside_validity="补录失效前的年度计划")
    run.complete("Task_ChoosePlanYear", {"planYear": 2025})
    assert run.data["filingDemand"] == "POLICY_EXPIRED" and run.tasks() == []
    run.assert_path("Rule_PlanDemanded", "End_NotDemanded")


# --- Art. 8: initiation of professional projects -------------------------------------------------------------------

def test_an_initial_check_that_fails_returns_the_plan_to_the_unit(at: At) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    walk(run, until="Task_ProfPlan")
    run.complete("Task_ProfPlan", ANSWERS["Task_ProfPlan"])
    run.complete("Task_InitialCheck", {"initialCheckPassed": False, "initialCheckOpinion": "方案论证材料不全"})
    assert run.data["result"] == "INITIAL_CHECK_FAILED" and run.waiting() == ["Task_ProfPlan"]
    run.assert_path("Task_InitialCheck", "Rule_InitialCheck", "Gateway_InitialCheck", "Gateway_ProfPlan")
    run.assert_not_visited("Task_ProfReview")


def test_a_project_without_sharing_catalogue_or_ipv6_goes_back_to_the_unit(at: At) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    walk(run, {"Task_ProfPlan": [{"sharingCatalogueProvided": False}, {"ipv6Supported": False}, {}]},
         until="Task_ProfReview")
    assert run.waiting() == ["Task_ProfReview"]
    assert [e for e in run.path() if e == "Task_ProfPlan"] == ["Task_ProfPlan"] * 3
    run.assert_path("Task_ProfPlan", "Task_InitialCheck", "Rule_InitialCheck", "Task_ProfPlan", "Task_InitialCheck",
                    "Rule_InitialCheck", "Task_ProfPlan", "Task_InitialCheck", "Rule_InitialCheck")


@pytest.mark.parametrize("branch", ["professional", "public"])
def test_the_finance_bureau_gets_the_project_only_after_cost_review_and_expert_appraisal(
        at: At, branch: str) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    review, finance = ("Task_ProfReview", "Task_ProfFinance") if branch == "professional" else (
        "Task_PublicReview", "Task_PublicFinance")
    register = {} if branch == "professional" else {"serviceType": "GENERAL_SOFTWARE_DEV"}
    walk(run, {"Task_Register": register}, until=review)
    run.complete(review, {**ANSWERS[review], "costAndExpertReviewDone": False})
    assert run.waiting() == [review]
    run.complete(review, ANSWERS[review])
    assert run.waiting() == [finance]
    assert run.task(finance).candidate_group == "yunfu:finance_bureau"


def test_the_data_bureau_weighs_finance_and_a_refusal_ends_the_application(at: At) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    walk(run, until="Task_IssueOpinion")
    assert run.data["financeOpinion"] == "SUPPORT"
    refusal = {**ANSWERS["Task_IssueOpinion"], "opinionDecision": "REFUSE", "financeWeighing": "财政支持，但与总体规划重复"}
    with pytest.raises(InvalidInput) as caught:
        run.complete("Task_IssueOpinion", refusal)
    assert [e.field for e in caught.value.errors] == ["refusalReason"]
    run.complete("Task_IssueOpinion", {**refusal, "refusalReason": "与公共支撑平台重复建设（Art. 2）"})
    assert run.status == "completed" and run.tasks() == []
    run.assert_path("Task_IssueOpinion", "Gateway_Opinion", "End_Refused")
    run.assert_not_visited("Task_ProfFunds", "Task_CityFunding")


def test_the_data_bureau_may_approve_although_finance_does_not_support(at: At) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    walk(run, {"Task_ProfFinance": {"financeOpinion": "NOT_SUPPORT"}}, until="Task_IssueOpinion")
    run.complete("Task_IssueOpinion", {**ANSWERS["Task_IssueOpinion"], "financeWeighing": "财政建议暂缓，业务急需仍同意"})
    assert run.waiting() == ["Task_ProfFunds"]
    run.assert_not_visited("End_Refused")


def test_the_approval_opinion_valid_two_years_rolls_over_a_rest_day(at: At) -> None:
    h = at("2021-09-01T09:00:00+08:00")
    run = h.start(P)
    walk(run, {"Task_IssueOpinion": {"issueDate": "2021-10-01"}}, until="Task_ProfFunds")
    # two years end on 2023-10-01, inside the National Day holiday (2023-09-29..10-06); the period runs to the
    # next working day, the make-up working Saturday 2023-10-07
    h.clock.set("2023-10-07T23:59:00+08:00")
    assert h.fire_timers() == []
    h.clock.set("2023-10-08T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    assert run.waiting() == ["Task_ProfPlan"]                 # re-application while the regulation applies
    run.assert_path("Task_IssueOpinion", "Timer_OpinionExpiry", "Gateway_OpinionLapsed", "Gateway_ProfPlan")
    run.assert_not_visited("End_OpinionLapsed")


# --- Art. 13: mandatory supervision and third-party software testing ------------------------------------------------

@pytest.mark.parametrize(("total", "software", "obligations"), [
    ("200.00", "99.99", ["SUPERVISION_REQUIRED"]),
    ("199.99", "100.00", ["THIRD_PARTY_SOFTWARE_TEST_REQUIRED"]),
    ("199.99", "99.99", []),
])
def test_supervision_from_200_and_software_testing_from_100_inclusive(at: At, total: str, software: str,
                                                                      obligations: list[str]) -> None:
    h = at("2024-03-01T09:00:00+08:00")
    assert decide(h, "DT_YF_05", totalInvestmentWan=total, appSoftwareDevWan=software) == {"obligation": obligations}
    run = h.start(P)
    neither = {"supervisionContracted": False, "softwareTestContracted": False}
    walk(run, {"Task_Register": {"totalInvestmentWan": float(total), "appSoftwareDevWan": float(software)},
               "Task_ProfImplement": [neither, {}]}, until="Task_PreAcceptance")
    assert run.data["obligation"] == obligations
    implemented = [e for e in run.path() if e == "Task_ProfImplement"]
    assert len(implemented) == (2 if obligations else 1)       # blocked only while an obligation is unmet


def test_a_public_project_below_both_thresholds_needs_neither(at: At) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    walk(run, {"Task_Register": {"serviceType": "INFRASTRUCTURE", "totalInvestmentWan": 50,
                                 "appSoftwareDevWan": 0},
               "Task_PublicImplement": {"supervisionContracted": False, "softwareTestContracted": False}},
         until="Task_PublicAccept")
    assert run.data["obligation"] == [] and run.waiting() == ["Task_PublicAccept"]


# --- Art. 17: termination filed with both bureaus ---------------------------------------------------------------------

def test_a_termination_is_filed_with_the_data_bureau_and_the_finance_bureau(at: At) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    walk(run, {"Task_ProfImplement": {"event": "TERMINATION", "cause": "OTHER"}}, until="Task_FileTerminationData")
    assert {t.spec_id: t.candidate_group for t in run.tasks()} == {
        "Task_FileTerminationData": "yunfu:data_bureau", "Task_FileTerminationFinance": "yunfu:finance_bureau"}
    run.complete("Task_FileTerminationData", ANSWERS["Task_FileTerminationData"])
    assert run.waiting() == ["Task_FileTerminationFinance"] and run.status != "completed"
    run.complete("Task_FileTerminationFinance", ANSWERS["Task_FileTerminationFinance"])
    assert run.status == "completed"
    run.assert_path("Gateway_TerminationJoin", "End_Terminated")


def test_a_change_caused_by_law_or_policy_is_filed_with_the_data_bureau(at: At) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    walk(run, {"Task_ProfImplement": [{"event": "MAJOR_CHANGE", "cause": "LAW_OR_POLICY_CHANGE"}, {}]},
         until="Task_PreAcceptance")
    assert run.data["action"] == "FILE_WITH_DATA_BUREAU"
    run.assert_path("Rule_Change", "Task_FileChange", "Task_ProfImplement", "Gateway_PreAcceptance")
    run.assert_not_visited("Task_FileTerminationFinance")


# --- Art. 18-21: acceptance and evaluation -----------------------------------------------------------------------------

def test_a_professional_project_is_accepted_only_after_the_pre_acceptance_review(at: At) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    walk(run, {"Task_PreAcceptance": [{"preAcceptanceReviewPassed": False, "preAcceptanceOpinion": "不符合标准"}, {}]},
         until="Task_ProfAccept")
    assert run.waiting() == ["Task_ProfAccept"]
    run.assert_path("Task_PreAcceptance", "Rule_AcceptRoute", "Task_ProfRectify", "Task_PreAcceptance",
                    "Rule_AcceptRoute", "Gateway_AcceptRoute")


def test_acceptance_without_data_incorporation_or_ipv6_is_sent_back_with_findings(at: At) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    walk(run, until="Task_ProfAccept")
    failing = {**ANSWERS["Task_ProfAccept"], "ipv6Verified": False}
    with pytest.raises(InvalidInput) as caught:
        run.complete("Task_ProfAccept", failing)
    assert [e.field for e in caught.value.errors] == ["acceptanceFindings"]
    run.complete("Task_ProfAccept", {**failing, "acceptanceFindings": "未支持IPv6"})
    assert run.waiting() == ["Task_ProfRectify"]


def test_both_bureaus_supervise_and_evaluate_the_application_effect(at: At) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    walk(run, until="Task_Evaluation")
    assert {t.spec_id: t.candidate_group for t in run.tasks()} == {
        "Task_Evaluation": "yunfu:data_bureau", "Task_FinanceEvaluation": "yunfu:finance_bureau"}
    run.complete("Task_Evaluation", ANSWERS["Task_Evaluation"])
    assert run.status != "completed"
    run.complete("Task_FinanceEvaluation", ANSWERS["Task_FinanceEvaluation"])
    assert run.status == "completed"
    run.assert_path("Gateway_EvaluationJoin", "End_Evaluated")


# --- Art. 5, 9, 28: scope and validity of the project process ----------------------------------------------------------

def test_a_classified_project_is_left_to_the_secrecy_rules(at: At) -> None:
    run = at("2024-03-01T09:00:00+08:00").start(P)
    walk(run, {"Task_Register": {"isClassified": True}})
    assert run.data["result"] == "OUT_OF_SCOPE_SECRECY_RULES"
    run.assert_path("Rule_Scope", "End_Secrecy")


def test_an_in_year_project_needs_a_listed_reason_and_the_city_governments_consent(at: At) -> None:
    h = at("2024-03-01T09:00:00+08:00")
    refused = h.start(P)
    walk(refused, {"Task_Register": {"inBeginningYearBudget": False, "basis": "LIVELIHOOD_CRITICAL"},
                   "Task_CityConsent": {"cityGovConsent": False, "cityOpinion": "不同意"}})
    refused.assert_path("Task_CityConsent", "Rule_InYear", "End_NotAllowed")
    other = h.start(P)
    walk(other, {"Task_Register": {"inBeginningYearBudget": False, "basis": "OTHER"}})
    other.assert_path("Rule_InYear", "End_NotAllowed")
    other.assert_not_visited("Task_CityConsent")


def test_a_project_on_the_last_day_of_validity_is_in_scope(at: At) -> None:
    run = at("2025-01-31T09:00:00+08:00").start(P)
    walk(run, until="Task_ProfPlan")
    assert run.data["result"] == "NORMAL_ROUTE" and run.data["processStartDate"] == "2025-01-31"
    assert run.waiting() == ["Task_ProfPlan"]
    run.assert_path("Rule_Scope", "Gateway_Scope", "Rule_InYear", "Rule_Category")


@pytest.mark.parametrize(("started", "plan_year", "demand"), [
    ("2024-12-05", "2025", "DEMANDED"),                   # due 2024-11-30, inside the validity
    ("2024-12-05", "2026", "DUE_AFTER_EXPIRY"),           # due 2025-11-30, after 2025-01-31
    ("2020-02-01", "2020", "DUE_BEFORE_EFFECTIVE"),       # due 2019-11-30, before 2020-02-01
    ("2020-02-01", "2021", "DEMANDED"),
    ("2025-02-01", "2025", "POLICY_EXPIRED"),
    ("2024-03-01", "2023", "PLAN_YEAR_OVER"),
    ("2024-03-01", "2024", "DEMANDED"),                   # this year's plan, filed late
])
def test_which_plan_years_the_regulation_demands(at: At, started: str, plan_year: str, demand: str) -> None:
    h = at("2024-03-01T09:00:00+08:00")
    assert decide(h, "DT_YF_10", processStartDate=started, planYear=plan_year) == {"filingDemand": demand}


def test_a_plan_year_already_over_has_nothing_to_file(at: At) -> None:
    run = open_plan(at("2024-03-01T09:00:00+08:00"), 2023)
    assert run.data["filingDemand"] == "PLAN_YEAR_OVER" and run.tasks() == []
    run.assert_path("Rule_PlanDemanded", "End_NotDemanded")
