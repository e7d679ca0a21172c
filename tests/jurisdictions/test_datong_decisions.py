"""Datong 大同市: the decision tables of policies/datong.md §4 against the test scenarios of §8."""

from __future__ import annotations

import pytest

from engine.tools.testing import ProcessHarness

from .conftest import HarnessFactory
from .walking import decide


@pytest.fixture
def datong(decisions_of: HarnessFactory) -> ProcessHarness:
    return decisions_of("datong", "2025-09-30T09:00:00+08:00")



def test_t01_not_in_the_platform_is_blocked(datong: ProcessHarness) -> None:
    assert decide(datong, "DT_DT_02", registeredInPlatform="false") == {"result": "BLOCKED"}
    assert decide(datong, "DT_DT_02", registeredInPlatform="true") == {"result": "CONTINUE"}


@pytest.mark.parametrize(("complete", "attributes", "passed", "result"), [
    ("false", "true", "true", "INCOMPLETE"),   # T02 no 项目建议书
    ("true", "false", "true", "INCOMPLETE"),   # T03 no data sharing/opening attributes
    ("true", "true", "false", "NOT_FILED"),    # T04 不予备案
    ("true", "true", "true", "FILED"),         # T05 filing certificate, then 立项
])
def test_t02_to_t05_reasonableness_review(datong: ProcessHarness, complete: str, attributes: str, passed: str,
                                          result: str) -> None:
    assert decide(datong, "DT_DT_03", applicationFormAndProposalComplete=complete, dataAttributesStated=attributes,
                reviewPassed=passed) == {"result": result}


@pytest.mark.parametrize(("situation", "necessary", "route"), [
    ("NEW_DEPARTMENT", "false", "PRE_REVIEW_BY_CENTER"),         # T06
    ("NOT_IN_PLAN", "true", "PRE_REVIEW_BY_CENTER"),
    ("UPPER_LEVEL_NEW_SYSTEM", "false", "RETROFIT_EXISTING"),    # T07
    ("UPPER_LEVEL_NEW_SYSTEM", "true", "NEW_SYSTEM_REGISTERED"),
    ("NORMAL", "false", "NORMAL"),
])
def test_t06_t07_special_situations(datong: ProcessHarness, situation: str, necessary: str, route: str) -> None:
    assert decide(datong, "DT_DT_04", situation=situation, reallyNecessary=necessary) == {"route": route}


def test_t08_t09_t23_interoperability_effects_are_collected(datong: ProcessHarness) -> None:
    base = {"canInterconnect": "true", "sharingAsRequired": "true", "newPrivateNetwork": "false",
            "privateNetworkRequiredByLaw": "false"}
    assert decide(datong, "DT_DT_05", **base) == {"effect": []}
    assert decide(datong, "DT_DT_05", **{**base, "canInterconnect": "false"}) == {"effect": ["NOT_APPROVED"]}
    assert decide(datong, "DT_DT_05", **{**base, "newPrivateNetwork": "true"}) == {"effect": ["PROHIBITED"]}
    assert decide(datong, "DT_DT_05", **{**base, "newPrivateNetwork": "true", "privateNetworkRequiredByLaw": "true",
                                    "privateNetworkConsented": "false"}) == {"effect": ["NO_CENTER_CONSENT"]}
    assert decide(datong, "DT_DT_05", **{**base, "newPrivateNetwork": "true", "privateNetworkRequiredByLaw": "true",
                                    "privateNetworkConsented": "true"}) == {"effect": []}
    assert decide(datong, "DT_DT_05", **{**base, "sharingAsRequired": "false"}) == {
        "effect": ["OM_FUNDS_WITHHELD"]}


@pytest.mark.parametrize(("signed", "filed", "result"), [
    ("2025-03-07", "2025-03-14", "ON_TIME"),   # T10: Fri + 5 working days = Fri
    ("2025-03-07", "2025-03-17", "LATE"),
    ("2025-09-30", "2025-10-14", "ON_TIME"),   # T11: National Day holiday and the 10-11 make-up day
    ("2025-09-30", "2025-10-15", "LATE"),
])
def test_t10_t11_contract_filing_in_working_days(datong: ProcessHarness, signed: str, filed: str,
                                                 result: str) -> None:
    assert decide(datong, "DT_DT_06", signingDate=signed, contractFiledOn=filed) == {"result": result}


