"""Delegation (委托): a user hands their tasks to a colleague for a period, and may end it early.

While a delegation is in force the delegate sees and works the delegator's tasks as the delegator would,
never more: the delegator's own access, narrowed to the delegation's jurisdiction or process when one is
given. Delegations do not chain, so a delegate's delegate gets nothing through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from engine.spiff.runtime import Engine
from engine.store.audit import record
from engine.store.models import Delegation, ProcessVersion, UserRow
from engine.usecases.access import Actor, Cover
from engine.usecases.snapshots import UserInfo

__all__ = ["DelegationInfo", "acting_actor", "colleagues", "covers_of", "delegate", "end_delegation",
           "list_delegations", "local_today", "scopes"]

_NOTE_LIMIT = 500
_LONGEST_DAYS = 366


@dataclass(frozen=True)
class DelegationInfo:
    """One delegation: who stands in for whom, when, for what, and whether it is in force today."""

    id: int
    delegator: str
    delegator_name: str
    delegate: str
    delegate_name: str
    starts_on: date
    ends_on: date
    bundle: str | None
    process_id: str | None
    note: str
    created_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    status: str  # scheduled | active | ended | expired


def local_today(engine: Engine) -> date:
    """Return today's date in the jurisdiction's time zone, by which delegation periods are counted."""
    return engine.now().astimezone(ZoneInfo(engine.settings.timezone)).date()


def delegate(engine: Engine, session: Session, actor: Actor, to: str, starts_on: date, ends_on: date, *,
             bundle: str | None = None, process_id: str | None = None, note: str = "") -> DelegationInfo:
    """Hand the actor's tasks to the active user `to` from `starts_on` to `ends_on` (both inclusive)."""
    errors: list[FieldError] = []
    colleague = session.scalar(select(UserRow).where(UserRow.username == to, UserRow.active.is_(True)))
    if colleague is None:
        errors.append(FieldError("delegate", "没有这个在用的用户"))
    elif colleague.username == actor.username:
        errors.append(FieldError("delegate", "不能委托给自己"))
    elif not actor.is_admin and colleague.username not in {u.username for u in colleagues(session, actor)}:
        errors.append(FieldError("delegate", "只能委托本辖区的同事（申报单位只能委托本单位同事）"))
    if ends_on < starts_on:
        errors.append(FieldError("ends_on", "结束日期不能早于开始日期"))
    elif ends_on < local_today(engine):
        errors.append(FieldError("ends_on", "结束日期已过"))
    elif (ends_on - starts_on).days >= _LONGEST_DAYS:
        errors.append(FieldError("ends_on", f"委托期限最长 {_LONGEST_DAYS} 天"))
    if process_id:
        version = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id).limit(1))
        if version is None or not _works_in(actor, version.bundle):
            errors.append(FieldError("process_id", "没有这个流程，或您不在其辖区"))
        elif bundle and version.bundle != bundle:
            errors.append(FieldError("process_id", "流程不属于所选辖区"))
    if bundle and not _works_in(actor, bundle):
        errors.append(FieldError("bundle", "您不在这个辖区办理任务"))
    if len(note) > _NOTE_LIMIT:
        errors.append(FieldError("note", f"最多 {_NOTE_LIMIT} 个字符"))
    if errors:
        raise InvalidInput(f"cannot delegate to {to!r}", errors)
    row = Delegation(delegator=actor.username, delegate=to, starts_on=starts_on, ends_on=ends_on,
                     bundle=bundle or None, process_id=process_id or None, note=note.strip(),
                     created_at=engine.now())
    session.add(row)
    session.flush()
    record(session, engine.now(), actor.username, "delegate", data={
        "delegation": row.id, "delegate": to, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
        "bundle": row.bundle, "process_id": row.process_id})
    return _info(session, row, local_today(engine))


