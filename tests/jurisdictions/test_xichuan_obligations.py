"""Xichuan 淅川县: the obligations of regulations/xichuan.obligations.toml, each driven through the deployed process."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from engine import InvalidInput
from engine.tools.testing import ProcessHarness, ProcessRun

from .conftest import HarnessFactory
from .test_xichuan import ANSWERS, DRC_REFUSES, ESCALATIONS, P
from .walking import decide, walk_process


@pytest.fixture
def h(jurisdiction: HarnessFactory) -> ProcessHarness:
    return jurisdiction("xichuan", "2025-09-01T09:00:00+08:00")


def walk(run: ProcessRun, answers: dict[str, Any] | None = None, until: str | None = None) -> None:
    walk_process(run, ANSWERS, answers, until=until, skip=ESCALATIONS)


def change(amount: float, circumstance: str = "C1_NEW_DEPLOYMENT") -> dict[str, Any]:
    """A change request as the browser sends it: a JSON number with two decimals, taken as a Decimal."""
    return {"changeRequested": True, "totalAfterChangeWan": 1000.00, "adjustAmountWan": amount,
            "objectiveUnchanged": True, "circumstance": circumstance}


# --- validity (last article) -------------------------------------------------------------------------------------

def test_projects_start_only_during_the_two_year_trial_from_issue(h: ProcessHarness) -> None:
    for day, applies in (("2025-08-28", False), ("2025-08-29", True), ("2027-08-30", True), ("2027-08-31", False)):
        h.clock.set(f"{day}T09:00:00+08:00")
        if applies:
            assert h.start(P).status == "running", day
        else:
            with pytest.raises(InvalidInput) as refused:
                h.start(P)
            assert refused.value.errors[0].field == "process_id", day
    run = h.start(P, outside_validity="试行期内已受理，期满后补录")   # an administrator, with a reason
    assert run.status == "running"


# --- Art. 7 ¶1: by the end of June of the year before the plan year -----------------------------------------------

def test_the_june_deadline_follows_the_plan_year_not_the_day_the_process_opens(h: ProcessHarness) -> None:
    h.clock.set("2025-12-10T09:00:00+08:00")                  # December, preparing the 2027 plan
    run = h.start(P)
    run.complete("Task_Prepare", {**ANSWERS["Task_Prepare"], "planYear": 2027})
    assert run.task("Task_Submit").due_at.isoformat() == "2026-06-30T16:00:00+00:00"
    assert h.fire_timers() == []                              # not overdue the moment it starts
    late = h.start(P)
    late.complete("Task_Prepare", {**ANSWERS["Task_Prepare"], "planYear": 2027})
    run.complete("Task_Submit", {**ANSWERS["Task_Submit"], "submissionDate": "2026-06-30"})
    assert run.data["result"] == "ON_TIME" and run.waiting() == ["Task_TechReview"]
    h.clock.set("2026-06-30T23:59:00+08:00")
    assert h.fire_timers() == []                              # the timer and the table share the last day
    h.clock.set("2026-07-01T00:00:01+08:00")
    assert h.fire_timers() == [late.id]
    late.complete("Task_Submit", {**ANSWERS["Task_Submit"], "submissionDate": "2026-07-01"})
    late.assert_path("Timer_June", "Task_Submit", "Rule_Timely", "End_MissedCycle")
    assert late.data["result"] == "MISSED_REGULAR_CYCLE"


def test_the_first_annual_cycle_under_the_measures_is_the_2027_plan(h: ProcessHarness) -> None:
    # Issued 2025-08-29: the 30 June 2025 deadline of the 2026 plan had passed before the measures existed.
    run = h.start(P)
    with pytest.raises(InvalidInput) as refused:
        run.complete("Task_Prepare", {**ANSWERS["Task_Prepare"], "planYear": 2026})
    assert [e.field for e in refused.value.errors] == ["planYear"]
    run.complete("Task_Prepare", {**ANSWERS["Task_Prepare"], "origin": "TEMPORARY_HIGHER_LEVEL", "planYear": 2025})
    assert run.waiting() == ["Task_LeaderConsent"]           # Art. 8: the current year's list, no June filing


def test_the_end_of_june_is_a_fixed_date_that_does_not_roll_over(h: ProcessHarness) -> None:
    # 2029-06-30 is a Saturday: "6月底前" is a calendar date, not a period, so Monday 2 July is late.
    assert decide(h, "DT_XC_01", planYear="2030", submissionDate="2029-06-30") == {"result": "ON_TIME"}
    assert decide(h, "DT_XC_01", planYear="2030", submissionDate="2029-07-02") == {"result": "MISSED_REGULAR_CYCLE"}


# --- Art. 7 ¶2–¶5 and Art. 8: review, DRC, county government -------------------------------------------------------

def test_a_drc_refusal_ends_the_route_before_the_county_government(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_DrcLibrary")
    with pytest.raises(InvalidInput) as unexplained:
        run.complete("Task_DrcLibrary", {"drcApproved": False, "drcOpinion": "不予报批"})
    assert [e.field for e in unexplained.value.errors] == ["drcRefusalReason"]
    run.complete("Task_DrcLibrary", {**DRC_REFUSES, "drcOpinion": "不予报批"})
    run.assert_path("Task_DrcLibrary", "Gateway_DrcLibrary", "End_DrcRejected")
    run.assert_not_visited("Task_CountyApproveLibrary", "Task_InvestmentPlan")
    assert run.status == "completed"


def test_only_reviewed_projects_reach_approval_unless_a_higher_level_requires_them(h: ProcessHarness) -> None:
    refused = h.start(P)
    walk(refused, {"Task_TechReview": {"techReviewPassed": False, "failedCriteria": ["NECESSITY"]}})
    refused.assert_path("Task_TechReview", "Rule_Route", "End_NotApproved")
    refused.assert_not_visited("Task_DrcLibrary", "Task_Budget")
    required = h.start(P)
    walk(required, {"Task_Prepare": {"higherLevelExplicitRequirement": True},
                    "Task_TechReview": {"techReviewPassed": False, "failedCriteria": ["SCALE"]}},
         until="Task_ImplementationOpinion")
    required.assert_path("Task_TechReview", "Rule_Route", "Task_HigherLevel", "Script_ApprovalsDone")


def test_purchases_and_services_need_the_county_government_but_no_drc_stages(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Prepare": {"projectType": "PURCHASED_SERVICE"}}, until="Task_ImplementationOpinion")
    run.assert_path("Task_TechReview", "Rule_Route", "Task_CountyApprovePurchase", "Script_ApprovalsDone")
    run.assert_not_visited("Task_DrcLibrary", "Task_Proposal", "Task_Feasibility", "Task_Design")


def test_a_temporary_higher_level_task_needs_the_leader_the_review_and_the_drc(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Prepare": {"origin": "TEMPORARY_HIGHER_LEVEL"}}, until="Task_ImplementationOpinion")
    run.assert_path("Task_LeaderConsent", "Task_TechReview", "Rule_Route", "Task_DrcTemporary", "Script_ApprovalsDone")
    run.assert_not_visited("Task_Submit", "Task_CountyApproveLibrary")


def test_government_investment_passes_proposal_feasibility_and_design(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Prepare": {"newCivilWorks": True}}, until="Task_ImplementationOpinion")
    run.assert_path("Task_DrcLibrary", "Task_CountyApproveLibrary", "Task_InvestmentPlan", "Rule_Other",
                    "Task_OtherApprovals", "Task_Proposal", "Task_ApproveProposal", "Task_Feasibility",
                    "Task_ApproveFeasibility", "Task_Design", "Task_ApproveDesign", "Script_ApprovalsDone")


# --- Art. 17: changes ---------------------------------------------------------------------------------------------

def test_a_content_change_during_the_approval_stages_is_a_chapter_of_the_design(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Design": [{"contentAdjusted": True}, {}]}, until="Task_DesignChapter")
    run.complete("Task_DesignChapter", ANSWERS["Task_DesignChapter"])
    assert run.waiting() == ["Task_ApproveDesign"]           # approved with the design, no new proposal/feasibility
    run.assert_path("Task_Design", "Gateway_DesignAdjusted", "Rule_DesignChange", "Task_DesignChapter")
    assert run.data["route"] == "QUANTIFY_IN_PRELIMINARY_DESIGN_CHAPTER"


def test_self_adjustments_count_together_against_fifteen_percent_of_the_drc_approved_estimate(
        h: ProcessHarness) -> None:
    # The unit's design asked 2000 and the bureau's opinion names 1980; the DRC approved 1000: 15 % is 150.00.
    figures = {"Task_Design": {"designEstimateWan": 2000.00},
               "Task_ImplementationOpinion": {"opinionInvestmentWan": 1980.00},
               "Task_ApproveDesign": {"approvedEstimateWan": 1000.00}}
    exact = h.start(P)
    walk(exact, {**figures, "Task_Construction": [change(100.00), change(50.00, "C3_SCHEDULE"),
                                                  change(0.01), {}]}, until="Task_Acceptance")
    assert exact.path().count("Task_FileChange") == 2 and exact.path().count("Task_FormalChange") == 1
    assert exact.data["selfAdjustedWan"] == Decimal("150.00")
    over = h.start(P)
    walk(over, {**figures, "Task_Construction": [change(100.00), change(50.01), {}]}, until="Task_Acceptance")
    assert over.path().count("Task_FileChange") == 1 and over.path().count("Task_FormalChange") == 1
    over.assert_path("Task_FileChange", "Script_ChangeLedger", "Task_Construction", "Rule_Change", "Task_FormalChange")


def test_a_reapproved_estimate_restarts_the_self_adjustment_ledger(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Construction": [change(150.00), change(0.01), change(150.00), {}],
               "Task_FormalChange": {"estimateReapproved": True, "approvedEstimateWan": 1200.00}},
         until="Task_Acceptance")
    # 150 filed; 0.01 more goes the formal way, which re-approves 1200; 150 more is 12.5 % of the new 概算
    run.assert_path("Task_FileChange", "Task_FormalChange", "Script_FormalChangeLedger", "Task_Construction",
                    "Rule_Change", "Task_FileChange", "Script_ChangeLedger")
    assert (run.data["approvedEstimateWan"], run.data["selfAdjustedWan"]) == (Decimal("1200"), Decimal("150"))
    with pytest.raises(InvalidInput) as missing:
        blank = h.start(P)
        walk(blank, {"Task_Construction": {**change(0.01), "objectiveUnchanged": False}}, until="Task_FormalChange")
        blank.complete("Task_FormalChange", {"formalChangeRef": "批复.pdf", "estimateReapproved": True})
    assert [e.field for e in missing.value.errors] == ["approvedEstimateWan"]


def test_a_technical_optimisation_needs_the_bureaus_opinion_on_that_change(h: ProcessHarness) -> None:
    run = h.start(P)
    optimise = change(10.00, "C2_TECH_OPTIMISATION")
    walk(run, {"Task_Construction": [optimise, optimise, {}],
               "Task_InfoOpinion": [{}, {"infoBureauOpinion": "OPPOSE", "infoOpinionNote": "不支持"}]},
         until="Task_Acceptance")
    # the first opinion does not carry over to the second change
    run.assert_path("Rule_Change", "Task_InfoOpinion", "Rule_Change", "Task_FileChange", "Task_Construction",
                    "Script_NewChange", "Rule_Change", "Task_InfoOpinion", "Rule_Change", "Task_FormalChange")


def test_a_change_beyond_the_approved_estimate_or_goal_takes_the_formal_procedure(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Construction": [{**change(10.00), "totalAfterChangeWan": 1000.01},
                                     {**change(10.00), "objectiveUnchanged": False}, {}]}, until="Task_Acceptance")
    assert run.path().count("Task_FormalChange") == 2 and "Task_FileChange" not in run.path()


# --- Art. 18–19: acceptance ---------------------------------------------------------------------------------------

def test_acceptance_is_due_six_months_after_completion(h: ProcessHarness) -> None:
    on_time, late = h.start(P), h.start(P)
    for run, accepted in ((on_time, "2026-02-28"), (late, "2026-03-01")):
        walk(run, {"Task_Construction": {"completionDate": "2025-08-31"}}, until="Task_Acceptance")
        # 2025-08-31 + 6 months = 2026-02-28: a Saturday, but a 调休 working day, so the period ends that day
        assert run.task("Task_Acceptance").due_at.isoformat() == "2026-02-28T16:00:00+00:00"
        walk(run, {"Task_Acceptance": {"acceptanceDate": accepted}}, until="Task_OmMode")
    assert (on_time.data["result"], late.data["result"]) == ("ON_TIME", "OVERDUE")


def test_re_acceptance_after_rectifying_within_the_month_is_not_late(h: ProcessHarness) -> None:
    failed = {"acceptanceDate": "2026-06-10", "acceptancePassed": False, "acceptanceFailReason": "财务报告不完整"}
    timely, late = h.start(P), h.start(P)
    for run, rectified in ((timely, "2026-07-10"), (late, "2026-07-13")):
        walk(run, {"Task_Acceptance": failed}, until="Task_Rectify")
        assert run.task("Task_Rectify").due_at.isoformat() == "2026-07-10T16:00:00+00:00"
        walk(run, {"Task_Rectify": {"rectificationCompletedDate": rectified},
                   "Task_ReAcceptance": {"reAcceptanceDate": "2026-10-20"}}, until="Task_OmMode")
        run.assert_path("Task_Acceptance", "Script_RectifyFromAcceptance", "Task_Rectify", "Rule_RectifyTimely",
                        "Task_ReAcceptance", "Gateway_ReAcceptance", "Rule_AcceptedOnTime")
        run.assert_not_visited("Task_LateExplanation")
    # re-accepted after 2026-09-15, yet on time: the first acceptance was within six months, the fix within a month
    assert (timely.data["rectification"], timely.data["result"]) == ("RECTIFIED_IN_TIME", "ON_TIME")
    assert (late.data["rectification"], late.data["result"]) == ("RECTIFIED_LATE", "LATE_RECTIFICATION")


def test_a_failed_re_acceptance_starts_another_month_of_rectification(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Acceptance": {"acceptanceDate": "2026-06-10", "acceptancePassed": False,
                                   "acceptanceFailReason": "缺审计报告意见"}}, until="Task_ReAcceptance")
    with pytest.raises(InvalidInput) as unexplained:
        run.complete("Task_ReAcceptance", {**ANSWERS["Task_ReAcceptance"], "reAcceptancePassed": False})
    assert [e.field for e in unexplained.value.errors] == ["reAcceptanceFailReason"]
    run.complete("Task_ReAcceptance", {**ANSWERS["Task_ReAcceptance"], "reAcceptanceDate": "2026-07-31",
                                       "reAcceptancePassed": False, "reAcceptanceFailReason": "仍有缺陷"})
    # 2026-07-31 + 1 month = 2026-08-31 (Monday)
    assert run.task("Task_Rectify").due_at.isoformat() == "2026-08-31T16:00:00+00:00"
    run.assert_path("Task_ReAcceptance", "Gateway_ReAcceptance", "Script_RectifyFromReAcceptance", "Gateway_ToRectify")


def test_a_late_acceptance_needs_a_written_explanation_with_a_date(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Acceptance")
    h.clock.set("2026-09-16T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    with pytest.raises(InvalidInput) as undated:
        run.complete("Task_LateExplanation", {"writtenExplanationFiled": True})
    assert [e.field for e in undated.value.errors] == ["statedAcceptanceDate"]
    run.complete("Task_LateExplanation", {"writtenExplanationFiled": True, "statedAcceptanceDate": "2026-10-30"})
    walk(run, {"Task_Acceptance": {"acceptanceDate": "2026-11-02"}}, until="Task_OmMode")
    assert run.data["result"] == "OVERDUE"                   # later than the date the unit itself stated


def test_the_acceptance_package_and_returned_surplus(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Acceptance")
    for missing in ("summaryRef", "financialReportRef", "auditReportRef", "securityRiskReportRef"):
        package = {k: v for k, v in ANSWERS["Task_Acceptance"].items() if k != missing}
        with pytest.raises(InvalidInput) as caught:
            run.complete("Task_Acceptance", package)
        assert [e.field for e in caught.value.errors] == [missing]
    with pytest.raises(InvalidInput) as kept:
        run.complete("Task_Acceptance", {**ANSWERS["Task_Acceptance"], "surplusReturned": False})
    assert [e.field for e in kept.value.errors] == ["surplusReturned"]


# --- Art. 20–23*: operation ---------------------------------------------------------------------------------------

def test_o_and_m_funds_are_refused_in_the_listed_cases_for_that_year(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_OmReview": [{"duplicateCollectionOrConstruction": True}, {}],
               "Task_Operation": [{"longUnused": False}, {}]})
    assert run.status == "waiting"                            # refused this year, the system keeps running
    h.clock.set("2026-09-02T09:00:00+08:00")
    assert h.fire_timers() == [run.id]
    walk(run)
    run.assert_path("Task_OmReview", "Rule_OmBudget", "Gateway_OmBudget", "Task_Operation", "Timer_NextYear",
                    "Task_OmReview", "Rule_OmBudget", "Task_OmBudget", "Task_Operation", "End_Shutdown")
    assert run.path().count("Task_OmBudget") == 1


def test_outsourced_o_and_m_is_procured(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_OmMode": {"omMode": "OUTSOURCED"}}, until="Task_OmReview")
    run.assert_path("Task_OmMode", "Rule_OmMode", "Task_OmProcure")


def test_a_system_is_shut_down_only_with_the_bureaus_approval(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_ShutdownApproval": {"shutdownApproved": False, "shutdownNote": "仍需使用"}})
    run.assert_path("Task_Operation", "Task_ShutdownApproval", "Gateway_Shutdown")
    run.assert_not_visited("End_Shutdown")
    assert run.status == "waiting"


def test_a_new_server_room_is_refused_and_the_plan_goes_back(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Prepare": [{"request": "NEW_SEPARATE_INFRASTRUCTURE"}, {}]}, until="Task_DrcLibrary")
    run.assert_path("Rule_Infrastructure", "Task_Prepare", "Task_TechReview", "Rule_Route")


def test_classified_projects_leave_this_process(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Prepare": {"isClassified": True}})
    run.assert_path("Task_Prepare", "End_Classified")
    assert run.status == "completed"
