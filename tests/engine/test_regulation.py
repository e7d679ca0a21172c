"""Regulation validity: each process declares its regulation, and projects start only while it applies."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import Bundle, DeploymentError, Engine, FakeClock, InvalidInput, PermissionDenied
from engine.regulation import Regulation, RegulationDeclarationError
from engine.store.audit import audit_trail
from engine.tools.testing import TESTER
from engine.usecases.access import Actor
from engine.usecases.deployments import deploy_bundle
from engine.usecases.instances import regulations_of, start_project

from .helpers import SMOKE, unit

CLERK = Actor("alice", unit="smoke:unit_a", groups=frozenset({"smoke:applicant_unit"}))
TRIAL = {"regulation": "《冒烟县暂行办法》", "regulationStatus": "trial",
         "regulationEffectiveFrom": "2025-08-29", "regulationEffectiveUntil": "2027-08-30"}


def _declared(properties: dict[str, str]) -> Bundle:
    bundle = Bundle.from_directory(SMOKE)
    declared = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in properties.items())
    files = dict(bundle.as_texts())
    files["bpmn/smoke.bpmn"] = files["bpmn/smoke.bpmn"].replace(
        '<bpmn:process id="smoke" name="冒烟" isExecutable="true">',
        '<bpmn:process id="smoke" name="冒烟" isExecutable="true"><bpmn:extensionElements><spiffworkflow:properties>'
        f'{declared}</spiffworkflow:properties></bpmn:extensionElements>', 1)
    return Bundle.from_texts("smoke", files)


@pytest.fixture
def trial(engine: Engine, sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with unit(sessions) as session:
        deploy_bundle(engine, session, _declared(TRIAL), "owner")
    return sessions


def test_the_first_and_the_last_day_both_apply() -> None:
    regulation = Regulation.from_properties(TRIAL)
    assert regulation is not None
    assert [regulation.applies_on(date.fromisoformat(d)) for d in
            ("2025-08-28", "2025-08-29", "2027-08-30", "2027-08-31")] == [False, True, True, False]
    assert regulation.describe() == "《冒烟县暂行办法》，试行，自 2025-08-29 起施行，至 2027-08-30 止"
    assert regulation.refusal(date(2027, 8, 31)) == "《冒烟县暂行办法》已于 2027-08-30 届满失效，2027-08-31 不能再按其新建项目"


def test_a_draft_without_dates_applies_and_no_declaration_means_no_limit() -> None:
    draft = Regulation.from_properties({"regulation": "《某办法（草案）》", "regulationStatus": "draft"})
    assert draft is not None and draft.applies_on(date(2030, 1, 1))
    assert draft.describe() == "《某办法（草案）》，草案（未正式施行）"
    assert Regulation.from_properties({}) is None


@pytest.mark.parametrize(("properties", "named"), [
    ({"regulationStatus": "trial", "regulationEffectiveFrom": "2025-08-29"}, "'regulation'"),
    ({**TRIAL, "regulationStatus": "pilot"}, "'regulationStatus'"),
    ({**TRIAL, "regulationEffectiveFrom": "2025-8-29"}, "'regulationEffectiveFrom'"),
    ({**TRIAL, "regulationEffectiveUntil": "2025-08-01"}, "'regulationEffectiveUntil'"),
    ({"regulation": "《旧办法》", "regulationStatus": "expired", "regulationEffectiveFrom": "2020-02-01"},
     "'regulationEffectiveUntil'"),
])
def test_a_malformed_declaration_names_its_property(properties: dict[str, str], named: str) -> None:
    with pytest.raises(RegulationDeclarationError, match=named):
        Regulation.from_properties(properties)


def test_a_bundle_with_a_malformed_declaration_is_not_deployed(engine: Engine, sessions: sessionmaker[Session]) -> None:
    with unit(sessions) as session, pytest.raises(DeploymentError) as refused:
        deploy_bundle(engine, session, _declared({**TRIAL, "regulationStatus": "pilot"}), "owner")
    [problem] = refused.value.problems
    assert problem.file == "bpmn/smoke.bpmn" and problem.element == "smoke" and problem.line == 3
    assert "'regulationStatus' is 'pilot'" in problem.message


def test_nobody_starts_a_project_before_the_regulation_applies(
        engine: Engine, trial: sessionmaker[Session], clock: FakeClock) -> None:
    clock.set("2025-08-28T23:30:00+08:00")  # still 28 August in the jurisdiction, though 15:30 UTC
    for actor in (CLERK, TESTER):
        with unit(trial) as session, pytest.raises(InvalidInput) as refused:
            start_project(engine, session, actor, "smoke")
        [error] = refused.value.errors
        assert (error.field, error.message) == (
            "process_id", "《冒烟县暂行办法》自 2025-08-29 起施行，2025-08-28 尚未施行，不能按其新建项目")
    clock.set("2025-08-29T00:05:00+08:00")
    with unit(trial) as session:
        assert start_project(engine, session, CLERK, "smoke").status == "running"


def test_an_administrator_starts_outside_validity_only_with_a_reason_and_it_is_audited(
        engine: Engine, trial: sessionmaker[Session], clock: FakeClock) -> None:
    clock.set("2027-09-01T09:00:00+08:00")
    with unit(trial) as session, pytest.raises(PermissionDenied):
        start_project(engine, session, CLERK, "smoke", outside_validity="过渡")
    with unit(trial) as session, pytest.raises(InvalidInput) as blank:
        start_project(engine, session, TESTER, "smoke", outside_validity="  ")
    assert blank.value.errors[0].field == "outside_validity"
    with unit(trial) as session:
        started = start_project(engine, session, TESTER, "smoke", outside_validity="试行期满前已受理，补录")
        actions = [(event.action, event.data) for event in audit_trail(session, started.id)]
    assert ("start-outside-validity", {"reason": "试行期满前已受理，补录"}) in actions
    clock.set("2026-12-01T09:00:00+08:00")
    with unit(trial) as session, pytest.raises(InvalidInput) as needless:
        start_project(engine, session, TESTER, "smoke", outside_validity="过渡")
    assert needless.value.errors[0].message == "该办法今天在有效期内，无需按过渡情形立项"


def test_the_start_page_learns_the_regulation_and_whether_it_applies(
        engine: Engine, trial: sessionmaker[Session], clock: FakeClock) -> None:
    clock.set("2027-09-01T09:00:00+08:00")
    with unit(trial) as session:
        [info] = regulations_of(engine, session, ["smoke"]).values()
    assert info.status == "trial"
    assert info.refusal is not None and "2027-08-30 届满失效" in info.refusal
