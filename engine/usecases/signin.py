"""Signing in and out: throttled password checks and sign-in sessions held on the server.

A browser session or an API token is a random secret the client holds; the server keeps only its
SHA-256 in `sign_in_session`, so signing out, a new password (the session keeps a stamp of the one
it was opened with) or an administrator's "sign out everywhere" ends every copy of it. Failed
sign-ins are counted per account and per client address in the database, so the limit holds across
every app process sharing it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from engine.errors import NotAuthenticated, TooManyAttempts
from engine.store.models import SignInFailure, SignInSession
from engine.usecases.access import Actor, require_role
from engine.usecases.snapshots import UserInfo
from engine.usecases.users import active_user, authenticate

__all__ = ["SignIn", "ThrottleRule", "end_all_sessions", "end_session", "note_failed_sign_in", "session_user",
           "sign_in"]

BROWSER, TOKEN = "browser", "token"


@dataclass(frozen=True)
class ThrottleRule:
    """How many failures within `window` lock an account or an address out until the oldest ages out."""

    per_account: int = 5
    per_address: int = 30
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class SignIn:
    """A signed-in user and the secret the client keeps (a cookie value or a bearer token)."""

    user: UserInfo
    secret: str


def _subjects(username: str, address: str | None) -> tuple[str, str | None]:
    return f"user:{username.strip().lower()[:150]}", f"address:{address[:150]}" if address else None


def _check_throttle(session: Session, username: str, address: str | None, now: datetime,
                    rule: ThrottleRule) -> None:
    account, client = _subjects(username, address)
    since = now - rule.window
    for subject, limit in ((account, rule.per_account), (client, rule.per_address)):
        if subject is None:
            continue
        count, oldest = session.execute(
            select(func.count(), func.min(SignInFailure.at))
            .where(SignInFailure.subject == subject, SignInFailure.at > since)).one()
        if count >= limit:
            wait = max(1, int((oldest + rule.window - now).total_seconds()) + 1)
            raise TooManyAttempts(f"too many failed sign-ins; try again in {wait} seconds", wait)


def sign_in(session: Session, username: str, password: str, *, kind: str, address: str | None, now: datetime,
            rule: ThrottleRule = ThrottleRule()) -> SignIn:
    """Check the password under the throttle and open a sign-in session; raise NotAuthenticated otherwise.

    A failure is not recorded here (the caller's unit of work rolls back on the error): the caller records
    it with `note_failed_sign_in` in a unit of its own.
    """
    _check_throttle(session, username, address, now, rule)
    user = authenticate(session, username, password)
    secret = secrets.token_urlsafe(32)
    session.add(SignInSession(id=_digest(secret), username=user.username, kind=kind, created_at=now,
                              credential_stamp=user.credential_stamp))
    account, _ = _subjects(username, address)
    session.execute(delete(SignInFailure).where(SignInFailure.subject == account))
    return SignIn(user, secret)


def note_failed_sign_in(session: Session, username: str, address: str | None, now: datetime,
                        rule: ThrottleRule = ThrottleRule()) -> None:
    """Count a failed sign-in against the account and the address; forget failures older than the window."""
    session.execute(delete(SignInFailure).where(SignInFailure.at <= now - rule.window))
    session.add_all([SignInFailure(subject=subject, at=now)
                     for subject in _subjects(username, address) if subject is not None])


def session_user(session: Session, secret: str, *, kind: str, max_age: timedelta, now: datetime) -> UserInfo:
    """Return the active user of an open sign-in session; NotAuthenticated for an ended, expired or unknown one."""
    row = session.get(SignInSession, _digest(secret))
    if row is None or row.ended_at is not None or row.kind != kind:
        raise NotAuthenticated("the sign-in has ended; sign in again")
    if row.created_at + max_age < now:
        raise NotAuthenticated("the sign-in has expired; sign in again")
    try:
        info = active_user(session, row.username)
    except NotAuthenticated:
        raise NotAuthenticated("the sign-in has ended; sign in again") from None  # deleted or deactivated
    if not hmac.compare_digest(info.credential_stamp, row.credential_stamp):
        raise NotAuthenticated("the password has changed since this sign-in; sign in again")
    return info


def end_session(session: Session, secret: str, now: datetime) -> None:
    """End one sign-in session (signing out): every copy of its cookie or token stops working."""
    session.execute(update(SignInSession).where(SignInSession.id == _digest(secret), SignInSession.ended_at.is_(None))
                    .values(ended_at=now))


def end_all_sessions(session: Session, actor: Actor, username: str, now: datetime) -> int:
    """End every sign-in session of a user (administrators, or the user themself); return how many."""
    if actor.username != username:
        require_role(actor, ("admin",), "signing someone out everywhere")
    result = cast(CursorResult[Any], session.execute(
        update(SignInSession).where(SignInSession.username == username, SignInSession.ended_at.is_(None))
        .values(ended_at=now)))
    return result.rowcount


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
