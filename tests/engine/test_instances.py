"""Instances and the task index: start, complete, validate, conflicts, errors and retry, cancel."""

from __future__ import annotations

import shutil
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import Bundle, Conflict, Engine, FakeClock, InvalidInput, NotFound, PermissionDenied
from engine.store.audit import audit_trail
from engine.store.db import lost_races_as_conflicts
from engine.store.models import TaskRow
from engine.usecases.deployments import deploy_bundle
from engine.usecases.inbox import list_tasks
from engine.usecases.instances import cancel_instance, retry_instance, start_instance
from engine.usecases.state import get_instance, load
from engine.usecases.tasks import assign_task, claim_task, complete_task, task_form, unclaim_task

from .helpers import SMOKE, deploy_smoke, unit


@pytest.fixture
def deployed(engine: Engine, sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    deploy_smoke(engine, sessions)
    return sessions


def _start(engine: Engine, sessions: sessionmaker[Session], process: str = "smoke", **data: object) -> str:
    with unit(sessions) as session:
        return start_instance(engine, session, process, dict(data), actor="clerk", business_key="QY-1").id


def test_start_indexes_the_first_task_with_group_form_and_working_day_due_date(
        engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        row = get_instance(session, instance_id)
        assert row.status == "running"
        assert row.business_key == "QY-1"
        assert row.serializer_version.startswith("govflow-1")
        assert '"task_specs"' not in row.state  # the spec is stored once per version
        [task] = list_tasks(session, groups=["smoke:applicant"])
    assert (task.spec_id, task.name, task.form) == ("Task_Apply", "申报", "apply.schema.json")
    # 2025-09-30 + 5 working days = 2025-10-14 (National Day holiday, make-up days); due at its end.
    assert task.due_at.isoformat() == "2025-10-14T16:00:00+00:00"


def test_inbox_filters_by_group_and_user(engine: Engine, deployed: sessionmaker[Session]) -> None:
    _start(engine, deployed)
    with unit(deployed) as session:
        assert list_tasks(session, groups=["other:group"]) == []
        [task] = list_tasks(session, groups=["smoke:applicant"])
        claim_task(engine, session, task.id, user="alice", groups=["smoke:applicant"])
    with unit(deployed) as session:
        assert [t.id for t in list_tasks(session, user="alice")] == [task.id]
        assert list_tasks(session, user="bob") == []


def test_invalid_submission_changes_nothing(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        before = get_instance(session, instance_id).state
        [task] = list_tasks(session, instance_id=instance_id)
    with pytest.raises(InvalidInput) as caught, unit(deployed) as session:
        complete_task(engine, session, task.id, {"investmentWan": -1, "extra": "x"}, user="alice")
    fields = {e.field: e.message for e in caught.value.errors}
    assert set(fields) == {"investmentWan", "extra"}
    assert "不得小于 0" in fields["investmentWan"]
    with unit(deployed) as session:
        row = get_instance(session, instance_id)
        assert row.state == before
        assert [t.status for t in list_tasks(session, instance_id=instance_id)] == ["ready"]
        assert [a.action for a in audit_trail(session, instance_id)] == ["start"]


def test_complete_runs_decision_and_records_audit(engine: Engine, deployed: sessionmaker[Session],
                                                  clock: FakeClock) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = list_tasks(session, instance_id=instance_id)
        complete_task(engine, session, task.id, {"investmentWan": 500.0, "signedOn": "2025-09-30"}, user="alice")
    with unit(deployed) as session:
        row, instance = load(engine, session, instance_id)
        assert instance.data["route"] == "FULL"
        assert instance.data["investmentWan"] == Decimal("500.0")
        assert row.status == "waiting"  # on the working-day timer
        assert row.next_timer_due_at.isoformat() == "2025-10-14T16:00:00+00:00"
        done = list_tasks(session, instance_id=instance_id, status="completed")
        assert [(t.completed_by, t.data["investmentWan"]) for t in done] == [("alice", 500.0)]
        trail = audit_trail(session, instance_id)
        assert [a.action for a in trail] == ["start", "complete", "decide"]
        assert trail[1].data == {"investmentWan": 500.0, "signedOn": "2025-09-30"}
        assert trail[2].element == "Rule"
        assert trail[2].data["outputs"] == {"route": "FULL"}
        assert row.active_elements == ["Timer"]


def test_completing_a_task_twice_is_a_conflict(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = list_tasks(session, instance_id=instance_id)
        complete_task(engine, session, task.id, {"investmentWan": 1}, user="alice")
    with pytest.raises(Conflict), unit(deployed) as session:
        complete_task(engine, session, task.id, {"investmentWan": 1}, user="bob")


def test_a_completion_based_on_stale_state_is_a_conflict(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = list_tasks(session, instance_id=instance_id)
    late = deployed()
    try:
        # Bob's request reads the task and the instance before Alice's request commits.
        late.get(TaskRow, task.id)
        get_instance(late, instance_id)
        with unit(deployed) as session:
            complete_task(engine, session, task.id, {"investmentWan": 1}, user="alice")
        with pytest.raises(Conflict), lost_races_as_conflicts():
            complete_task(engine, late, task.id, {"investmentWan": 2}, user="bob")
            late.commit()
    finally:
        late.rollback()
        late.close()
    with unit(deployed) as session:
        done = list_tasks(session, instance_id=instance_id, status="completed")
        assert [(t.completed_by, t.data) for t in done] == [("alice", {"investmentWan": 1})]


def test_threads_completing_the_same_task_exactly_one_succeeds(engine: Engine,
                                                               deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = list_tasks(session, instance_id=instance_id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(user: str) -> None:
        barrier.wait()
        try:
            with unit(deployed) as session:
                complete_task(engine, session, task.id, {"investmentWan": 3, "signedOn": "2025-10-09"}, user=user)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=worker, args=(u,)) for u in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    with unit(deployed) as session:
        assert len(list_tasks(session, instance_id=instance_id, status="completed")) == 1


def test_claim_rules(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = list_tasks(session, instance_id=instance_id)
        with pytest.raises(PermissionDenied):
            claim_task(engine, session, task.id, user="eve", groups=["other:group"])
        claim_task(engine, session, task.id, user="alice")
        with pytest.raises(Conflict):
            claim_task(engine, session, task.id, user="bob")
        with pytest.raises(Conflict):
            complete_task(engine, session, task.id, {"investmentWan": 1}, user="bob")
        with pytest.raises(Conflict):
            unclaim_task(engine, session, task.id, user="bob")
        unclaim_task(engine, session, task.id, user="alice")
        assign_task(engine, session, task.id, assignee="carol", actor="lead")
        assert task.assignee == "carol"
        actions = [a.action for a in audit_trail(session, instance_id)]
    assert actions == ["start", "claim", "unclaim", "assign"]


def test_failing_script_puts_instance_in_error_and_retry_fixes_it(engine: Engine,
                                                                  deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed, "smoke_failing", divisor=0)
    with unit(deployed) as session:
        row = get_instance(session, instance_id)
        assert row.status == "error"
        assert row.error_element == "Task_Divide"
        assert "division by zero" in row.error_message
        assert list_tasks(session, instance_id=instance_id) == []
    with unit(deployed) as session:
        retry_instance(engine, session, instance_id, actor="admin", data={"divisor": 4})
    with unit(deployed) as session:
        row, instance = load(engine, session, instance_id)
        assert row.status == "running"
        assert row.error_element is None
        assert instance.data["ratio"] == 25
        assert [t.spec_id for t in list_tasks(session, instance_id=instance_id)] == ["Task_Check"]
        assert [a.action for a in audit_trail(session, instance_id)] == ["start", "error", "retry"]


def test_retry_of_a_healthy_instance_is_a_conflict(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with pytest.raises(Conflict), unit(deployed) as session:
        retry_instance(engine, session, instance_id, actor="admin")


def test_cancel_withdraws_open_tasks(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        cancel_instance(engine, session, instance_id, actor="admin", reason="撤回")
    with unit(deployed) as session:
        assert get_instance(session, instance_id).status == "cancelled"
        assert list_tasks(session, instance_id=instance_id) == []
        assert [t.status for t in list_tasks(session, instance_id=instance_id, status="cancelled")] == ["cancelled"]
    with pytest.raises(Conflict), unit(deployed) as session:
        cancel_instance(engine, session, instance_id, actor="admin")


def test_unknown_ids_are_not_found(engine: Engine, deployed: sessionmaker[Session]) -> None:
    with unit(deployed) as session:
        with pytest.raises(NotFound):
            get_instance(session, "0" * 32)
        with pytest.raises(NotFound):
            complete_task(engine, session, "nope", {}, user="a")
        with pytest.raises(NotFound):
            start_instance(engine, session, "nope", {}, actor="a")


def test_a_failing_due_date_expression_puts_the_instance_in_error(engine: Engine, sessions: sessionmaker[Session],
                                                                  tmp_path: Path) -> None:
    folder = tmp_path / "smoke"
    shutil.copytree(SMOKE, folder)
    path = folder / "smoke.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace("add_working_days(today(), 5)", "filedOn"))
    with unit(sessions) as session:
        deploy_bundle(engine, session, Bundle.from_directory(folder), "owner")
    instance_id = _start(engine, sessions)
    with unit(sessions) as session:
        row = get_instance(session, instance_id)
        assert (row.status, row.error_element) == ("error", "Task_Apply")
        assert "filedOn" in row.error_message
        assert [a.action for a in audit_trail(session, instance_id)] == ["start", "error"]


def test_task_form_returns_schema_and_ui_schema(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = list_tasks(session, instance_id=instance_id)
        schema, ui_schema = task_form(engine, session, task.id)
    assert schema["properties"]["investmentWan"]["title"] == "投资额（万元）"
    assert ui_schema == {}  # the smoke form has no uiSchema
