"""Datong 大同市: the whole lifecycle process walked along every route with a fake clock."""

from __future__ import annotations

import pytest

from engine import InvalidInput
from engine.tools.testing import ProcessHarness

from .conftest import HarnessFactory
from .datong_walk import ANSWERS, walk
from .walking import OMIT

P = "datong_project"


@pytest.fixture
def h(jurisdiction: HarnessFactory) -> ProcessHarness:
    return jurisdiction("datong", "2025-09-01T09:00:00+08:00")


def test_full_lifecycle_to_decommissioning_over_two_years(h: ProcessHarness) -> None:
    run = h.start(P, business_key="DT-2025-017")
    walk(run, {"Task_Operation": [{"decommission": False}, {}]}, until="Task_SelfEvaluation")
    assert run.waiting() == []  # Art. 27: the self-evaluation waits for the 2025 budget year to end
    h.clock.set("2025-12-31T23:59:00+08:00")
    assert h.fire_timers() == []
    h.clock.set("2026-01-01T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    walk(run, until="Task_Operation")
    run.complete("Task_Operation", {**ANSWERS["Task_Operation"], "decommission": False})
    assert run.status == "waiting"  # the next year's appraisal waits on a one-year timer
    assert h.advance(days=366) == [run.id]
    walk(run)
    assert run.status == "completed"
    run.assert_path("Task_Register", "Rule_Scope", "Rule_Platform", "Rule_Special", "Task_Apply", "Task_Review",
                    "Rule_Review", "Rule_Interop", "Task_Certificate", "Task_Approve", "Task_BudgetReview",
                    "Task_Publicity", "Task_Funding", "Task_Contract", "Task_FileContract", "Rule_ContractTimely",
                    "Task_Supervisor", "Task_Construction", "Task_AcceptanceTiming", "Rule_Timing",
                    "Task_Acceptance", "Task_FileReport", "Rule_ReportFiling", "Timer_BudgetYearEnd", "Task_SelfEvaluation",
                    "Task_Appraisal", "Rule_Sanctions", "Task_Operation", "Timer_NextYear", "Task_SelfEvaluation",
                    "Task_Operation", "Task_Decommission", "End_Decommissioned")
    data = run.data
    assert data["result"] != "FUNDS_BLOCKED"


def test_contract_filing_deadline_is_five_working_days_with_the_national_day_holiday(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_FileContract")
    [task] = [t for t in run.tasks() if t.spec_id == "Task_FileContract"]
    assert task.due_at.isoformat() == "2025-10-14T16:00:00+00:00"  # end of 2025-10-14, China time
    h.clock.set("2025-10-14T23:00:00+08:00")
    assert h.fire_timers() == []
    h.clock.set("2025-10-15T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    assert run.waiting() == ["Task_ChaseContract", "Task_FileContract"]  # overdue is visible, not dropped
    run.complete("Task_ChaseContract", ANSWERS["Task_ChaseContract"])
    run.complete("Task_FileContract", {**ANSWERS["Task_FileContract"], "contractFiledOn": "2025-10-16"})
    assert run.data["result"] == "LATE"
    run.assert_path("Timer_ContractOverdue", "Task_ChaseContract", "End_Chased")


@pytest.mark.parametrize(("register", "end"), [
    ({"owner": "COUNTY_DEPARTMENT"}, "End_OutOfScope"),
    ({"registeredInPlatform": False}, "End_Blocked"),
    ({"situation": "UPPER_LEVEL_NEW_SYSTEM", "reallyNecessary": False}, "End_Retrofit"),
])
def test_intake_gates_end_early(h: ProcessHarness, register: dict[str, object], end: str) -> None:
    run = h.start(P)
    run.complete("Task_Register", {**ANSWERS["Task_Register"], **register})
    assert run.status == "completed"
    run.assert_path("Task_Register", end)


def test_new_department_needs_pre_review_and_city_government(h: ProcessHarness) -> None:
    run = h.start(P)
    run.complete("Task_Register", {**ANSWERS["Task_Register"], "situation": "NEW_DEPARTMENT"})
    assert run.waiting() == ["Task_PreReview"]
    walk(run, until="Task_Apply")
    run.assert_path("Task_PreReview", "Task_GovApproval", "Gateway_ToApply")
    rejected = h.start(P)
    walk(rejected, {"Task_Register": {"situation": "NOT_IN_PLAN"}, "Task_GovApproval": {"govApproved": False}})
    rejected.assert_path("Task_GovApproval", "End_GovRejected")


def test_an_upper_level_system_that_is_really_necessary_goes_the_normal_way(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Register": {"situation": "UPPER_LEVEL_NEW_SYSTEM", "reallyNecessary": True}}, until="Task_Apply")
    run.assert_not_visited("Task_PreReview")


def test_incomplete_application_is_returned_then_filed(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Review": [{"dataAttributesStated": False, "returnReason": "未注明开放属性"}, {}]}, until="Task_Certificate")
    run.assert_path("Task_Apply", "Task_Review", "Rule_Review", "Task_Apply", "Task_Review", "Rule_Interop")


def test_review_failure_is_not_filed(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Review": {"reviewPassed": False, "failedCriteria": ["BUDGET"]}})
    run.assert_path("Rule_Review", "End_NotFiled")
    run.assert_not_visited("Task_Approve")


def test_private_network_without_legal_basis_is_not_approved(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Review": {"newPrivateNetwork": True}})
    run.assert_path("Rule_Interop", "End_NotApproved")


def test_approval_bureau_can_refuse(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Approve": {"projectApproved": False}})
    run.assert_path("Task_Certificate", "Task_Approve", "End_NotApproved_Bureau")


def test_changes_during_construction(h: ProcessHarness) -> None:
    run = h.start(P)
    changes = [{"changeType": kind, "changeDescription": "说明"} for kind in ("MAJOR", "UNAUTHORISED", "MINOR")]
    walk(run, {"Task_Construction": [*changes, {}]}, until="Task_AcceptanceTiming")
    run.assert_path("Task_Construction", "Task_ChangeEvaluation", "Task_Construction", "Task_RectifyOrder",
                    "Task_Construction", "Rule_Change", "Task_Construction", "Gateway_Change")
    assert run.waiting() == ["Task_AcceptanceTiming"]


def test_late_acceptance_is_deferred_or_rectified(h: ProcessHarness) -> None:
    run = h.start(P)
    late = {"canApplyOnTime": False, "delayReason": "硬件到货延迟"}
    refused = {"deferralApproved": False, "refusalReason": "无合理原因拖延验收", "deferredTo": OMIT}
    walk(run, {"Task_AcceptanceTiming": [{**late, "hasReasonableCause": True}, late, {}],
               "Task_Deferral": [{}, refused]}, until="Task_Acceptance")
    run.assert_path("Task_AcceptanceTiming", "Task_Deferral", "Task_AcceptanceTiming", "Task_Deferral",
                    "Gateway_Deferral", "Task_RectifyDelay", "Task_AcceptanceTiming", "Rule_Timing")
    assert run.waiting() == ["Task_Acceptance"]


def test_failed_acceptance_is_rectified_and_repeated(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, {"Task_Acceptance": [{"catalogueIncorporated": False, "failureReason": "目录未纳入共享交换平台"}, {}]},
         until="Task_FileReport")
    run.assert_path("Task_Acceptance", "Task_RectifyAcceptance", "Task_Acceptance", "Gateway_Accepted")
    assert run.waiting() == ["Task_FileReport"]


def test_unfiled_acceptance_report_blocks_funds_and_overdue_is_escalated(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_FileReport")
    [task] = [t for t in run.tasks() if t.spec_id == "Task_FileReport"]
    # 2025-12-01 + one month = 2026-01-01, New Year's Day: the period ends on the next working day,
    # Sunday 2026-01-04, a make-up working day (Art. 203 by analogy, README §1.3).
    assert task.due_at.isoformat() == "2026-01-04T16:00:00+00:00"
    h.clock.set("2026-01-04T23:59:00+08:00")
    assert h.fire_timers() == []
    h.clock.set("2026-01-05T00:00:01+08:00")
    assert h.fire_timers() == [run.id]
    run.complete("Task_ReportOverdueNotice", ANSWERS["Task_ReportOverdueNotice"])
    run.complete("Task_FileReport", {"reportFiled": False})
    walk(run)
    run.assert_path("Timer_ReportOverdue", "Task_ReportOverdueNotice", "End_ReportOverdueNoticed")
    run.assert_path("Rule_ReportFiling", "Task_FundsBlocked", "End_FundsBlocked")
    assert run.status == "completed"


def test_refusing_rectification_terminates_the_project(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run)
    h.clock.set("2026-01-01T00:00:01+08:00")  # Art. 27: after the budget year
    h.fire_timers()
    walk(run, {"Task_Appraisal": {"refusesRectification": True, "rectificationOpinion": "数据共享接口未整改"}})
    run.assert_path("Task_Appraisal", "Rule_Sanctions", "Task_Suspend", "End_Terminated")


def test_multi_year_projects_need_yearly_budgets(h: ProcessHarness) -> None:
    run = h.start(P)
    walk(run, until="Task_Apply")
    with pytest.raises(InvalidInput) as caught:
        run.complete("Task_Apply", {**ANSWERS["Task_Apply"], "multiYear": True})
    assert [e.field for e in caught.value.errors] == ["yearlyBudgets"]
    budgets = [{"year": 2025, "amountWan": 300}, {"year": 2026, "amountWan": 180.5}]
    run.complete("Task_Apply", {**ANSWERS["Task_Apply"], "multiYear": True, "yearlyBudgets": budgets})
    assert run.waiting() == ["Task_Review"]
