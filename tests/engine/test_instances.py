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
from engine.store.models import InstanceRow, TaskRow
from engine.tools.testing import TESTER
from engine.usecases.access import Actor
from engine.usecases.deployments import deploy_bundle
from engine.usecases.inbox import InboxQuery, inbox
from engine.usecases.instances import start_project
from engine.usecases.oversight import cancel, retry
from engine.usecases.state import get_instance, load
from engine.usecases.tasks import assign, claim, complete, instance_tasks, task_view, unclaim

from .helpers import SMOKE, deploy_smoke, unit

ALICE = Actor("alice", groups=frozenset({"smoke:applicant"}))
BOB = Actor("bob", groups=frozenset({"smoke:applicant"}))
EVE = Actor("eve", groups=frozenset({"other:group"}))


@pytest.fixture
def deployed(engine: Engine, sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    deploy_smoke(engine, sessions)
    return sessions


def _start(engine: Engine, sessions: sessionmaker[Session], process: str = "smoke", **data: object) -> str:
    with unit(sessions) as session:
        return start_project(engine, session, TESTER, process, data=dict(data), business_key="QY-1").id


def test_start_indexes_the_first_task_with_group_form_and_working_day_due_date(
        engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        row = get_instance(session, instance_id)
        assert row.status == "running"
        assert row.business_key == "QY-1"
        assert row.serializer_version.startswith("govflow-1")
        assert '"task_specs"' not in row.state  # the spec is stored once per version
        [task] = inbox(session, ALICE, InboxQuery(), engine.now()).rows
    assert (task.spec_id, task.name, task.form) == ("Task_Apply", "申报", "apply.schema.json")
    # 2025-09-30 + 5 working days = 2025-10-14 (National Day holiday, make-up days); due at its end.
    assert task.due_at.isoformat() == "2025-10-14T16:00:00+00:00"


def test_inbox_filters_by_group_and_user(engine: Engine, deployed: sessionmaker[Session]) -> None:
    _start(engine, deployed)
    with unit(deployed) as session:
        assert inbox(session, EVE, InboxQuery(), engine.now()).rows == []
        [task] = inbox(session, ALICE, InboxQuery(), engine.now()).rows
        claim(engine, session, ALICE, task.id)
    with unit(deployed) as session:
        assert [t.id for t in inbox(session, ALICE, InboxQuery(scope="mine"), engine.now()).rows] == [task.id]
        assert inbox(session, BOB, InboxQuery(scope="mine"), engine.now()).rows == []


def test_invalid_submission_changes_nothing(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        before = get_instance(session, instance_id).state
        [task] = instance_tasks(session, TESTER, instance_id)
    with pytest.raises(InvalidInput) as caught, unit(deployed) as session:
        complete(engine, session, ALICE, task.id, {"investmentWan": -1, "extra": "x"})
    fields = {e.field: e.message for e in caught.value.errors}
    assert set(fields) == {"investmentWan", "extra"}
    assert "不得小于 0" in fields["investmentWan"]
    with unit(deployed) as session:
        row = get_instance(session, instance_id)
        assert row.state == before
        assert [t.status for t in instance_tasks(session, TESTER, instance_id)] == ["ready"]
        assert [a.action for a in audit_trail(session, instance_id)] == ["start"]


def test_complete_runs_decision_and_records_audit(engine: Engine, deployed: sessionmaker[Session],
                                                  clock: FakeClock) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = instance_tasks(session, TESTER, instance_id)
        complete(engine, session, ALICE, task.id, {"investmentWan": 500.0, "signedOn": "2025-09-30"})
    with unit(deployed) as session:
        row, instance = load(engine, session, instance_id)
        assert instance.data["route"] == "FULL"
        assert instance.data["investmentWan"] == Decimal("500.0")
        assert row.status == "waiting"  # on the working-day timer
        assert row.next_timer_due_at.isoformat() == "2025-10-14T16:00:00+00:00"
        done = instance_tasks(session, TESTER, instance_id, "completed")
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
        [task] = instance_tasks(session, TESTER, instance_id)
        complete(engine, session, ALICE, task.id, {"investmentWan": 1})
    with pytest.raises(Conflict), unit(deployed) as session:
        complete(engine, session, BOB, task.id, {"investmentWan": 1})


def test_a_completion_based_on_stale_state_is_a_conflict(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = instance_tasks(session, TESTER, instance_id)
    late = deployed()
    try:
        # Bob's request reads the task and the instance before Alice's request commits.
        late.get(TaskRow, task.id)
        get_instance(late, instance_id)
        with unit(deployed) as session:
            complete(engine, session, ALICE, task.id, {"investmentWan": 1})
        with pytest.raises(Conflict), lost_races_as_conflicts():
            complete(engine, late, BOB, task.id, {"investmentWan": 2})
            late.commit()
    finally:
        late.rollback()
        late.close()
    with unit(deployed) as session:
        done = instance_tasks(session, TESTER, instance_id, "completed")
        assert [(t.completed_by, t.data) for t in done] == [("alice", {"investmentWan": 1})]


def test_threads_completing_the_same_task_exactly_one_succeeds(engine: Engine,
                                                               deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = instance_tasks(session, TESTER, instance_id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(actor: Actor) -> None:
        barrier.wait()
        try:
            with unit(deployed) as session:
                complete(engine, session, actor, task.id, {"investmentWan": 3, "signedOn": "2025-10-09"})
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=worker, args=(actor,)) for actor in (ALICE, BOB)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    with unit(deployed) as session:
        assert len(instance_tasks(session, TESTER, instance_id, "completed")) == 1


def test_claim_rules(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = instance_tasks(session, TESTER, instance_id)
        with pytest.raises(NotFound):  # outside the task's group, the task is not there to claim
            claim(engine, session, EVE, task.id)
        claim(engine, session, ALICE, task.id)
        with pytest.raises(Conflict):
            claim(engine, session, BOB, task.id)
        with pytest.raises(Conflict):
            complete(engine, session, BOB, task.id, {"investmentWan": 1})
        with pytest.raises(Conflict):
            unclaim(engine, session, BOB, task.id)
        unclaim(engine, session, ALICE, task.id)
        with pytest.raises(PermissionDenied):
            assign(engine, session, ALICE, task.id, "carol")
        assert assign(engine, session, TESTER, task.id, "carol").assignee == "carol"
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
        assert instance_tasks(session, TESTER, instance_id) == []
    with unit(deployed) as session:
        retry(engine, session, TESTER, instance_id, {"divisor": 4})
    with unit(deployed) as session:
        row, instance = load(engine, session, instance_id)
        assert row.status == "running"
        assert row.error_element is None
        assert instance.data["ratio"] == 25
        assert [t.spec_id for t in instance_tasks(session, TESTER, instance_id)] == ["Task_Check"]
        assert [a.action for a in audit_trail(session, instance_id)] == ["start", "error", "retry"]


def test_retry_of_a_healthy_instance_is_a_conflict(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with pytest.raises(Conflict), unit(deployed) as session:
        retry(engine, session, TESTER, instance_id)


def test_cancel_withdraws_open_tasks(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        cancel(engine, session, TESTER, instance_id, "撤回")
    with unit(deployed) as session:
        assert get_instance(session, instance_id).status == "cancelled"
        assert instance_tasks(session, TESTER, instance_id) == []
        assert [t.status for t in instance_tasks(session, TESTER, instance_id, "cancelled")] == ["cancelled"]
    with pytest.raises(Conflict), unit(deployed) as session:
        cancel(engine, session, TESTER, instance_id)


def test_unknown_ids_are_not_found(engine: Engine, deployed: sessionmaker[Session]) -> None:
    with unit(deployed) as session:
        with pytest.raises(NotFound):
            get_instance(session, "0" * 32)
        with pytest.raises(NotFound):
            complete(engine, session, TESTER, "nope", {})
        with pytest.raises(NotFound):
            start_project(engine, session, TESTER, "nope")


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
        [task] = instance_tasks(session, TESTER, instance_id)
        view = task_view(engine, session, TESTER, task.id)
    schema, ui_schema = view.schema, view.ui_schema
    assert schema["properties"]["investmentWan"]["title"] == "投资额（万元）"
    assert ui_schema == {}  # the smoke form has no uiSchema


def _refused_start(engine: Engine, sessions: sessionmaker[Session], process: str,
                   data: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught, unit(sessions) as session:
        start_project(engine, session, TESTER, process, data=data, business_key="QY-BAD")
    with unit(sessions) as session:  # refused: nothing was stored
        assert session.query(InstanceRow).filter_by(business_key="QY-BAD").count() == 0
    return [(e.field, e.message) for e in caught.value.errors]


def test_a_process_without_a_start_form_takes_no_start_data(engine: Engine,
                                                            deployed: sessionmaker[Session]) -> None:
    assert _refused_start(engine, deployed, "smoke", {"investmentWan": 10}) == [
        ("investmentWan", "未知字段「investmentWan」：此流程立项时不填写数据")]


def test_start_data_is_checked_against_the_start_form(engine: Engine, deployed: sessionmaker[Session]) -> None:
    assert _refused_start(engine, deployed, "smoke_failing", {"divisor": "x", "extra": 1}) == [
        ("extra", "未知字段「extra」"), ("divisor", "「除数」应填写整数")]
    deep: object = 1
    for _ in range(500):
        deep = [deep]
    assert _refused_start(engine, deployed, "smoke_failing", {"divisor": deep}) == [
        ("divisor", "嵌套层级超过 32 层")]


def test_of_three_claims_at_once_exactly_one_wins_and_one_claim_is_audited(
        engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = instance_tasks(session, TESTER, instance_id)
    claimants = [Actor(name, groups=frozenset({"smoke:applicant"})) for name in ("alice", "bob", "carol")]
    ready = threading.Barrier(len(claimants))
    outcomes: dict[str, str] = {}

    def claim_now(actor: Actor) -> None:
        session = deployed()
        try:
            with lost_races_as_conflicts():
                session.get(TaskRow, task.id)  # each request has read the unclaimed task
                ready.wait()
                claim(engine, session, actor, task.id)
                session.commit()
            outcomes[actor.username] = "won"
        except Conflict:
            outcomes[actor.username] = "409"
        finally:
            session.rollback()
            session.close()

    threads = [threading.Thread(target=claim_now, args=(actor,)) for actor in claimants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["409", "409", "won"]
    [winner] = [name for name, outcome in outcomes.items() if outcome == "won"]
    with unit(deployed) as session:
        assert session.get(TaskRow, task.id).assignee == winner
        claims = [e for e in audit_trail(session, instance_id) if e.action == "claim"]
        assert [e.actor for e in claims] == [winner]


def test_a_completion_racing_a_cancel_is_a_conflict_never_a_crash(engine: Engine,
                                                                  deployed: sessionmaker[Session]) -> None:
    outcomes: list[str] = []
    for n in range(5):
        with unit(deployed) as session:
            instance_id = start_project(engine, session, TESTER, "smoke", business_key=f"QY-RACE-{n}").id
            [task] = instance_tasks(session, TESTER, instance_id)
        both_loaded = threading.Barrier(2)

        def completing(task_id: str = task.id, barrier: threading.Barrier = both_loaded) -> None:
            try:
                with unit(deployed) as session:
                    barrier.wait()
                    complete(engine, session, TESTER, task_id, {"investmentWan": 10, "signedOn": "2025-09-30"})
                outcomes.append("completed")
            except Conflict:
                outcomes.append("409")

        def cancelling(target: str = instance_id, barrier: threading.Barrier = both_loaded) -> None:
            try:
                with unit(deployed) as session:
                    barrier.wait()
                    cancel(engine, session, TESTER, target, "撤回")
                outcomes.append("cancelled")
            except Conflict:
                outcomes.append("409")

        threads = [threading.Thread(target=completing), threading.Thread(target=cancelling)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    # Each race has one winner and one 409; any other exception would have escaped the threads' handlers
    # and left fewer than two outcomes per race.
    assert len(outcomes) == 10 and outcomes.count("409") == 5
