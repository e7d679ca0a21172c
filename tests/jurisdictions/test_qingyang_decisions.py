"""Qingyang 青阳县: decision tables of policies/qingyang.md §4 against the §8 test scenarios."""

from __future__ import annotations

import pytest

from engine.tools.testing import ProcessHarness

from .conftest import HarnessFactory
from .walking import decide


@pytest.fixture
def qy(decisions_of: HarnessFactory) -> ProcessHarness:
    return decisions_of("qingyang", "2025-03-01T09:00:00+08:00")



@pytest.mark.parametrize(("mode", "in_plan", "amount", "steps"), [
    ("CONSTRUCTION", "true", "500.00", "FEASIBILITY_THEN_DESIGN"),        # T01
    ("CONSTRUCTION", "true", "499.99", "COMBINED"),                       # T02
    ("PURCHASED_SERVICE_FORMING_SYSTEM", "true", "300", "SERVICE_PLAN_SET"),  # T07
    ("CONSTRUCTION", "false", "500", "PROPOSAL_FEASIBILITY_DESIGN"),
    ("CONSTRUCTION", "false", "120", "COMBINED"),
    ("CONSTRUCTION", "", "120", "PROPOSAL_FEASIBILITY_DESIGN"),
])
def test_approval_document_path(qy: ProcessHarness, mode: str, in_plan: str, amount: str, steps: str) -> None:
    assert decide(qy, "DT_QY_03", fundingMode=mode, inAnnualPlan=in_plan, investmentWan=amount) == {
        "approvalSteps": steps}


@pytest.mark.parametrize(("amount", "nature", "review"), [
    ("500.00", "NEW", "CITY_THEN_PROVINCE"),   # T03
    ("800", "CONTINUING", "NONE"),             # T04
    ("600", "OM", "NONE"),                     # T05
    ("499.99", "NEW", "NONE"),                 # T06
    ("", "NEW", "CITY_THEN_PROVINCE"),
])
def test_upper_level_review_at_500(qy: ProcessHarness, amount: str, nature: str, review: str) -> None:
    assert decide(qy, "DT_QY_04", investmentWan=amount, projectNature=nature) == {"upperReview": review}


@pytest.mark.parametrize(("estimate", "adjust", "total", "unchanged", "circumstance", "route"), [
    ("600", "90", "600", "true", "C2_TECH_OPTIMISATION", "SELF_ADJUST_AND_FILE"),     # T08: exactly 15%
    ("600", "90.01", "600", "true", "C2_TECH_OPTIMISATION", "FORMAL_APPROVAL"),       # T09
    ("1000", "100.00", "1000", "true", "C1_DIRECTIVE", "SELF_ADJUST_AND_FILE"),       # T10: both limits inclusive
    ("2000", "100.01", "2000", "true", "C3_BUSINESS_NEED", "FORMAL_APPROVAL"),        # T11: amount cap
    ("400", "50", "401", "true", "C2_TECH_OPTIMISATION", "FORMAL_APPROVAL"),          # T12: over the estimate
    ("1000", "50", "1000", "true", "NONE", "FORMAL_APPROVAL"),                        # T13: no listed circumstance
    ("1000", "50", "1000", "false", "C1_DIRECTIVE", "FORMAL_APPROVAL"),               # objective changed
    ("1150", "172.50", "1150", "true", "C2_TECH_OPTIMISATION", "FORMAL_APPROVAL"),   # 15% exact but over 100万
    ("1000", "50", "", "true", "C1_DIRECTIVE", "FORMAL_APPROVAL"),                    # unanswered
])
def test_change_request_routes(qy: ProcessHarness, estimate: str, adjust: str, total: str, unchanged: str,
                               circumstance: str, route: str) -> None:
    assert decide(qy, "DT_QY_06", approvedEstimateWan=estimate, adjustAmountWan=adjust, totalAfterChangeWan=total,
                objectiveUnchanged=unchanged, circumstance=circumstance, adjustedSoFarWan="0") == {"route": route}


@pytest.mark.parametrize(("estimate", "route"), [("199.99", "SELF_ACCEPTANCE"),      # T14
                                                 ("200.00", "INITIAL_ACCEPTANCE"),   # T15
                                                 ("", "INITIAL_ACCEPTANCE")])
def test_acceptance_organiser(qy: ProcessHarness, estimate: str, route: str) -> None:
    assert decide(qy, "DT_QY_08", approvedEstimateWan=estimate) == {"acceptanceRoute": route}


@pytest.mark.parametrize(("special", "months", "trial"), [("false", "", "P3M"),    # T16
                                                          ("true", "6", "P6M"),    # T17
                                                          ("true", "7", "REJECT"), # T18
                                                          ("true", "3", "P3M"),
                                                          ("true", "2", "REJECT"),  # extend only, never shorten
                                                          ("", "4", "P3M")])
def test_trial_run_duration(qy: ProcessHarness, special: str, months: str, trial: str) -> None:
    assert decide(qy, "DT_QY_07", isSpecialProject=special, requestedMonths=months) == {"trialRun": trial}


