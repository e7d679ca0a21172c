"""Send the outbox's e-mails over SMTP: each one once across every app process, retried with backoff.

A job claims due rows with one conditional UPDATE (pending and due, or `sending` with an expired lease) that
marks them `sending` with its own token and a lease, and commits that before it talks to the mail server; on
PostgreSQL the rows are first locked with FOR UPDATE SKIP LOCKED, so two jobs never wait on each other. Only
rows still carrying its token after the claim are sent; the outcome is recorded under the same token. A
process that dies mid-send leaves its rows `sending` until the lease ends, then another job takes them over;
that is the one case in which a message can go out twice, and its Message-ID stays the same, so mail
clients show it once.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from hashlib import sha256
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.settings import SmtpSettings
from engine.spiff.runtime import Engine
from engine.store.db import unit_of_work
from engine.store.messaging import MailMessage

__all__ = ["LEASE", "MAX_ATTEMPTS", "DeliveryReport", "OutgoingMail", "backoff", "claim_mail", "deliver_due_mail",
           "record_failure", "record_sent", "send_mail"]

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
_FIRST_RETRY, _LONGEST_RETRY = timedelta(minutes=1), timedelta(hours=2)


@dataclass(frozen=True)
class OutgoingMail:
    """A claimed e-mail, copied out of its row so it can be sent with no session open."""

    id: int
    dedupe_key: str
    address: str
    subject: str
    body: str
    attempts: int


@dataclass(frozen=True)
class DeliveryReport:
    """What one run of the delivery job did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after the `attempts`-th failed try: one minute, doubling, at most two hours."""
    wait: timedelta = _FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(wait, _LONGEST_RETRY)


def _claimable(now: datetime) -> Any:
    return or_(and_(MailMessage.status == "pending", MailMessage.next_attempt_at <= now),
               and_(MailMessage.status == "sending", MailMessage.lease_until < now))


def claim_mail(session: Session, now: datetime, token: str, *, lease: timedelta = LEASE,
               limit: int = 50) -> list[OutgoingMail]:
    """Mark due e-mails `sending` under `token` for `lease`; return those this claim won."""
    ids = list(session.scalars(select(MailMessage.id).where(_claimable(now)).order_by(MailMessage.id)
                               .limit(limit).with_for_update(skip_locked=True)))
    if not ids:
        return []
    # The condition is checked again inside the UPDATE: of two jobs that saw the same rows, one changes them.
    session.execute(update(MailMessage).where(MailMessage.id.in_(ids), _claimable(now))
                    .values(status="sending", claimed_by=token, lease_until=now + lease,
                            attempts=MailMessage.attempts + 1)
                    .execution_options(synchronize_session=False))
    rows = session.scalars(select(MailMessage).where(MailMessage.id.in_(ids), MailMessage.claimed_by == token,
                                                     MailMessage.status == "sending")
                           .order_by(MailMessage.id).execution_options(populate_existing=True))
    return [OutgoingMail(r.id, r.dedupe_key, r.address, r.subject, r.body, r.attempts) for r in rows]


def record_sent(session: Session, mail_id: int, token: str, now: datetime) -> bool:
    """Mark a claimed e-mail sent; False when the claim was lost meanwhile (its lease ran out)."""
    result = cast(CursorResult[Any], session.execute(
        update(MailMessage).where(MailMessage.id == mail_id, MailMessage.claimed_by == token)
        .values(status="sent", sent_at=now, lease_until=None, last_error=None)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1


def record_failure(session: Session, mail: OutgoingMail, token: str, now: datetime, error: str) -> str:
    """Schedule a failed e-mail's next try after a backoff, or give up after MAX_ATTEMPTS; return its status."""
    status = "failed" if mail.attempts >= MAX_ATTEMPTS else "pending"
    session.execute(update(MailMessage).where(MailMessage.id == mail.id, MailMessage.claimed_by == token)
                    .values(status=status, next_attempt_at=now + backoff(mail.attempts), lease_until=None,
                            claimed_by=None, last_error=error[:2000])
                    .execution_options(synchronize_session=False))
    return status


def send_mail(smtp: SmtpSettings, mail: OutgoingMail, now: datetime) -> None:
    """Hand one e-mail to the configured SMTP server; raise whatever stops it."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = mail.address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now)
    domain = smtp.sender.rpartition("@")[2] or "govflow.localhost"
    # The same message keeps the same id on every try, so a copy sent twice after a crash shows once.
    message["Message-ID"] = f"<{sha256(mail.dedupe_key.encode()).hexdigest()[:32]}@{domain}>"
    message.set_content(mail.body)
    client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    try:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.user:
            client.login(smtp.user, smtp.password)
        client.send_message(message)
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            # The server took the message already: a failed goodbye must not make it a retry.
            client.close()


def deliver_due_mail(engine: Engine, sessions: sessionmaker[Session], *, limit: int = 10,
                     lease: timedelta = LEASE, rounds: int = 10) -> DeliveryReport:
    """Claim, send and record due e-mails; a job, so it commits each claim and each outcome on its own.

    A batch is small enough to be sent well within the lease even when every try waits out the SMTP timeout,
    so no other process takes over a row this one is still working through.
    """
    smtp = engine.settings.smtp
    if not smtp.enabled:
        return DeliveryReport()
    sent = retrying = failed = 0
    for _ in range(rounds):
        token = secrets.token_hex(16)  # one per claim: each batch has its own lease
        with unit_of_work(sessions) as session:
            batch = claim_mail(session, engine.now(), token, lease=lease, limit=limit)
        if not batch:
            break
        for mail in batch:
            try:
                send_mail(smtp, mail, engine.now())
            except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timed out: try again later
                with unit_of_work(sessions) as session:
                    status = record_failure(session, mail, token, engine.now(), f"{type(exc).__name__}: {exc}")
                failed, retrying = failed + (status == "failed"), retrying + (status == "pending")
                continue
            with unit_of_work(sessions) as session:
                record_sent(session, mail.id, token, engine.now())
            sent += 1
    return DeliveryReport(sent, retrying, failed)
