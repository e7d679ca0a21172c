"""The clerk's desk, inbox and oversight services on Qingyang: units, groups, roles, idempotency, heat map."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import Bundle, Conflict, Engine, FakeClock, InvalidInput, NotFound, PermissionDenied
from engine.settings import PROJECT_ROOT
from engine.store.models import AuditEvent, TaskRow
from engine.tools.testing import TESTER, ProcessHarness
from engine.usecases import instances, oversight, tasks
from engine.usecases.access import Actor
from engine.usecases.deployments import deploy_bundle
from engine.usecases.inbox import InboxQuery, due_state, inbox, inbox_facets

from .helpers import SMOKE, unit

REGISTER: dict[str, Any] = {
    "projectName": "青阳县城市运行管理平台", "applicantType": "COUNTY_UNIT", "isClassified": False,
    "fundingSource": "FISCAL", "fundingMode": "CONSTRUCTION", "projectNature": "NEW", "investmentWan": 180.0,
    "timing": "REGULAR_CYCLE", "inReserveLibrary": True, "involvesNewCivilWorks": False,
    "highEnergyConsumption": False, "canRelyOnIntegratedPlatform": True, "crossDepartment": False}

APPLICANT = Actor("qy_applicant", unit="qingyang:unit_a", groups=frozenset({"qingyang:applicant_unit"}))
OTHER_UNIT = Actor("qy_other", unit="qingyang:unit_b", groups=frozenset({"qingyang:applicant_unit"}))
SUPERVISOR = Actor("qy_dept", groups=frozenset({"qingyang:supervising_department"}))
DATA_BUREAU = Actor("qy_data", groups=frozenset({"qingyang:data_bureau"}))
DATONG = Actor("dt_applicant", unit="datong:unit", groups=frozenset({"datong:applicant_unit"}))
ADMIN = Actor("root", role="admin")


@pytest.fixture
def qingyang(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """Deploy Qingyang on the test database."""
    with unit(sessions) as session:
        deploy_bundle(engine, session, Bundle.from_jurisdiction(PROJECT_ROOT, "qingyang"), "owner")
    yield sessions


def _start(engine: Engine, sessions: sessionmaker[Session], actor: Actor = APPLICANT, key: str | None = None) -> str:
    with unit(sessions) as session:
        return instances.start_project(engine, session, actor, "qingyang_project", business_key=key).id


def _only_task(session: Session, actor: Actor, **filters: Any) -> Any:
    [row] = inbox(session, actor, InboxQuery(**filters), now=FakeClock("2025-09-30T09:00:00+08:00").now()).rows
    return row


def test_applicant_units_see_only_their_own_projects(engine: Engine, qingyang: sessionmaker[Session]) -> None:
    instance_id = _start(engine, qingyang, key="QY-2025-001")
    with unit(qingyang) as session:
        row = _only_task(session, APPLICANT)
        assert (row.spec_id, row.unit, row.business_key, row.bundle) == \
            ("Task_Register", "qingyang:unit_a", "QY-2025-001", "qingyang")
        for outsider in (OTHER_UNIT, SUPERVISOR, DATONG):
            assert inbox(session, outsider, InboxQuery(), engine.now()).total == 0
            with pytest.raises(NotFound):
                tasks.task_view(engine, session, outsider, row.id)
            with pytest.raises(NotFound):
                tasks.claim(engine, session, outsider, row.id)
            with pytest.raises(NotFound):
                oversight.instance_view(engine, session, outsider, instance_id)
        assert inbox(session, ADMIN, InboxQuery(), engine.now()).total == 1


def test_work_moves_to_the_next_agency_which_then_sees_the_project(engine: Engine,
                                                                   qingyang: sessionmaker[Session]) -> None:
    instance_id = _start(engine, qingyang)
    with unit(qingyang) as session:
        task = _only_task(session, APPLICANT)
        tasks.claim(engine, session, APPLICANT, task.id)
        tasks.complete(engine, session, APPLICANT, task.id, REGISTER)
    with unit(qingyang) as session:
        review = _only_task(session, SUPERVISOR)
        assert (review.spec_id, review.project_name) == ("Task_DeptReview", REGISTER["projectName"])
        view = tasks.task_view(engine, session, SUPERVISOR, review.id)
        assert [s.task.spec_id for s in view.earlier] == ["Task_Register"]
        assert ("申报主体", "县直单位") in view.earlier[0].fields and ("涉密项目", "否") in view.earlier[0].fields
        shown = oversight.instance_view(engine, session, SUPERVISOR, instance_id)
        assert "Task_Register" in shown.executed and shown.active == ["Task_DeptReview"]
        assert [d.element for d in shown.decisions][:1] == ["Rule_Scope"]
        assert shown.decisions[0].data["inputs"] and shown.decisions[0].data["outputs"]
        # The applicant unit keeps seeing its own project after its task is done.
        assert oversight.instance_view(engine, session, APPLICANT, instance_id).instance.id == instance_id
        with pytest.raises(NotFound):
            oversight.instance_view(engine, session, DATA_BUREAU, instance_id)


def test_returned_task_is_prefilled_with_what_the_process_holds(engine: Engine,
                                                                qingyang: sessionmaker[Session]) -> None:
    _start(engine, qingyang)
    with unit(qingyang) as session:
        task = _only_task(session, APPLICANT)
        tasks.complete(engine, session, APPLICANT, task.id, REGISTER)
    with unit(qingyang) as session:
        review = _only_task(session, SUPERVISOR)
        tasks.complete(engine, session, SUPERVISOR, review.id, {"deptApproved": False, "deptOpinion": "补充材料"})
    with unit(qingyang) as session:
        again = _only_task(session, APPLICANT)
        view = tasks.task_view(engine, session, APPLICANT, again.id)
        assert view.form_data["projectName"] == REGISTER["projectName"]
        assert view.form_data["investmentWan"] == 180
        assert "deptOpinion" not in view.form_data  # only this form's fields


def test_only_applicant_clerks_with_a_unit_start_projects(engine: Engine, qingyang: sessionmaker[Session],
                                                         clock: FakeClock) -> None:
    with unit(qingyang) as session:
        assert [v.process_id for v in instances.startable_versions(session, APPLICANT)] == ["qingyang_project"]
        assert instances.startable_versions(session, SUPERVISOR) == []
        with pytest.raises(PermissionDenied):
            instances.start_project(engine, session, SUPERVISOR, "qingyang_project")
        with pytest.raises(PermissionDenied):
            instances.start_project(engine, session, DATONG, "qingyang_project")
        with pytest.raises(InvalidInput) as caught:
            instances.start_project(engine, session, ADMIN, "qingyang_project")
        assert caught.value.errors[0].field == "unit"
    first = _start(engine, qingyang, key="QY-1")
    with pytest.raises(InvalidInput) as caught, unit(qingyang) as session:
        instances.start_project(engine, session, APPLICANT, "qingyang_project", business_key="QY-1")
    assert caught.value.errors[0].field == "business_key"
    clock.set("2025-10-01T07:30:00+08:00")  # still 30 September in UTC: the key carries the local date
    generated = _start(engine, qingyang)
    with unit(qingyang) as session:
        keys = {oversight.instance_view(engine, session, APPLICANT, i).instance.business_key for i in (first, generated)}
        assert "QY-1" in keys and any(k.startswith("QINGYANG-20251001-") for k in keys)


def test_idempotency_key_replays_the_first_answer(engine: Engine, qingyang: sessionmaker[Session]) -> None:
    _start(engine, qingyang)
    with unit(qingyang) as session:
        task = _only_task(session, APPLICANT)
        first = tasks.complete(engine, session, APPLICANT, task.id, REGISTER, idempotency_key="k-1")
    with unit(qingyang) as session:
        again = tasks.complete(engine, session, APPLICANT, task.id, REGISTER, idempotency_key="k-1")
        assert again.replayed and not first.replayed
        assert (again.task, again.instance) == (first.task, first.instance)
        with pytest.raises(Conflict):
            tasks.complete(engine, session, APPLICANT, task.id, {**REGISTER, "investmentWan": 1}, idempotency_key="k-1")
        with pytest.raises(Conflict):  # without the key the task is simply no longer ready
            tasks.complete(engine, session, APPLICANT, task.id, REGISTER)
        completions = [e for e in session.query(AuditEvent).filter_by(action="complete")]
        assert len(completions) == 1


def test_inbox_filters_search_due_state_and_pages(engine: Engine, qingyang: sessionmaker[Session],
                                                  clock: FakeClock) -> None:
    for n in range(5):
        _start(engine, qingyang, key=f"QY-2025-{n:03d}")
    with unit(qingyang) as session:
        now = engine.now()
        page = inbox(session, APPLICANT, InboxQuery(per_page=2, page=3), now)
        assert (page.total, page.pages, len(page.rows)) == (5, 3, 1)
        assert inbox(session, APPLICANT, InboxQuery(search="qy-2025-003"), now).rows[0].business_key == "QY-2025-003"
        assert inbox(session, APPLICANT, InboxQuery(search="%"), now).total == 0  # wildcards are literal
        assert inbox(session, APPLICANT, InboxQuery(bundle="datong"), now).total == 0
        assert inbox(session, APPLICANT, InboxQuery(task="Task_Register"), now).total == 5
        assert inbox(session, APPLICANT, InboxQuery(scope="mine"), now).total == 0
        first = inbox(session, APPLICANT, InboxQuery(), now).rows[0]
        tasks.claim(engine, session, APPLICANT, first.id)
        assert [r.id for r in inbox(session, APPLICANT, InboxQuery(scope="mine"), now).rows] == [first.id]
        facets = inbox_facets(session, APPLICANT)
        assert facets.bundles == ["qingyang"] and facets.tasks == [("Task_Register", "填报项目基本情况")]
        assert inbox(session, APPLICANT, InboxQuery(due="no_deadline"), now).total == 5
        session.get(TaskRow, first.id).due_at = now + timedelta(days=1)  # type: ignore[union-attr]
        first = replace(first, due_at=now + timedelta(days=1))
        assert due_state(first, now) == "due_soon"
        assert due_state(first, now + timedelta(days=2)) == "overdue"
        assert [r.id for r in inbox(session, APPLICANT, InboxQuery(due="due_soon"), now).rows] == [first.id]
        assert [r.id for r in inbox(session, APPLICANT, InboxQuery(due="overdue"), now + timedelta(days=2)).rows] \
            == [first.id]


def test_search_finds_project_names_once_registered(engine: Engine, qingyang: sessionmaker[Session]) -> None:
    _start(engine, qingyang)
    with unit(qingyang) as session:
        tasks.complete(engine, session, APPLICANT, _only_task(session, APPLICANT).id, REGISTER)
    with unit(qingyang) as session:
        found = inbox(session, SUPERVISOR, InboxQuery(search="运行管理"), engine.now())
        assert [r.spec_id for r in found.rows] == ["Task_DeptReview"]


def test_monitoring_is_for_administrators(engine: Engine, qingyang: sessionmaker[Session]) -> None:
    for _ in range(3):
        _start(engine, qingyang)
    with unit(qingyang) as session:
        tasks.complete(engine, session, APPLICANT, _only_task(session, APPLICANT, per_page=1).id, REGISTER)
    with unit(qingyang) as session:
        for call in (lambda: oversight.version_loads(session, APPLICANT),
                     lambda: oversight.heat_map(session, SUPERVISOR, "qingyang_project", 1),
                     lambda: oversight.overdue_by_agency(session, APPLICANT, engine.now())):
            with pytest.raises(PermissionDenied):
                call()
        [load] = oversight.version_loads(session, ADMIN)
        assert (load.version.process_id, load.running, load.errors) == ("qingyang_project", 3, 0)
        heat = oversight.heat_map(session, ADMIN, "qingyang_project", 1)
        assert heat.total == 3 and heat.counts == {"Task_Register": 2, "Task_DeptReview": 1}
        assert 'id="qingyang_project"' in heat.diagram
        later = engine.now() + timedelta(days=400)
        assert oversight.overdue_by_agency(session, ADMIN, later) == []  # nothing here carries a deadline yet


def test_a_returned_step_gets_its_own_answers_back_and_another_step_sharing_its_form_gets_none(
        database_url: str) -> None:
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    # Rectification on the accept form: a second step that shares a form with the acceptance before it.
    texts["bpmn/acceptance.bpmn"] = texts["bpmn/acceptance.bpmn"].replace(
        '"rectify.schema.json"', '"accept.schema.json"', 1)
    harness = ProcessHarness([Bundle.from_texts("smoke", texts)], database_url=database_url)
    try:
        run = harness.start("smoke_acceptance")
        run.complete("Task_Submit", {"confirmed": True})
        run.complete("Task_Accept", {"passed": False, "acceptanceReport": "缺少测试报告"})
        with unit(harness.sessions) as session:
            rectify = tasks.task_view(harness.engine, session, TESTER, run.task("Task_Rectify").id)
        assert rectify.form_data == {}  # never the acceptance verdict of the step before
        run.complete("Task_Rectify", {"passed": True, "acceptanceReport": "已补测试报告"})
        with unit(harness.sessions) as session:
            again = tasks.task_view(harness.engine, session, TESTER, run.task("Task_Accept").id)
        # The acceptance step gets back what it submitted; the field values are the latest the process holds.
        assert again.form_data == {"passed": True, "acceptanceReport": "已补测试报告"}
    finally:
        harness.close()


def test_a_confirmation_is_never_prefilled(database_url: str) -> None:
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    texts["forms/check.schema.json"] = texts["forms/check.schema.json"].replace(
        '"type":"boolean"', '"type":"boolean","const":true')
    harness = ProcessHarness([Bundle.from_texts("smoke", texts)], database_url=database_url)
    try:
        run = harness.start("smoke_acceptance")
        with unit(harness.sessions) as session:
            submit = tasks.task_view(harness.engine, session, TESTER, run.task("Task_Submit").id)
        assert submit.form_data == {}
    finally:
        harness.close()
