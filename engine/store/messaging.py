"""Tables of notifications: what each person was told, how they want to be told, and the e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base, UTCDateTime

__all__ = ["MailMessage", "Notification", "NotificationPreference", "TaskReminder"]


class Notification(Base):
    """One thing one person was told about a task: it arrived, came back, is due soon or is overdue.

    The project and step are copied in words when the row is written, so the list reads without joins
    and still reads the same after the task is done.
    """

    __tablename__ = "notification"
    # One notice per person, task and kind: a second assignment or a second scheduler adds nothing.
    __table_args__ = (UniqueConstraint("username", "task_id", "kind", name="uq_notification_user_task_kind"),
                      Index("ix_notification_user_read", "username", "read_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    task_id: Mapped[str] = mapped_column(String(36))
    instance_id: Mapped[str] = mapped_column(String(32))
    project: Mapped[str] = mapped_column(String(256))
    step: Mapped[str] = mapped_column(String(256))
    agency: Mapped[str | None] = mapped_column(String(256))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # False when the person turned this kind off in the app but still wants its e-mail.
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Waiting for the person's daily digest; cleared when the digest is queued.
    digest_pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class NotificationPreference(Base):
    """Which kinds a person wants in the app and by e-mail, and whether e-mail comes as one daily digest."""

    __tablename__ = "notification_preference"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    in_app: Mapped[list[str]] = mapped_column(JSON)
    email: Mapped[list[str]] = mapped_column(JSON)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MailMessage(Base):
    """An e-mail waiting to be sent, being sent, sent or given up on.

    Written in the unit of work that decided to send it; only the delivery job talks to the mail server.
    A job claims a row by a conditional UPDATE (`sending`, its claim token, a lease); a claim whose process
    died is taken over once the lease ends. `dedupe_key` makes a second writer of the same mail fail.
    """

    __tablename__ = "mail_message"
    __table_args__ = (Index("ix_mail_message_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaskReminder(Base):
    """That a task's due-soon or overdue reminder went out: once per task and kind, whoever scanned first."""

    __tablename__ = "task_reminder"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
