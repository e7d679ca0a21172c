"""Withdrawing (撤回) a completion: the instance rewinds while what followed is untouched, and refuses otherwise."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import Conflict, Engine, FakeClock, NotFound, PermissionDenied
from engine.store.audit import audit_trail
from engine.tools.consistency import check_consistency
from engine.tools.testing import TESTER
from engine.usecases.access import Actor
from engine.usecases.instances import start_project
from engine.usecases.oversight import cancel
from engine.usecases.state import get_instance, load
from engine.usecases.tasks import claim, complete, instance_tasks, task_view
from engine.usecases.timers import fire_due_timers
from engine.usecases.withdrawal import WithdrawRefused, withdraw, withdrawable

from .helpers import deploy_smoke, unit

ALICE = Actor("alice", groups=frozenset({"smoke:applicant"}))
BOB = Actor("bob", groups=frozenset({"smoke:applicant"}))
DORA = Actor("dora", groups=frozenset({"smoke:data_bureau"}))
EVE = Actor("eve", groups=frozenset({"other:group"}))


@pytest.fixture
def deployed(engine: Engine, sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    deploy_smoke(engine, sessions)
    return sessions


def _start(engine: Engine, sessions: sessionmaker[Session], process: str) -> str:
    with unit(sessions) as session:
        return start_project(engine, session, TESTER, process, business_key="QY-1").id


def _submit_acceptance(engine: Engine, deployed: sessionmaker[Session]) -> tuple[str, str]:
    instance_id = _start(engine, deployed, "smoke_acceptance")
    with unit(deployed) as session:
        [task] = instance_tasks(session, TESTER, instance_id)
        complete(engine, session, ALICE, task.id, {"confirmed": True})
    return instance_id, task.id


def test_withdrawing_rewinds_to_the_task_and_keeps_its_deadline(engine: Engine, deployed: sessionmaker[Session],
                                                                clock: FakeClock) -> None:
    instance_id = _start(engine, deployed, "smoke_acceptance")
    with unit(deployed) as session:
        _, instance = load(engine, session, instance_id)
        [(_, deadline)] = instance.waiting_timers()
        [task] = instance_tasks(session, TESTER, instance_id)
    clock.advance(timedelta(days=2))
    with unit(deployed) as session:
        complete(engine, session, ALICE, task.id, {"confirmed": True})
    with unit(deployed) as session:
        [accept] = instance_tasks(session, TESTER, instance_id)
        assert accept.spec_id == "Task_Accept"
        assert withdrawable(session, ALICE, instance_id).id == task.id  # type: ignore[union-attr]
        assert withdrawable(session, BOB, instance_id) is None
        again = withdraw(engine, session, ALICE, task.id)
    assert (again.status, again.assignee) == ("ready", "alice")
    with unit(deployed) as session:
        [open_task] = instance_tasks(session, TESTER, instance_id)
        assert open_task.id == task.id  # the same task, back in Alice's hands with what she submitted
        assert [t.status for t in instance_tasks(session, TESTER, instance_id, "cancelled")] == ["cancelled"]
        _, instance = load(engine, session, instance_id)
        assert instance.waiting_timers() == [("Timer_Overdue", deadline)]  # the statutory deadline did not move
        assert task_view(engine, session, ALICE, task.id).form_data == {"confirmed": True}
        trail = audit_trail(session, instance_id)
        assert [e.action for e in trail][-1] == "withdraw"
        assert trail[-1].data == {"withdrawn": ["Task_Accept"]}
        assert get_instance(session, instance_id).active_elements == ["Task_Submit"]
        assert check_consistency(engine, session, timers_fire_once=False).problems == []
    with unit(deployed) as session:
        complete(engine, session, ALICE, task.id, {"confirmed": True})
    with unit(deployed) as session:
        assert [t.spec_id for t in instance_tasks(session, TESTER, instance_id)] == ["Task_Accept"]


def test_withdrawing_while_the_instance_waits_on_a_timer(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed, "smoke")
    with unit(deployed) as session:
        [task] = instance_tasks(session, TESTER, instance_id)
        complete(engine, session, ALICE, task.id, {"investmentWan": 500, "signedOn": "2025-09-30"})
    with unit(deployed) as session:
        assert get_instance(session, instance_id).status == "waiting"
        withdraw(engine, session, ALICE, task.id)
    with unit(deployed) as session:
        row = get_instance(session, instance_id)
        assert (row.status, row.next_timer_due_at) == ("running", None)
        assert [t.id for t in instance_tasks(session, ALICE, instance_id)] == [task.id]


def test_a_claimed_next_task_refuses_the_withdrawal(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id, task_id = _submit_acceptance(engine, deployed)
    with unit(deployed) as session:
        [accept] = instance_tasks(session, TESTER, instance_id)
        claim(engine, session, DORA, accept.id)
    with pytest.raises(WithdrawRefused) as refused, unit(deployed) as session:
        withdraw(engine, session, ALICE, task_id)
    assert refused.value.reason == "next_claimed"
    assert "已被认领" in refused.value.message
    with unit(deployed) as session:
        assert withdrawable(session, ALICE, instance_id) is None
        assert [t.spec_id for t in instance_tasks(session, TESTER, instance_id)] == ["Task_Accept"]
        assert "withdraw" not in [e.action for e in audit_trail(session, instance_id)]


def test_a_later_completion_refuses_the_withdrawal(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id, task_id = _submit_acceptance(engine, deployed)
    with unit(deployed) as session:
        [accept] = instance_tasks(session, TESTER, instance_id)
        complete(engine, session, DORA, accept.id, {"passed": False})
    with pytest.raises(WithdrawRefused) as refused, unit(deployed) as session:
        withdraw(engine, session, ALICE, task_id)
    assert refused.value.reason == "later_completion"
    # Dora's own completion is the last one, and the rectification is untouched: hers may be withdrawn.
    with unit(deployed) as session:
        withdraw(engine, session, DORA, accept.id)
    with unit(deployed) as session:
        assert [t.spec_id for t in instance_tasks(session, TESTER, instance_id)] == ["Task_Accept"]


def test_only_the_clerk_who_completed_may_withdraw(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id, task_id = _submit_acceptance(engine, deployed)
    with pytest.raises(PermissionDenied), unit(deployed) as session:
        withdraw(engine, session, BOB, task_id)
    with pytest.raises(NotFound), unit(deployed) as session:
        withdraw(engine, session, EVE, task_id)
    with unit(deployed) as session:
        [accept] = instance_tasks(session, TESTER, instance_id)
    with pytest.raises(WithdrawRefused) as refused, unit(deployed) as session:
        withdraw(engine, session, DORA, accept.id)
    assert refused.value.reason == "not_completed"


def test_a_fired_deadline_or_a_closed_instance_refuses_the_withdrawal(
        engine: Engine, deployed: sessionmaker[Session], clock: FakeClock) -> None:
    instance_id = _start(engine, deployed, "smoke")
    with unit(deployed) as session:
        [task] = instance_tasks(session, TESTER, instance_id)
        complete(engine, session, ALICE, task.id, {"investmentWan": 500, "signedOn": "2025-09-30"})
    clock.advance(timedelta(days=30))
    with unit(deployed) as session:
        fire_due_timers(engine, session)
    with pytest.raises(WithdrawRefused) as refused, unit(deployed) as session:
        withdraw(engine, session, ALICE, task.id)
    assert refused.value.reason == "deadline_passed"
    with unit(deployed) as session:
        cancel(engine, session, TESTER, instance_id, "重复申报")
    with pytest.raises(WithdrawRefused) as refused, unit(deployed) as session:
        withdraw(engine, session, ALICE, task.id)
    assert refused.value.reason == "instance_closed"



def test_a_withdrawal_racing_a_claim_of_the_next_task_exactly_one_wins(engine: Engine,
                                                                      deployed: sessionmaker[Session]) -> None:
    instance_id, task_id = _submit_acceptance(engine, deployed)
    with unit(deployed) as session:
        [accept] = instance_tasks(session, TESTER, instance_id)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(name: str, action: Callable[[Session], object]) -> None:
        barrier.wait()
        try:
            with unit(deployed) as session:
                action(session)
            outcomes[name] = "ok"
        except Conflict:
            outcomes[name] = "refused"

    threads = [threading.Thread(target=attempt, args=("withdraw", lambda s: withdraw(engine, s, ALICE, task_id))),
               threading.Thread(target=attempt, args=("claim", lambda s: claim(engine, s, DORA, accept.id)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["ok", "refused"]
    with unit(deployed) as session:
        [open_task] = instance_tasks(session, TESTER, instance_id)
        if outcomes["withdraw"] == "ok":
            assert (open_task.id, open_task.assignee) == (task_id, "alice")
        else:
            assert (open_task.id, open_task.assignee) == (accept.id, "dora")
        assert check_consistency(engine, session, timers_fire_once=False).problems == []