@pytest.mark.parametrize(("accepted", "evaluated", "status"), [
    ("2025-03-31", "2026-03-30", "NOT_YET_DUE"),   # T19
    ("2025-03-31", "2026-03-31", "DUE"),
    ("2025-03-31", "2027-03-31", "DUE"),
    ("2025-03-31", "2027-04-01", "OVERDUE"),
    ("2024-02-29", "2025-02-27", "NOT_YET_DUE"),   # T20: the window opens 2025-02-28 …
    ("2024-02-29", "2025-02-28", "DUE"),
    ("2024-02-29", "2026-02-28", "DUE"),           # … and closes 2026-02-28
    ("2024-02-29", "2026-03-01", "OVERDUE"),
    ("2024-02-29", "", "NOT_YET_DUE"),
])
def test_post_evaluation_window(qy: ProcessHarness, accepted: str, evaluated: str, status: str) -> None:
    assert decide(qy, "DT_QY_10", acceptanceDate=accepted, evaluationDate=evaluated) == {"status": status}


@pytest.mark.parametrize(("timing", "library", "pre", "gov", "result"), [
    ("REGULAR_CYCLE", "true", "", "", "ELIGIBLE_FOR_JOINT_REVIEW"),
    ("REGULAR_CYCLE", "false", "true", "", "ELIGIBLE_FOR_JOINT_REVIEW"),
    ("REGULAR_CYCLE", "false", "false", "", "PRE_REVIEW_REQUIRED"),    # T21
    ("OUT_OF_PLAN", "false", "false", "", "PRE_REVIEW_REQUIRED"),
    ("OUT_OF_PLAN", "false", "true", "true", "PROCEED_TO_APPROVAL"),   # T22
    ("OUT_OF_PLAN", "false", "true", "false", "NOT_APPROVED"),         # T23
    ("", "", "", "", "PRE_REVIEW_REQUIRED"),
])
def test_annual_plan_eligibility(qy: ProcessHarness, timing: str, library: str, pre: str, gov: str,
                                 result: str) -> None:
    assert decide(qy, "DT_QY_02", timing=timing, inReserveLibrary=library, preReviewPassed=pre,
                countyGovApproved=gov) == {"result": result}


@pytest.mark.parametrize(("applicant", "classified", "source", "result"), [
    ("TOWNSHIP", "false", "FISCAL", "REJECT_INDEPENDENT_BUILD"),           # T24
    ("COUNTY_UNIT", "true", "FISCAL", "SECRECY_TRACK"),
    ("COUNTY_UNIT", "false", "TRANSFER_PAYMENT", "IN_SCOPE"),
    ("COUNTY_UNIT", "false", "INSTITUTION_SELF_FUNDED", "REFERENCE_SCOPE"),
    ("COUNTY_UNIT", "false", "PRIVATE", "OUT_OF_SCOPE"),
])
def test_applicability(qy: ProcessHarness, applicant: str, classified: str, source: str, result: str) -> None:
    assert decide(qy, "DT_QY_01", applicantType=applicant, isClassified=classified, fundingSource=source) == {
        "scopeResult": result}


@pytest.mark.parametrize(("civil", "energy", "extra"), [("false", "false", "NONE"), ("true", "false", "REQUIRED"),  # T29
                                                        ("false", "true", "REQUIRED"), ("", "false", "REQUIRED")])
def test_other_approvals(qy: ProcessHarness, civil: str, energy: str, extra: str) -> None:
    assert decide(qy, "DT_QY_05", involvesNewCivilWorks=civil, highEnergyConsumption=energy) == {
        "extraApprovals": extra}


def test_acceptance_gates_are_collected(qy: ProcessHarness) -> None:
    ok = {"trialRunFinished": "true", "archiveAccepted": "true", "isClassified": "false", "canAcceptOnSchedule": "true"}
    assert decide(qy, "DT_QY_09", **ok) == {"effect": []}
    assert decide(qy, "DT_QY_09", **{**ok, "archiveAccepted": "false"}) == {"effect": ["ACCEPTANCE_FAILS"]}  # T27
    assert decide(qy, "DT_QY_09", **{**ok, "isClassified": "true"}) == {"effect": ["SECRECY_APPROVAL_REQUIRED"]}  # T28
    assert decide(qy, "DT_QY_09", **{**ok, "trialRunFinished": "false", "canAcceptOnSchedule": "false"}) == {
        "effect": ["TRIAL_RUN_NOT_FINISHED", "DEFERRAL_APPLICATION"]}


@pytest.mark.parametrize(("can", "route"), [("true", "USE_INTEGRATED_PLATFORM"),
                                            ("false", "PROFESSIONAL_REVIEW_AND_CITY_FILING"),   # T30
                                            ("", "PROFESSIONAL_REVIEW_AND_CITY_FILING")])
def test_integrated_platform_exception(qy: ProcessHarness, can: str, route: str) -> None:
    assert decide(qy, "DT_QY_11", canRelyOnIntegratedPlatform=can) == {"route": route}


@pytest.mark.parametrize(("found", "rectified", "compliant", "action"), [
    ("false", "", "", "NONE"), ("true", "true", "true", "CLOSED"), ("true", "false", "", "DISCRETIONARY_SANCTIONS"),
    ("true", "true", "false", "DISCRETIONARY_SANCTIONS"), ("", "", "", "DISCRETIONARY_SANCTIONS")])
def test_supervision_outcome(qy: ProcessHarness, found: str, rectified: str, compliant: str, action: str) -> None:
    assert decide(qy, "DT_QY_12", violationFound=found, rectifiedByDeadline=rectified,
                compliantAfterRectification=compliant) == {"action": action}
