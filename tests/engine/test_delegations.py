"""Group leaders hand tasks to members, and delegations (委托) let a colleague stand in for a period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import Conflict, Engine, FakeClock, InvalidInput, NotFound, PermissionDenied
from engine.store.audit import audit_trail
from engine.tools.testing import TESTER
from engine.usecases.access import Actor
from engine.usecases.delegations import acting_actor, delegate, end_delegation, list_delegations
from engine.usecases.inbox import InboxQuery, inbox
from engine.usecases.instances import start_project
from engine.usecases.tasks import assign, claim, complete, group_members, instance_tasks
from engine.usecases.users import create_user, get_user, set_leader

from .helpers import deploy_smoke, unit

TODAY = date(2025, 9, 30)  # the fake clock's local date


@pytest.fixture
def deployed(engine: Engine, sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        for name, groups, leads in (("lead", ["smoke:applicant"], ["smoke:applicant"]),
                                    ("alice", ["smoke:applicant"], []), ("bob", ["smoke:applicant"], []),
                                    ("dora", ["smoke:data_bureau"], []), ("eve", ["other:group", "smoke:x"], [])):
            create_user(engine, session, name, "long-enough", groups=groups, leads=leads, password_hash="x")
        create_user(engine, session, "uma", "long-enough", groups=["smoke:applicant_unit"], unit="smoke:unit_a",
                    password_hash="x")
        create_user(engine, session, "ulf", "long-enough", groups=["smoke:applicant_unit"], unit="smoke:unit_b",
                    password_hash="x")
    return sessions


def _as(engine: Engine, session: Session, name: str) -> Actor:
    return acting_actor(engine, session, get_user(session, name))


def _start(engine: Engine, sessions: sessionmaker[Session], process: str = "smoke") -> str:
    with unit(sessions) as session:
        return start_project(engine, session, TESTER, process, business_key="QY-1").id


def test_a_leader_assigns_a_group_task_to_a_member_and_back(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        leader = _as(engine, session, "lead")
        [task] = instance_tasks(session, leader, instance_id)
        assert [u.username for u in group_members(session, leader, task.id)] == ["alice", "bob", "lead"]
        assert assign(engine, session, leader, task.id, "alice").assignee == "alice"
    with unit(deployed) as session:
        leader = _as(engine, session, "lead")
        assert assign(engine, session, leader, task.id, "bob").assignee == "bob"  # reassigned
        assert [t.id for t in inbox(session, _as(engine, session, "bob"), InboxQuery(scope="mine"),
                                    engine.now()).rows] == [task.id]
        assert assign(engine, session, leader, task.id, None).assignee is None  # back to the group
        trail = [e for e in audit_trail(session, instance_id) if e.action == "assign"]
    assert [(e.actor, e.data) for e in trail] == [
        ("lead", {"assignee": "alice", "previous": None}), ("lead", {"assignee": "bob", "previous": "alice"}),
        ("lead", {"assignee": None, "previous": "bob"})]


def test_assigning_is_refused_to_non_leaders_and_outside_the_group(engine: Engine,
                                                                   deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = instance_tasks(session, TESTER, instance_id)
        with pytest.raises(PermissionDenied):
            assign(engine, session, _as(engine, session, "alice"), task.id, "bob")
        with pytest.raises(InvalidInput) as caught:
            assign(engine, session, _as(engine, session, "lead"), task.id, "dora")
        assert [e.field for e in caught.value.errors] == ["assignee"]
        with pytest.raises(InvalidInput):
            assign(engine, session, _as(engine, session, "lead"), task.id, "nobody")
        with pytest.raises(NotFound):
            assign(engine, session, _as(engine, session, "eve"), task.id, "alice")
        claim(engine, session, _as(engine, session, "alice"), task.id)
    with unit(deployed) as session:
        # A completed task is nobody's to hand on any more: a conflict (409).
        complete(engine, session, _as(engine, session, "alice"), task.id, {"investmentWan": 1,
                                                                            "signedOn": "2025-09-30"})
        with pytest.raises(Conflict):
            assign(engine, session, _as(engine, session, "lead"), task.id, "bob")


def test_set_leader_needs_an_administrator_and_a_member(engine: Engine, deployed: sessionmaker[Session]) -> None:
    with unit(deployed) as session:
        with pytest.raises(PermissionDenied):
            set_leader(engine, session, _as(engine, session, "lead"), "alice", "smoke:applicant")
        with pytest.raises(InvalidInput):
            set_leader(engine, session, TESTER, "dora", "smoke:applicant")
        assert set_leader(engine, session, TESTER, "alice", "smoke:applicant").leads == ("smoke:applicant",)
        assert set_leader(engine, session, TESTER, "lead", "smoke:applicant", leads=False).leads == ()


def test_a_delegate_sees_and_completes_the_delegators_tasks_on_their_behalf(
        engine: Engine, deployed: sessionmaker[Session], clock: FakeClock) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        [task] = instance_tasks(session, TESTER, instance_id)
        claim(engine, session, _as(engine, session, "alice"), task.id)
        assert inbox(session, _as(engine, session, "dora"), InboxQuery(), engine.now()).rows == []
        given = delegate(engine, session, _as(engine, session, "alice"), "dora", TODAY, TODAY + timedelta(days=6),
                         note="休假")
    assert given.status == "active"
    with unit(deployed) as session:
        dora = _as(engine, session, "dora")
        assert [t.id for t in inbox(session, dora, InboxQuery(), engine.now()).rows] == [task.id]
        assert dora.standing_in_for(instance_tasks(session, TESTER, instance_id)[0]) == "alice"
        complete(engine, session, dora, task.id, {"investmentWan": 1, "signedOn": "2025-09-30"})
    with unit(deployed) as session:
        [done] = [e for e in audit_trail(session, instance_id) if e.action == "complete"]
        assert (done.actor, done.on_behalf_of) == ("dora", "alice")
        assert [d.delegate for d in list_delegations(engine, session, _as(engine, session, "dora"))] == ["dora"]


def test_a_delegation_is_bounded_by_its_period_scope_and_the_delegators_access(
        engine: Engine, deployed: sessionmaker[Session], clock: FakeClock) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        later = delegate(engine, session, _as(engine, session, "alice"), "eve", TODAY + timedelta(days=2),
                         TODAY + timedelta(days=3))
        scoped = delegate(engine, session, _as(engine, session, "dora"), "eve", TODAY, TODAY,
                          process_id="smoke_acceptance")
    assert (later.status, scoped.status) == ("scheduled", "active")
    with unit(deployed) as session:
        # Not yet Alice's stand-in; Dora's delegation covers another process and Dora sees no applicant task.
        assert inbox(session, _as(engine, session, "eve"), InboxQuery(), engine.now()).rows == []
    clock.advance(timedelta(days=2))
    with unit(deployed) as session:
        eve = _as(engine, session, "eve")
        assert [t.instance_id for t in inbox(session, eve, InboxQuery(), engine.now()).rows] == [instance_id]
        assert eve.groups == frozenset({"other:group", "smoke:x"})  # standing in widens nothing of Eve's own
    clock.advance(timedelta(days=2))
    with unit(deployed) as session:
        assert inbox(session, _as(engine, session, "eve"), InboxQuery(), engine.now()).rows == []


def test_ending_a_delegation_early(engine: Engine, deployed: sessionmaker[Session]) -> None:
    instance_id = _start(engine, deployed)
    with unit(deployed) as session:
        given = delegate(engine, session, _as(engine, session, "alice"), "dora", TODAY, TODAY + timedelta(days=6))
    with unit(deployed) as session:
        with pytest.raises(PermissionDenied):
            end_delegation(engine, session, _as(engine, session, "dora"), given.id)
        with pytest.raises(NotFound):
            end_delegation(engine, session, _as(engine, session, "bob"), given.id)
        assert end_delegation(engine, session, _as(engine, session, "alice"), given.id).status == "ended"
    with unit(deployed) as session:
        assert inbox(session, _as(engine, session, "dora"), InboxQuery(), engine.now()).rows == []
        with pytest.raises(NotFound):  # the project is Alice's group's again, out of Dora's sight
            instance_tasks(session, _as(engine, session, "dora"), instance_id)
        with pytest.raises(Conflict):
            end_delegation(engine, session, _as(engine, session, "alice"), given.id)


def test_a_delegation_checks_its_fields(engine: Engine, deployed: sessionmaker[Session]) -> None:
    with unit(deployed) as session:
        alice = _as(engine, session, "alice")
        for kwargs, field in ((dict(to="alice"), "delegate"), (dict(to="ghost"), "delegate"),
                              (dict(ends_on=TODAY - timedelta(days=1)), "ends_on"),
                              (dict(starts_on=TODAY - timedelta(days=9), ends_on=TODAY - timedelta(days=2)),
                               "ends_on"),
                              (dict(bundle="qingyang"), "bundle"), (dict(process_id="nowhere"), "process_id")):
            args = {"to": "dora", "starts_on": TODAY, "ends_on": TODAY, **kwargs}
            with pytest.raises(InvalidInput) as caught:
                delegate(engine, session, alice, args.pop("to"), args.pop("starts_on"), args.pop("ends_on"), **args)
            assert field in [e.field for e in caught.value.errors], kwargs
        assert list_delegations(engine, session, alice) == []
        # A unit's clerk hands its projects to a colleague of the same unit only.
        with pytest.raises(InvalidInput) as caught:
            delegate(engine, session, _as(engine, session, "uma"), "ulf", TODAY, TODAY)
        assert [e.field for e in caught.value.errors] == ["delegate"]
