"""Scheduled notices: due-soon and overdue reminders once per task and kind, and each person's daily digest.

Both run in the scheduler job's unit of work. A reminder is claimed by inserting its (task, kind) key, a
digest by inserting its (person, day) outbox key, each in a savepoint: of two app processes scanning at once,
the second insert fails and that process leaves the work to the first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.spiff.runtime import Engine
from engine.store.messaging import MailMessage, Notification, TaskReminder
from engine.store.models import TaskRow, UserRow
from engine.usecases.inbox import DUE_SOON
from engine.usecases.mailtext import digest_key, queue_digest_mail
from engine.usecases.notifications import notify_task_people

__all__ = ["queue_digests", "remind_due_tasks"]


def remind_due_tasks(engine: Engine, session: Session, now: datetime | None = None, *,
                     soon: timedelta = DUE_SOON, limit: int = 500) -> list[tuple[str, str]]:
    """Tell people about ready tasks that became due soon or overdue; return the (task, kind) pairs reminded."""
    moment = now or engine.now()
    done: list[tuple[str, str]] = []
    for kind, window in (("overdue", TaskRow.due_at <= moment), ("due_soon", TaskRow.due_at > moment)):
        reminded = exists().where(TaskReminder.task_id == TaskRow.id, TaskReminder.kind == kind)
        query = (select(TaskRow).where(TaskRow.status == "ready", TaskRow.due_at <= moment + soon, window, ~reminded)
                 .order_by(TaskRow.due_at).limit(limit))
        for task in list(session.scalars(query)):
            savepoint = session.begin_nested()
            try:
                session.add(TaskReminder(task_id=task.id, kind=kind, at=moment))
                session.flush()
            except IntegrityError:
                savepoint.rollback()  # another process reminded of it first
                continue
            notify_task_people(engine, session, task, kind, moment)
            savepoint.commit()
            done.append((task.id, kind))
    return done


def queue_digests(engine: Engine, session: Session, now: datetime | None = None) -> list[str]:
    """From the digest hour on, queue each person's digest of the notices waiting for it; return who got one.

    One digest per person and local day: notices arriving after today's went out wait for tomorrow's.
    """
    moment = now or engine.now()
    local = moment.astimezone(ZoneInfo(engine.settings.timezone))
    if local.hour < engine.settings.smtp.digest_hour:
        return []
    day = local.date()
    queued: list[str] = []
    waiting = session.scalars(select(Notification.username).where(Notification.digest_pending.is_(True))
                              .distinct().order_by(Notification.username))
    for username in list(waiting):
        key = digest_key(username, day)
        if session.scalar(select(MailMessage.id).where(MailMessage.dedupe_key == key)) is not None:
            continue
        savepoint = session.begin_nested()
        notices = list(session.scalars(select(Notification).where(
            Notification.username == username, Notification.digest_pending.is_(True))
            .order_by(Notification.created_at, Notification.id)))
        address = session.scalar(select(UserRow.email).where(UserRow.username == username))
        for notice in notices:
            notice.digest_pending = False
        if address and engine.settings.smtp.enabled:
            queue_digest_mail(engine, session, username, address, day, notices, moment)
        try:
            session.flush()
        except IntegrityError:
            savepoint.rollback()  # another process queued this digest first
            continue
        savepoint.commit()
        if address:
            queued.append(username)
    return queued
