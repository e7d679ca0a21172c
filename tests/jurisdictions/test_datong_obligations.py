"""Datong 大同市: each obligation of regulations/datong.obligations.toml driven through the deployed process.

Dates are on the official calendar: 国庆 2025 runs 10-01..10-08 with the make-up working days Sunday 09-28 and
Saturday 10-11; 2026-02-28 is a make-up Saturday after the Spring Festival.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine import InvalidInput
from engine.settings import PROJECT_ROOT
from engine.tools.testing import ProcessHarness, ProcessRun
from engine.usecases.tasks import task_view

from .conftest import HarnessFactory
from .datong_walk import ANSWERS, walk

P = "datong_project"
FORMS = Path(PROJECT_ROOT) / "forms" / "datong"


@pytest.fixture
def h(jurisdiction: HarnessFactory) -> ProcessHarness:
    return jurisdiction("datong", "2025-09-01T09:00:00+08:00")


def refused_fields(run: ProcessRun, spec: str, data: dict[str, Any]) -> list[str]:
    """Complete `spec` with data the form must refuse and return the fields named."""
    with pytest.raises(InvalidInput) as caught:
        run.complete(spec, data)
    return sorted(e.field for e in caught.value.errors)


def shown_on(h: ProcessHarness, run: ProcessRun, spec: str) -> list[tuple[str, str]]:
    """Return the (title, value) pairs of earlier steps the ready task `spec` lists for its clerk."""
    with h._unit() as session:
        view = task_view(h.engine, session, h.tester, run.task(spec).id)
    return [pair for step in view.earlier for pair in step.fields]


def after_budget_year(h: ProcessHarness, run: ProcessRun) -> None:
    """Walk to the end of the acceptance-report filing, then past the 2025 budget year (Art. 27)."""
    walk(run)
    h.clock.set("2026-01-01T00:00:01+08:00")
    h.fire_timers()


# DT-01 Art. 39 validity
def test_projects_start_only_from_the_day_of_issue(h: ProcessHarness) -> None:
    h.clock.set("2022-02-19T23:00:00+08:00")
    with pytest.raises(InvalidInput) as refused:
        h.start(P)
    assert [e.field for e in refused.value.errors] == ["process_id"]
    assert "2022-02-20" in refused.value.errors[0].message
    transition = h.start(P, outside_validity="印发前已受理的申请，补录")
    assert transition.waiting() == ["Task_Register"]
    h.clock.set("2022-02-20T00:00:01+08:00")
    assert h.start(P).waiting() == ["Task_Register"]


# DT-02 Art. 11
def test_a_project_not_entered_in_the_platform_gets_no_approval(h: ProcessHarness) -> None:
    run = h.start(P)
    assert refused_fields(run, "Task_Register", {k: v for k, v in ANSWERS["Task_Register"].items()
                                                 if k != "platformNumber"}) == ["platformNumber"]
    run.complete("Task_Register", {**ANSWERS["Task_Register"], "registeredInPlatform": False})
    run.assert_path("Rule_Platform", "End_Blocked")
    run.assert_not_visited("Task_Apply", "Task_Approve", "Task_Funding")
    assert run.status == "completed"


# DT-03 Art. 9 ¶2, Art. 10
def test_incomplete_material_is_returned_with_a_reason_the_applicant_sees_then_resubmitted(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Review")
    incomplete = {**ANSWERS["Task_Review"], "applicationFormAndProposalComplete": False}
    assert refused_fields(run, "Task_Review", incomplete) == ["returnReason"]
    run.complete("Task_Review", {**incomplete, "returnReason": "缺少项目建议书"})
    assert run.waiting() == ["Task_Apply"]
    assert ("退回补正理由（市直部门将看到）", "缺少项目建议书") in shown_on(h, run, "Task_Apply")
    no_attributes = {**ANSWERS["Task_Review"], "dataAttributesStated": False, "returnReason": "未注明开放属性"}
    walk(run, {"Task_Review": [no_attributes, {}]}, until="Task_Certificate")
    run.assert_path("Task_Review", "Task_Apply", "Task_Review", "Task_Apply", "Task_Review", "Rule_Interop")
    assert run.waiting() == ["Task_Certificate"]


# DT-04 Art. 9 ¶2
def test_a_failed_review_is_not_filed_and_never_reaches_approval(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Review")
    failed = {**ANSWERS["Task_Review"], "reviewPassed": False}
    assert refused_fields(run, "Task_Review", failed) == ["failedCriteria"]
    run.complete("Task_Review", {**failed, "failedCriteria": ["BUDGET", "PERFORMANCE_TARGETS"]})
    run.assert_path("Rule_Review", "End_NotFiled")
    run.assert_not_visited("Task_Certificate", "Task_Approve", "Task_BudgetReview")
    assert run.status == "completed"


# DT-05 Art. 9 ¶1, Art. 5 ¶2
def test_the_bureau_approves_only_after_the_center_certifies(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Certificate")
    assert run.task("Task_Certificate").candidate_group == "datong:digital_gov_center"
    walk(run, until="Task_Approve")
    assert run.task("Task_Approve").candidate_group == "datong:admin_approval_bureau"
    run.assert_path("Task_Review", "Rule_Review", "Task_Certificate")
    refused = h.start(P)
    walk(refused, {"Task_Approve": {"projectApproved": False, "approvalOpinion": "不符合年度计划"}})
    refused.assert_path("Task_Certificate", "Task_Approve", "End_NotApproved_Bureau")
    refused.assert_not_visited("Task_BudgetReview")


# DT-06 Art. 12 ¶3
def test_a_system_that_cannot_interconnect_is_not_approved(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Review": {"canInterconnect": False}})
    run.assert_path("Rule_Interop", "End_NotApproved")
    run.assert_not_visited("Task_Certificate")


# DT-07 Art. 12 ¶4
def test_a_private_network_needs_a_legal_basis_and_the_centers_consent(h: ProcessHarness) -> None:
    without_basis = h.start(P)
    walk(without_basis, {"Task_Review": {"newPrivateNetwork": True}})
    without_basis.assert_path("Rule_Interop", "End_NotApproved")
    by_law = {"newPrivateNetwork": True, "privateNetworkRequiredByLaw": True}
    refused = h.start(P)
    walk(refused, until="Task_Review")
    assert refused_fields(refused, "Task_Review", {**ANSWERS["Task_Review"], **by_law}) == ["privateNetworkConsented"]
    refused.complete("Task_Review", {**ANSWERS["Task_Review"], **by_law, "privateNetworkConsented": False})
    refused.assert_path("Rule_Interop", "End_NotApproved")
    consented = h.start(P)
    walk(consented, {"Task_Review": {**by_law, "privateNetworkConsented": True}}, until="Task_Certificate")
    consented.assert_not_visited("End_NotApproved")


# DT-08, DT-09 Art. 12 ¶1-2
def test_out_of_plan_projects_need_pre_review_and_upper_level_systems_are_retrofitted(h: ProcessHarness) -> None:
    out_of_plan = h.start(P)
    walk(out_of_plan, {"Task_Register": {"situation": "NOT_IN_PLAN"}}, until="Task_Apply")
    out_of_plan.assert_path("Task_PreReview", "Task_GovApproval", "Gateway_GovApproved")
    assert out_of_plan.waiting() == ["Task_Apply"]
    retrofit = h.start(P)
    retrofit.complete("Task_Register", {**ANSWERS["Task_Register"], "situation": "UPPER_LEVEL_NEW_SYSTEM",
                                        "reallyNecessary": False})
    retrofit.assert_path("Rule_Special", "End_Retrofit")
    retrofit.assert_not_visited("Task_Apply")


# DT-10 Art. 19 deadline on the official calendar
@pytest.mark.parametrize(("signed", "due"), [
    ("2025-09-26", "2025-10-10"),   # Sunday 09-28 is a make-up working day and counts
    ("2025-09-28", "2025-10-11"),   # signed on the make-up Sunday; the make-up Saturday 10-11 is day 5
    ("2025-09-30", "2025-10-14"),   # 10-09, 10-10, 10-11 (Saturday, make-up), 10-13, 10-14
])
def test_contract_filing_counts_official_working_days_across_national_day(h: ProcessHarness, signed: str,
                                                                         due: str) -> None:
    run = h.start(P)
    walk(run, {"Task_Contract": {"signingDate": signed}}, until="Task_FileContract")
    due_at = run.task("Task_FileContract").due_at
    assert due_at is not None and due_at.isoformat() == f"{due}T16:00:00+00:00"  # the end of `due`, China time
    h.clock.set(f"{due}T23:59:00+08:00")
    assert h.fire_timers() == []
    h.clock.set(f"{due}T23:59:59+08:00")
    assert "Task_ChaseContract" not in run.waiting()
    h.clock.advance(seconds=2)
    assert h.fire_timers() == [run.id]
    assert run.waiting() == ["Task_ChaseContract", "Task_FileContract"]  # the escalation, the filing still open
    assert run.task("Task_ChaseContract").candidate_group == "datong:digital_gov_center"


# DT-11 Art. 19 boundary: 5个工作日内 includes the fifth working day
@pytest.mark.parametrize(("filed", "result"), [("2025-10-14", "ON_TIME"), ("2025-10-15", "LATE")])
def test_a_contract_filed_on_the_fifth_working_day_is_on_time(h: ProcessHarness, filed: str, result: str) -> None:
    run = h.start(P)
    walk(run, {"Task_FileContract": {"contractFiledOn": filed}}, until="Task_Supervisor")
    assert run.data["result"] == result
    assert run.data["signingDate"] == "2025-09-30"  # Task_Contract's date is not overwritten by later filings


# DT-12 Art. 26 ¶2 deadline: one month, clamped to the month's end, rolled over rest days
@pytest.mark.parametrize(("accepted", "due"), [
    ("2025-01-31", "2025-02-28"),   # no 31 February: the month's last day
    ("2026-01-31", "2026-02-28"),   # clamped to a Saturday that is a make-up working day: no roll-over
    ("2025-09-01", "2025-10-09"),   # 10-01 falls in the National Day holiday: the next working day
    ("2025-10-31", "2025-12-01"),   # clamped to Sunday 11-30, rolled to Monday
])
def test_acceptance_report_is_due_one_month_after_acceptance(jurisdiction: HarnessFactory, accepted: str,
                                                           due: str) -> None:
    h = jurisdiction("datong", "2025-01-02T09:00:00+08:00")
    run = h.start(P)
    walk(run, until="Task_Acceptance")
    run.complete("Task_Acceptance", {**ANSWERS["Task_Acceptance"], "acceptanceDate": accepted})
    task = run.task("Task_FileReport")
    assert task.due_at is not None and task.due_at.isoformat() == f"{due}T16:00:00+00:00"
    h.clock.set(f"{due}T23:59:00+08:00")
    h.fire_timers()
    assert "Task_ReportOverdueNotice" not in run.waiting()
    h.clock.set(f"{due}T23:59:59+08:00")
    h.clock.advance(seconds=2)
    h.fire_timers()
    assert "Task_ReportOverdueNotice" in run.waiting()
    assert run.task("Task_ReportOverdueNotice").candidate_group == "datong:finance_bureau"


# DT-13 Art. 26 ¶2 boundary: 一个月内 includes the last day
@pytest.mark.parametrize(("filed", "result"), [("2025-10-09", "ON_TIME"), ("2025-10-10", "LATE")])
def test_a_report_filed_on_the_last_day_of_the_month_is_on_time(h: ProcessHarness, filed: str, result: str) -> None:
    run = h.start(P)
    walk(run, {"Task_Acceptance": {"acceptanceDate": "2025-09-01"},
               "Task_FileReport": {"reportFiledOn": filed}})
    assert run.data["result"] == result
    assert run.data["contractFiledOn"] == "2025-10-14"  # the contract filing keeps its own date
    run.assert_path("Rule_ReportFiling", "Gateway_ReportFiling")
    run.assert_not_visited("Task_FundsBlocked")


# DT-14 Art. 26 ¶2 refusal: no filing, no further funds
def test_an_unfiled_report_blocks_further_construction_and_om_funds(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_FileReport": {"reportFiled": False}}, until="Task_FundsBlocked")
    assert run.task("Task_FundsBlocked").candidate_group == "datong:finance_bureau"
    walk(run)
    run.assert_path("Rule_ReportFiling", "Task_FundsBlocked", "End_FundsBlocked")
    run.assert_not_visited("Task_SelfEvaluation", "Task_Operation")


# DT-15 Art. 26 ¶1 loop
def test_a_refused_deferral_leads_to_ordered_rectification_with_the_reason(h: ProcessHarness) -> None:
    run = h.start(P)
    late = {"canApplyOnTime": False, "hasReasonableCause": False, "delayReason": "招标延误"}
    walk(run, {"Task_AcceptanceTiming": late}, until="Task_Deferral")
    assert run.task("Task_Deferral").candidate_group == "datong:digital_gov_center"
    assert refused_fields(run, "Task_Deferral", {"deferralApproved": False}) == ["refusalReason"]
    assert refused_fields(run, "Task_Deferral", {"deferralApproved": True}) == ["deferredTo"]
    run.complete("Task_Deferral", {"deferralApproved": False, "refusalReason": "无合理原因长期拖延"})
    assert run.waiting() == ["Task_RectifyDelay"]
    assert ("不同意延期的理由（市直部门将看到）", "无合理原因长期拖延") in shown_on(h, run, "Task_RectifyDelay")
    walk(run, {"Task_AcceptanceTiming": [{}]}, until="Task_Acceptance")
    run.assert_path("Task_Deferral", "Gateway_Deferral", "Task_RectifyDelay", "Task_AcceptanceTiming", "Rule_Timing")
    assert run.waiting() == ["Task_Acceptance"]


# DT-16 Art. 21 routing and rejection
def test_a_major_change_goes_to_the_center_and_a_rejection_needs_a_reason(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Construction": [{"changeType": "MAJOR", "changeDescription": "增加移动端"}]},
         until="Task_ChangeEvaluation")
    rejection = {"adjustmentOpinion": "REJECT", "changeOpinion": "超出批复范围"}
    assert refused_fields(run, "Task_ChangeEvaluation", rejection) == ["rejectionReason"]
    run.complete("Task_ChangeEvaluation", {**rejection, "rejectionReason": "移动端不在立项批复内"})
    assert run.waiting() == ["Task_Construction"]
    assert ("不同意调整的理由（市直部门将看到）", "移动端不在立项批复内") in shown_on(h, run, "Task_Construction")


# DT-17 Art. 26 ¶1 problems during construction
@pytest.mark.parametrize("problem", ["SERIOUS_DELAY", "MAJOR_LOSS", "APPROVAL_VIOLATION", "UNAUTHORISED"])
def test_reported_construction_problems_lead_to_rectification_or_suspension(h: ProcessHarness, problem: str) -> None:
    run = h.start(P)
    walk(run, {"Task_Construction": [{"changeType": problem, "changeDescription": "说明"}]},
         until="Task_RectifyOrder")
    assert run.task("Task_RectifyOrder").candidate_group == "datong:digital_gov_center"
    run.complete("Task_RectifyOrder", {"measure": "SUSPEND", "orderNote": "暂停建设"})
    assert run.waiting() == ["Task_Construction"]


# DT-18 Art. 22 filing
def test_the_supervisor_is_filed_before_construction(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Supervisor")
    assert refused_fields(run, "Task_Supervisor", {"supervisorName": "某监理公司"}) == ["supervisorFiledOn"]
    walk(run, until="Task_Construction")
    run.assert_path("Task_FileContract", "Task_Supervisor")
    assert run.waiting() == ["Task_Construction"]


# DT-19 Art. 23, 24, 35 loop
def test_acceptance_missing_catalogue_or_security_is_rectified_and_repeated(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Acceptance")
    insecure = {**ANSWERS["Task_Acceptance"], "securityControllable": False}
    assert refused_fields(run, "Task_Acceptance", insecure) == ["failureReason"]
    run.complete("Task_Acceptance", {**insecure, "failureReason": "核心交换机非自主可控"})
    assert run.waiting() == ["Task_RectifyAcceptance"]
    walk(run, {"Task_Acceptance": [{"catalogueIncorporated": False, "failureReason": "目录未纳入"}, {}]},
         until="Task_FileReport")
    run.assert_path("Task_Acceptance", "Task_RectifyAcceptance", "Task_Acceptance", "Task_RectifyAcceptance",
                    "Task_Acceptance", "Gateway_Accepted")
    assert run.waiting() == ["Task_FileReport"]


# DT-20 Art. 27
def test_the_self_evaluation_waits_for_the_budget_year_to_end(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run)
    run.assert_path("Rule_ReportFiling", "Gateway_ReportFiling")
    assert run.waiting() == [] and run.status == "waiting"
    h.clock.set("2025-12-31T23:59:59+08:00")
    assert h.fire_timers() == []
    h.clock.advance(seconds=2)
    assert h.fire_timers() == [run.id]
    assert run.waiting() == ["Task_SelfEvaluation"]


# DT-21 Art. 29, Art. 31 ¶2
def test_appraisal_problems_go_back_for_rectification_and_refusal_suspends_funds_until_termination(
        h: ProcessHarness) -> None:
    run = h.start(P)
    after_budget_year(h, run)
    walk(run, until="Task_Appraisal")
    problems = {**ANSWERS["Task_Appraisal"], "problemsFound": True}
    assert refused_fields(run, "Task_Appraisal", problems) == ["rectificationOpinion"]
    run.complete("Task_Appraisal", {**problems, "rectificationOpinion": "共享接口未对接"})
    assert run.task("Task_AppraisalRectify").candidate_group == "datong:applicant_unit"
    assert ("整改意见（市直部门将看到）", "共享接口未对接") in shown_on(h, run, "Task_AppraisalRectify")
    run.complete("Task_AppraisalRectify", ANSWERS["Task_AppraisalRectify"])
    run.complete("Task_Appraisal", {**problems, "refusesRectification": True,
                                    "rectificationOpinion": "整改后仍不符合要求"})
    assert run.task("Task_Suspend").candidate_group == "datong:finance_bureau"
    walk(run)
    run.assert_path("Task_Appraisal", "Task_AppraisalRectify", "Task_Appraisal", "Rule_Sanctions", "Task_Suspend",
                    "End_Terminated")
    run.assert_not_visited("Task_Operation")


def test_rectified_appraisal_problems_let_the_project_run_on(h: ProcessHarness) -> None:
    run = h.start(P)
    after_budget_year(h, run)
    walk(run, {"Task_Appraisal": [{"problemsFound": True, "rectificationOpinion": "补充安全测评"}, {}]},
         until="Task_Operation")
    run.assert_path("Task_Appraisal", "Task_AppraisalRectify", "Task_Appraisal", "Gateway_Sanctions")
    assert run.waiting() == ["Task_Operation"]
    run.assert_not_visited("Task_Suspend")


# DT-22 Art. 12 ¶3 second sentence
def test_not_sharing_in_operation_withholds_om_funds(h: ProcessHarness) -> None:
    run = h.start(P)
    after_budget_year(h, run)
    walk(run, {"Task_Appraisal": {"sharingInOperation": False}}, until="Task_WithholdFunds")
    assert run.task("Task_WithholdFunds").candidate_group == "datong:finance_bureau"
    assert run.data["effect"] == ["NO_OM_FUNDS"]
    walk(run, until="Task_Operation")
    run.assert_path("Rule_Sanctions", "Task_WithholdFunds")
    assert run.waiting() == ["Task_Operation"]


# DT-23 Art. 17, Art. 25
def test_the_contractor_is_chosen_by_competition_with_controllable_key_products(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Contract")
    contract = ANSWERS["Task_Contract"]
    assert refused_fields(run, "Task_Contract", {**contract, "procurementMethod": "SINGLE_SOURCE"}) == [
        "procurementMethod"]
    assert refused_fields(run, "Task_Contract", {**contract, "keyProductsControllable": False}) == [
        "keyProductsControllable"]
    unconfirmed = {k: v for k, v in contract.items() if k != "keyProductsControllable"}
    assert refused_fields(run, "Task_Contract", unconfirmed) == ["keyProductsControllable"]
    run.complete("Task_Contract", contract)
    assert run.waiting() == ["Task_FileContract"]


def test_no_confirmation_is_pre_ticked() -> None:
    def walk_schema(node: Any) -> list[Any]:
        found = []
        if isinstance(node, dict):
            if "default" in node:
                found.append(node)
            for value in node.values():
                found += walk_schema(value)
        elif isinstance(node, list):
            for value in node:
                found += walk_schema(value)
        return found

    confirmations = 0
    for path in sorted(FORMS.glob("*.json")):
        form = json.loads(path.read_text(encoding="utf-8"))
        assert walk_schema(form) == [], path.name
        confirmations += json.dumps(form).count('"const": true')
    assert confirmations >= 1  # the Art. 25 confirmation exists and is not pre-ticked


# DT-26 Art. 9 ¶1
def test_a_cross_department_project_names_its_lead_department(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Apply")
    shared = {**ANSWERS["Task_Apply"], "crossDepartment": True}
    assert refused_fields(run, "Task_Apply", shared) == ["leadDepartment"]
    run.complete("Task_Apply", {**shared, "leadDepartment": "市数据局（牵头）、市公安局（共建）"})
    assert run.waiting() == ["Task_Review"]
