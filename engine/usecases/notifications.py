"""Tell people about their tasks: write notices (and e-mails to send) in the unit of work that made the news.

Nothing here talks to a mail server: an e-mail is a row in the outbox, sent later by the delivery job, so a
request that makes news never waits for one. Who is told: the assignee of a task, or else the clerks of its
group (of the owning unit, for an applicant group). A task coming back to a step someone already completed in
the same project is "returned" to that person; the rest of the group hear of it as a new task.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session

from engine.errors import FieldError, InvalidInput, NotFound
from engine.spiff.runtime import Engine
from engine.store.messaging import Notification, NotificationPreference
from engine.store.models import InstanceRow, TaskRow, UserRow
from engine.usecases.access import Actor, is_applicant_group
from engine.usecases.mailtext import queue_notice_mail
from engine.usecases.users import email_address

__all__ = ["KINDS", "NoticeInfo", "NoticePage", "Preferences", "announce_assigned", "announce_ready",
           "get_preferences", "list_notices", "mark_all_read", "mark_read", "notify", "notify_task_people",
           "set_preferences", "unread_count"]

KINDS = ("new_task", "assigned", "returned", "due_soon", "overdue")


@dataclass(frozen=True)
class NoticeInfo:
    """One notice as its reader sees it: the project and the step in words, and whether it was read."""

    id: int
    kind: str
    task_id: str
    instance_id: str
    project: str
    step: str
    agency: str | None
    due_at: datetime | None
    created_at: datetime
    read: bool

    @classmethod
    def of(cls, row: Notification) -> NoticeInfo:
        """Copy a stored notice."""
        return cls(row.id, row.kind, row.task_id, row.instance_id, row.project, row.step, row.agency, row.due_at,
                   row.created_at, row.read_at is not None)


@dataclass(frozen=True)
class NoticePage:
    """The newest notices of one person, and how many are unread in all."""

    items: tuple[NoticeInfo, ...]
    unread: int
    total: int


@dataclass(frozen=True)
class Preferences:
    """Which kinds a person wants in the app and by e-mail, as a digest or at once, and their address."""

    in_app: tuple[str, ...] = KINDS
    email: tuple[str, ...] = KINDS
    digest: bool = False
    address: str | None = None


def _preferences(session: Session, user: UserRow) -> Preferences:
    row = session.get(NotificationPreference, user.username)
    if row is None:
        return Preferences(address=user.email)
    return Preferences(tuple(k for k in KINDS if k in row.in_app), tuple(k for k in KINDS if k in row.email),
                       row.digest, user.email)


def _recipients(session: Session, task: TaskRow) -> list[UserRow]:
    """Return the active people a task is for: its assignee, or the clerks of its group."""
    if task.assignee:
        return list(session.scalars(select(UserRow).where(UserRow.username == task.assignee,
                                                          UserRow.active.is_(True))))
    if not task.candidate_group:
        return []
    # Groups are a JSON list: few enough people to filter here, and it reads alike on every database.
    found = []
    for user in session.scalars(select(UserRow).where(UserRow.active.is_(True), UserRow.role == "clerk")
                                .order_by(UserRow.username)):
        if task.candidate_group not in (user.groups or ()):
            continue
        if is_applicant_group(task.candidate_group) and (user.unit is None or user.unit != task.unit):
            continue
        found.append(user)
    return found


def _project(session: Session, task: TaskRow) -> str:
    if task.project_name:
        return task.project_name
    # Before the applicant names the project, the process's own name says what it is.
    instance = session.get(InstanceRow, task.instance_id)
    return instance.process_version.name if instance is not None else task.process_id


def notify(engine: Engine, session: Session, task: TaskRow, users: Iterable[UserRow], kind: str,
           now: datetime) -> int:
    """Tell each user about a task once per kind, in the app and by e-mail as they prefer; return how many."""
    project, told = _project(session, task), 0
    for user in users:
        wanted = _preferences(session, user)
        # With no mail server configured, e-mail is off: nothing piles up to flood out when it is turned on.
        by_mail = engine.settings.smtp.enabled and kind in wanted.email and bool(user.email)
        in_app = kind in wanted.in_app
        if not (in_app or by_mail):
            continue
        exists = session.scalar(select(Notification.id).where(
            Notification.username == user.username, Notification.task_id == task.id, Notification.kind == kind))
        if exists is not None:
            continue
        notice = Notification(username=user.username, kind=kind, task_id=task.id, instance_id=task.instance_id,
                              project=project[:256], step=task.name[:256], agency=task.lane, due_at=task.due_at,
                              created_at=now, in_app=in_app, digest_pending=by_mail and wanted.digest)
        session.add(notice)
        session.flush()  # the id names the e-mail, so a second writer of the same mail fails
        if by_mail and not wanted.digest and user.email:
            queue_notice_mail(engine, session, notice, user.email, now)
        told += 1
    return told


def notify_task_people(engine: Engine, session: Session, task: TaskRow, kind: str, now: datetime) -> int:
    """Tell everyone a task is for (its assignee, or its group's clerks) about it; return how many were told."""
    return notify(engine, session, task, _recipients(session, task), kind, now)


def announce_ready(engine: Engine, session: Session, tasks: Sequence[TaskRow], now: datetime,
                   skip: str | None = None) -> None:
    """Tell people about tasks that just became ready: returned to whoever did the step before, else new.

    `skip` is the person whose own action made them ready: they know already.
    """
    for task in tasks:
        people = [user for user in _recipients(session, task) if user.username != skip]
        before = session.scalar(select(TaskRow.completed_by).where(
            TaskRow.instance_id == task.instance_id, TaskRow.spec_id == task.spec_id, TaskRow.status == "completed",
            TaskRow.id != task.id).order_by(TaskRow.completed_at.desc()).limit(1))
        returned = [user for user in people if user.username == before]
        if returned:
            notify(engine, session, task, returned, "returned", now)
        notify(engine, session, task, [user for user in people if user.username != before],
               "assigned" if task.assignee else "new_task", now)


def announce_assigned(engine: Engine, session: Session, task: TaskRow, assignee: str, now: datetime) -> None:
    """Tell someone a task was assigned to them."""
    user = session.scalar(select(UserRow).where(UserRow.username == assignee, UserRow.active.is_(True)))
    if user is not None:
        notify(engine, session, task, [user], "assigned", now)


def _mine(actor: Actor) -> ColumnElement[bool]:
    return and_(Notification.username == actor.username, Notification.in_app.is_(True))


def list_notices(session: Session, actor: Actor, *, unread_only: bool = False, limit: int = 50,
                 offset: int = 0) -> NoticePage:
    """Return the actor's newest notices (nobody else's), with the unread count."""
    query = select(Notification).where(_mine(actor))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                           .limit(limit).offset(offset))
    return NoticePage(tuple(NoticeInfo.of(row) for row in rows), unread_count(session, actor), total)