def end_delegation(engine: Engine, session: Session, actor: Actor, delegation_id: int) -> DelegationInfo:
    """End a delegation early: the delegator (or an administrator) takes the tasks back today."""
    row = session.get(Delegation, delegation_id)
    if row is None or actor.username not in (row.delegator, row.delegate) and not actor.is_admin:
        raise NotFound(f"delegation {delegation_id} does not exist")
    if actor.username != row.delegator and not actor.is_admin:
        raise PermissionDenied("只有委托人可以结束委托")
    today = local_today(engine)
    if row.ended_at is not None or row.ends_on < today:
        raise Conflict("该委托已经结束")
    row.ended_at, row.ended_by = engine.now(), actor.username
    session.flush()
    record(session, engine.now(), actor.username, "end-delegation", data={
        "delegation": row.id, "delegator": row.delegator, "delegate": row.delegate})
    return _info(session, row, today)


def list_delegations(engine: Engine, session: Session, actor: Actor) -> list[DelegationInfo]:
    """Return the delegations the actor gave or received (administrators: all), newest first."""
    stmt = select(Delegation).order_by(Delegation.created_at.desc(), Delegation.id.desc())
    if not actor.is_admin:
        stmt = stmt.where(or_(Delegation.delegator == actor.username, Delegation.delegate == actor.username))
    today = local_today(engine)
    return [_info(session, row, today) for row in session.scalars(stmt.limit(200))]


def covers_of(session: Session, username: str, today: date) -> tuple[Cover, ...]:
    """Return the delegations in force today that `username` stands in under, each as its delegator's access."""
    rows = session.execute(select(Delegation, UserRow).join(UserRow, UserRow.username == Delegation.delegator).where(
        Delegation.delegate == username, Delegation.starts_on <= today, Delegation.ends_on >= today,
        Delegation.ended_at.is_(None), UserRow.active.is_(True)).order_by(Delegation.id)).all()
    # The delegator's actor carries no covers of its own: delegations never chain.
    return tuple(Cover(Actor.of(UserInfo.of(user)), row.bundle, row.process_id) for row, user in rows)


def acting_actor(engine: Engine, session: Session, user: UserInfo) -> Actor:
    """Return the actor a signed-in user acts as today, standing in for whoever delegated to them."""
    return Actor.of(user, covers_of(session, user.username, local_today(engine)))


def colleagues(session: Session, actor: Actor) -> list[UserInfo]:
    """Return the active users the actor may delegate to: colleagues of their jurisdictions (or of their unit)."""
    mine = _jurisdictions(actor)
    users = session.scalars(select(UserRow).where(UserRow.active.is_(True), UserRow.username != actor.username)
                            .order_by(UserRow.username))
    # A unit's projects stay within the unit: its clerks delegate to colleagues of the same unit only.
    return [UserInfo.of(user) for user in users if actor.is_admin or (
        mine & _jurisdictions(Actor.of(UserInfo.of(user))) and (actor.unit is None or user.unit == actor.unit))]


def scopes(session: Session, actor: Actor) -> list[tuple[str, str, str]]:
    """Return (jurisdiction, process id, process name) of every deployed process a delegation may be limited to."""
    newest: dict[str, tuple[int, str, str]] = {}
    for bundle, process_id, name, version in session.execute(
            select(ProcessVersion.bundle, ProcessVersion.process_id, ProcessVersion.name, ProcessVersion.version)):
        if _works_in(actor, bundle) and version > newest.get(process_id, (0, "", ""))[0]:
            newest[process_id] = (version, bundle, name)
    return sorted((bundle, process_id, name) for process_id, (_, bundle, name) in newest.items())


def _jurisdictions(actor: Actor) -> frozenset[str]:
    return actor.jurisdictions | ({actor.unit.split(":", 1)[0]} if actor.unit else set())


def _works_in(actor: Actor, bundle: str) -> bool:
    return actor.is_admin or bundle in _jurisdictions(actor)


def _info(session: Session, row: Delegation, today: date) -> DelegationInfo:
    names = {name: shown for name, shown in session.execute(select(UserRow.username, UserRow.display_name).where(
        UserRow.username.in_([row.delegator, row.delegate])))}
    if row.ended_at is not None:
        status = "ended"
    elif row.ends_on < today:
        status = "expired"
    else:
        status = "active" if row.starts_on <= today else "scheduled"
    return DelegationInfo(row.id, row.delegator, names.get(row.delegator, row.delegator), row.delegate,
                          names.get(row.delegate, row.delegate), row.starts_on, row.ends_on, row.bundle,
                          row.process_id, row.note, row.created_at, row.ended_at, row.ended_by, status)