@pytest.mark.parametrize(("accepted", "filed", "result"), [
    ("2025-03-15", "2025-04-15", "ON_TIME"),   # T12
    ("2025-03-15", "2025-04-16", "LATE"),
    ("2025-01-31", "2025-02-28", "ON_TIME"),   # T13: no 31 February, the month's end
    ("2025-01-31", "2025-03-01", "LATE"),
    ("2025-09-01", "2025-10-09", "ON_TIME"),   # T14: 10-01 is a holiday, the period rolls to 10-09
    ("2025-09-01", "2025-10-10", "LATE"),
])
def test_t12_to_t14_acceptance_report_within_one_month(datong: ProcessHarness, accepted: str, filed: str,
                                                       result: str) -> None:
    assert decide(datong, "DT_DT_09", reportFiled="true", acceptanceDate=accepted, reportFiledOn=filed) == {
        "result": result}


def test_t15_unfiled_report_blocks_funds(datong: ProcessHarness) -> None:
    assert decide(datong, "DT_DT_09", reportFiled="false", acceptanceDate="2025-03-15", reportFiledOn="") == {
        "result": "FUNDS_BLOCKED"}


def test_t16_deferral_and_rectification(datong: ProcessHarness) -> None:
    assert decide(datong, "DT_DT_08", canApplyOnTime="false", hasReasonableCause="true") == {
        "result": "DEFERRAL_APPLICATION"}
    # Art. 26 ¶1: the center, not the department, judges whether a delay has a reasonable cause.
    assert decide(datong, "DT_DT_08", canApplyOnTime="false", hasReasonableCause="false") == {
        "result": "DEFERRAL_APPLICATION"}
    assert decide(datong, "DT_DT_08", canApplyOnTime="true", hasReasonableCause="false") == {"result": "PROCEED"}


@pytest.mark.parametrize(("change", "route"), [("MAJOR", "CENTER_EVALUATES"),            # T17
                                               ("UNAUTHORISED", "REPORT_TO_CENTER"),      # T18
                                               ("MINOR", "NOT_REGULATED")])
def test_t17_t18_change_requests(datong: ProcessHarness, change: str, route: str) -> None:
    assert decide(datong, "DT_DT_07", changeType=change) == {"route": route}


def test_t19_refusing_rectification_suspends_funds(datong: ProcessHarness) -> None:
    outputs = decide(datong, "DT_DT_10", registeredInPlatform="true", sharingInOperation="true",
                   reportFiled="true", refusesRectification="true")
    assert outputs == {"effect": ["SUSPEND_FUNDS_MAY_TERMINATE"]}
    everything = decide(datong, "DT_DT_10", registeredInPlatform="false", sharingInOperation="false",
                      reportFiled="false", refusesRectification="false")
    assert everything == {"effect": ["NO_APPROVAL_NO_INVESTMENT_NO_OM_FUNDS", "NO_OM_FUNDS",
                                     "NO_FURTHER_CONSTRUCTION_OR_OM_FUNDS"]}


@pytest.mark.parametrize(("owner", "funding", "result"), [
    ("COUNTY_DEPARTMENT", "GOVERNMENT_INVESTMENT", "COUNTY_OWN_RULES"),
    ("MUNICIPAL_DEPARTMENT", "PURCHASED_SERVICE", "IN_SCOPE"),
    ("MUNICIPAL_DEPARTMENT", "SELF_RAISED", "OUT_OF_SCOPE"),
    ("MUNICIPAL_WITH_COUNTY", "JOINT_CONSTRUCTION", "IN_SCOPE_TIERED"),
])
def test_applicability(datong: ProcessHarness, owner: str, funding: str, result: str) -> None:
    assert decide(datong, "DT_DT_01", owner=owner, fundingMode=funding) == {"result": result}


@pytest.mark.parametrize(("decision", "inputs", "outputs"), [
    ("DT_DT_02", {"registeredInPlatform": ""}, {"result": "BLOCKED"}),
    ("DT_DT_03", {"applicationFormAndProposalComplete": "true", "dataAttributesStated": "true",
                  "reviewPassed": ""}, {"result": "INCOMPLETE"}),
    ("DT_DT_06", {"signingDate": "2025-09-30", "contractFiledOn": ""}, {"result": "LATE"}),
    ("DT_DT_07", {"changeType": "OTHER"}, {"route": "NOT_REGULATED"}),
    ("DT_DT_08", {"canApplyOnTime": "", "hasReasonableCause": "true"},
     {"result": "ORDER_RECTIFICATION_WITH_DEADLINE"}),
    ("DT_DT_09", {"reportFiled": "true", "acceptanceDate": "2025-03-15", "reportFiledOn": ""},
     {"result": "FUNDS_BLOCKED"}),
])
def test_unanswered_inputs_fall_to_the_catch_all_rule(datong: ProcessHarness, decision: str,
                                                      inputs: dict[str, str], outputs: dict[str, str]) -> None:
    assert decide(datong, decision, **inputs) == outputs
