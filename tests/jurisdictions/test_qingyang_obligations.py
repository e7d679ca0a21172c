"""Qingyang 青阳县: the obligations of regulations/qingyang.obligations.toml, each driven through the deployed process."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from engine import InvalidInput
from engine.tools.testing import ProcessHarness, ProcessRun
from engine.usecases import tasks

from .conftest import HarnessFactory
from .test_qingyang_process import ANSWERS, P, to_acceptance, walk

BIG = {"investmentWan": 800.0}           # 500万 and above: feasibility, design, city then province review
CITY_NO = {"cityConsent": False, "cityOpinion": "不同意报省", "cityReturnReason": "未说明与市级平台的数据共享"}
CHANGE = {"changeRequested": True, "objectiveUnchanged": True, "circumstance": "C2_TECH_OPTIMISATION",
          "changeReason": "优化技术方案"}


@pytest.fixture
def h(jurisdiction: HarnessFactory) -> ProcessHarness:
    return jurisdiction("qingyang", "2025-03-01T09:00:00+08:00")


def earlier_fields(h: ProcessHarness, run: ProcessRun, spec_id: str) -> list[tuple[str, str, str]]:
    """(step, field title, value) of every earlier step listed on the ready task `spec_id`."""
    with h._unit() as session:
        view = tasks.task_view(h.engine, session, h.tester, run.task(spec_id).id)
    return [(step.task.spec_id, title, value) for step in view.earlier for title, value in step.fields]


# --- validity -------------------------------------------------------------------------------------------------------

def test_projects_start_only_from_the_day_the_plan_was_issued(h: ProcessHarness) -> None:
    h.clock.set("2024-08-08T23:30:00+08:00")
    with pytest.raises(InvalidInput) as refused:
        h.start(P)
    assert "2024-08-09" in refused.value.errors[0].message
    transition = h.start(P, outside_validity="印发前已受理，补录")
    assert transition.waiting() == ["Task_Register"]
    h.clock.set("2024-08-09T00:05:00+08:00")
    assert h.start(P).waiting() == ["Task_Register"]


# --- 二(二)2 and 二(二)4: 500万 ------------------------------------------------------------------------------------------

def test_500_wan_takes_the_feasibility_path_and_499_99_the_combined_document(h: ProcessHarness) -> None:
    at = h.start(P)
    walk(at, {"Task_Register": {"investmentWan": 500.0}}, until="Task_Feasibility")
    assert at.waiting() == ["Task_Feasibility"]
    below = h.start(P)
    walk(below, {"Task_Register": {"investmentWan": 499.99}}, until="Task_Combined")
    assert below.waiting() == ["Task_Combined"]


def test_a_city_refusal_sends_the_design_back_with_its_reason_and_the_province_never_sees_it(
        h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Register": BIG}, until="Task_CityReview")
    with pytest.raises(InvalidInput) as unexplained:
        run.complete("Task_CityReview", {"cityConsent": False, "cityOpinion": "不同意"})
    assert [e.field for e in unexplained.value.errors] == ["cityReturnReason"]
    run.complete("Task_CityReview", CITY_NO)
    assert run.waiting() == ["Task_Design"]
    assert ("Task_CityReview", "退回修改的理由", CITY_NO["cityReturnReason"]) in earlier_fields(h, run, "Task_Design")
    with pytest.raises(AssertionError):
        run.task("Task_ProvinceReview")
    run.assert_not_visited("Task_ProvinceReview")


def test_a_province_yes_after_a_city_no_never_reaches_the_county_approval(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Register": BIG, "Task_CityReview": [CITY_NO, {}]}, until="Task_ApproveDesign")
    path = run.path()
    first_city, second_city = [i for i, e in enumerate(path) if e == "Task_CityReview"]
    [province] = [i for i, e in enumerate(path) if e == "Task_ProvinceReview"]
    # The province reviewed only the design the city agreed to; county approval follows both consents.
    assert first_city < path.index("Task_Design", first_city) < second_city < province
    assert run.data["cityConsent"] is True and run.data["provinceConsent"] is True
    assert run.waiting() == ["Task_ApproveDesign"]


def test_a_province_refusal_sends_the_design_back_to_the_city_again(h: ProcessHarness) -> None:
    run = h.start(P)
    no = {"provinceConsent": False, "provinceOpinion": "不同意", "provinceReturnReason": "资源复用不足"}
    walk(run, {"Task_Register": BIG, "Task_ProvinceReview": [no, {}]}, until="Task_ApproveDesign")
    run.assert_path("Task_CityReview", "Task_ProvinceReview", "Gateway_UpperConsent", "Task_Design",
                    "Task_CityReview", "Task_ProvinceReview", "Gateway_ToDesignApproval")


# --- 二(五)1: no O&M cost in the estimate ------------------------------------------------------------------------------

def test_o_and_m_cost_in_the_estimate_sends_the_design_back_with_a_reason_the_applicant_sees(
        h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Register": {"investmentWan": 800.0, "projectNature": "CONTINUING"}}, until="Task_ApproveDesign")
    om = {**ANSWERS["Task_ApproveDesign"], "estimateIncludesOmCost": True}
    with pytest.raises(InvalidInput) as unexplained:
        run.complete("Task_ApproveDesign", om)
    assert [e.field for e in unexplained.value.errors] == ["returnReason"]
    run.complete("Task_ApproveDesign", {**om, "returnReason": "概算第5项为三年运维服务费，须删除"})
    assert run.waiting() == ["Task_Design"]
    assert ("Task_ApproveDesign", "退回修改的理由", "概算第5项为三年运维服务费，须删除") in earlier_fields(
        h, run, "Task_Design")


# --- 二(三)3: cumulative change envelope ----------------------------------------------------------------------------

def _to_construction(h: ProcessHarness, register: dict[str, Any], estimate: float) -> ProcessRun:
    run = h.start(P)
    approved = {"approvedEstimateWan": estimate}
    walk(run, {"Task_Register": register, "Task_ApproveCombined": approved, "Task_ApproveDesign": approved},
         until="Task_Construction")
    return run


def test_two_changes_of_10_percent_count_together_and_the_second_needs_approval(h: ProcessHarness) -> None:
    run = _to_construction(h, {"investmentWan": 400.0}, 400.0)
    ten = {**CHANGE, "totalAfterChangeWan": 400.0, "adjustAmountWan": 40.0}
    walk(run, {"Task_Construction": [ten, ten, {}]}, until="Task_TrialRun")
    run.assert_path("Script_OpenLedger", "Task_Construction", "Rule_Change", "Task_FileChange", "Script_ChangeLedger",
                    "Task_Construction", "Rule_Change", "Task_ApproveChange", "Task_Construction")
    assert run.data["adjustedSoFarWan"] == Decimal("40")   # the approved change is not a self-adjustment


def test_cumulative_changes_of_exactly_15_percent_are_self_adjusted(h: ProcessHarness) -> None:
    run = _to_construction(h, {"investmentWan": 400.0}, 400.0)
    first = {**CHANGE, "totalAfterChangeWan": 400.0, "adjustAmountWan": 30.0}
    second = {**first, "adjustAmountWan": 30.0}                           # 60 of 400 = 15.00 %
    walk(run, {"Task_Construction": [first, second, {}]}, until="Task_TrialRun")
    run.assert_not_visited("Task_ApproveChange")
    assert run.data["adjustedSoFarWan"] == Decimal("60")


def test_cumulative_changes_above_100_wan_need_approval_and_100_wan_exactly_does_not(h: ProcessHarness) -> None:
    over = _to_construction(h, BIG, 800.0)                                 # 15 % of 800 = 120
    sixty = {**CHANGE, "totalAfterChangeWan": 800.0, "adjustAmountWan": 60.0}
    walk(over, {"Task_Construction": [sixty, {**sixty, "adjustAmountWan": 40.01}, {}]}, until="Task_TrialRun")
    over.assert_path("Task_FileChange", "Script_ChangeLedger", "Task_Construction", "Rule_Change", "Task_ApproveChange")
    exact = _to_construction(h, BIG, 800.0)
    walk(exact, {"Task_Construction": [sixty, {**sixty, "adjustAmountWan": 40.0}, {}]}, until="Task_TrialRun")
    exact.assert_not_visited("Task_ApproveChange")
    assert exact.data["adjustedSoFarWan"] == Decimal("100")


def test_a_change_outside_the_three_circumstances_needs_approval(h: ProcessHarness) -> None:
    run = _to_construction(h, {"investmentWan": 400.0}, 400.0)
    small = {**CHANGE, "totalAfterChangeWan": 400.0, "adjustAmountWan": 5.0, "circumstance": "NONE"}
    walk(run, {"Task_Construction": [small, {}]}, until="Task_TrialRun")
    run.assert_path("Rule_Change", "Task_ApproveChange")
    run.assert_not_visited("Task_FileChange")


# --- 二(四)1: trial run ----------------------------------------------------------------------------------------------

def test_special_trial_run_of_2_or_7_months_is_refused_and_3_is_kept(h: ProcessHarness) -> None:
    run = h.start(P)
    special = {"isSpecialProject": True}
    walk(run, {"Task_TrialRun": [{**special, "requestedMonths": 2}, {**special, "requestedMonths": 7},
                                 {**special, "requestedMonths": 3}]})
    run.assert_path("Task_TrialRun", "Rule_Trial", "Task_TrialRun", "Rule_Trial", "Task_TrialRun", "Rule_Trial")
    assert run.data["trialRun"] == "P3M" and run.status == "waiting" and run.waiting() == []


def test_three_month_trial_run_rolls_over_the_national_day_holiday(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_TrialRun": {"trialStart": "2025-07-01"}})
    # 2025-07-01 + 3 months = 2025-10-01, a holiday until 10-08: the trial run ends with Thursday 2025-10-09.
    h.clock.set("2025-10-09T23:59:00+08:00")
    assert h.fire_timers() == []
    h.clock.set("2025-10-10T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    run.assert_path("Timer_TrialRun", "Script_TrialDone", "Rule_Acceptance")


# --- 二(四)2: 200万 ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("estimate", "first", "skipped"), [
    (199.99, "Task_SelfAcceptance", "Task_BureauAcceptance"),
    (200.00, "Task_InitialAcceptance", "Task_SelfAcceptance"),
])
def test_self_acceptance_below_200_wan_and_bureau_acceptance_from_200(h: ProcessHarness, estimate: float, first: str,
                                                                      skipped: str) -> None:
    run = h.start(P)
    to_acceptance(h, run, {"Task_Register": {"investmentWan": 250.0},
                           "Task_ApproveCombined": {"approvedEstimateWan": estimate}})
    assert run.waiting() == [first]
    walk(run, until="Task_FileAcceptance")
    assert run.waiting() == ["Task_FileAcceptance"]
    run.assert_not_visited(skipped)


def test_initial_acceptance_must_pass_before_the_bureau_is_asked(h: ProcessHarness) -> None:
    run = h.start(P)
    to_acceptance(h, run, {"Task_Register": {"investmentWan": 250.0},
                           "Task_ApproveCombined": {"approvedEstimateWan": 250.0}})
    with pytest.raises(InvalidInput):
        run.complete("Task_InitialAcceptance", {"initialAcceptancePassed": False, "initialReportRef": "初验.pdf"})


# --- 二(四)4: archives ------------------------------------------------------------------------------------------------

def test_acceptance_without_archive_acceptance_is_returned_with_a_reason(h: ProcessHarness) -> None:
    run = h.start(P)
    to_acceptance(h, run)
    no_archive = {**ANSWERS["Task_SelfAcceptance"], "archiveAccepted": False}
    with pytest.raises(InvalidInput) as unexplained:
        run.complete("Task_SelfAcceptance", no_archive)
    assert [e.field for e in unexplained.value.errors] == ["acceptanceReturnReason"]
    run.complete("Task_SelfAcceptance", {**no_archive, "acceptanceReturnReason": "档案未验收"})
    assert run.waiting() == ["Task_Rectify"]
    assert ("Task_SelfAcceptance", "整改要求（退回理由）", "档案未验收") in earlier_fields(h, run, "Task_Rectify")


# --- 二(一)3: joint review ---------------------------------------------------------------------------------------------

def test_the_joint_review_needs_the_three_departments(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_JointReview")
    without = {k: v for k, v in ANSWERS["Task_JointReview"].items() if k != "financeJoined"}
    with pytest.raises(InvalidInput) as refused:
        run.complete("Task_JointReview", without)
    assert [e.field for e in refused.value.errors] == ["financeJoined"]