def unread_count(session: Session, actor: Actor) -> int:
    """Return how many of the actor's notices are unread."""
    return session.scalar(select(func.count(Notification.id)).where(
        _mine(actor), Notification.read_at.is_(None))) or 0


def mark_read(engine: Engine, session: Session, actor: Actor, notice_id: int) -> NoticeInfo:
    """Mark one of the actor's notices read; someone else's is reported as not found."""
    row = session.get(Notification, notice_id)
    if row is None or row.username != actor.username or not row.in_app:
        raise NotFound(f"notification {notice_id} does not exist")
    if row.read_at is None:
        row.read_at = engine.now()
        session.flush()
    return NoticeInfo.of(row)


def mark_all_read(engine: Engine, session: Session, actor: Actor) -> int:
    """Mark every unread notice of the actor read; return how many."""
    result = session.execute(update(Notification).where(_mine(actor), Notification.read_at.is_(None))
                             .values(read_at=engine.now()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def get_preferences(session: Session, actor: Actor) -> Preferences:
    """Return the actor's notification preferences (everything, at once, when never set)."""
    return _preferences(session, _user(session, actor))


def set_preferences(engine: Engine, session: Session, actor: Actor, preferences: Preferences) -> Preferences:
    """Store the actor's preferences and e-mail address; an unknown kind or a malformed address changes nothing."""
    errors = [FieldError(field, f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
              for field, kinds in (("in_app", preferences.in_app), ("email", preferences.email))
              for kind in kinds if kind not in KINDS]
    try:
        address = email_address(preferences.address)
    except ValueError:
        address = None
        errors.append(FieldError("address", "not an e-mail address"))
    if preferences.digest and address is None:
        errors.append(FieldError("digest", "a daily digest needs an e-mail address"))
    if errors:
        raise InvalidInput("cannot save notification preferences", errors)
    user = _user(session, actor)
    user.email = address
    row = session.get(NotificationPreference, actor.username)
    if row is None:
        row = NotificationPreference(username=actor.username)
        session.add(row)
    row.in_app = [k for k in KINDS if k in preferences.in_app]
    row.email = [k for k in KINDS if k in preferences.email]
    row.digest, row.updated_at = preferences.digest, engine.now()
    session.flush()
    return _preferences(session, user)


def _user(session: Session, actor: Actor) -> UserRow:
    user = session.scalar(select(UserRow).where(UserRow.username == actor.username))
    if user is None:
        raise NotFound(f"user {actor.username} does not exist")
    return user

