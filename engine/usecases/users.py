"""Users, roles, units and candidate groups; passwords hashed with scrypt."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.conventions import APPLICANT_ROLE, GROUP_SEPARATOR, group_jurisdiction, group_name, group_role
from engine.errors import Conflict, FieldError, InvalidInput, NotAuthenticated, NotFound
from engine.spiff.runtime import Engine
from engine.store.audit import record
from engine.store.models import UserRow
from engine.usecases.access import Actor, require_role
from engine.usecases.deployments import list_versions
from engine.usecases.snapshots import UserInfo

__all__ = ["DEMO_PASSWORD", "ROLES", "active_user", "actor_of", "authenticate", "create_demo_users", "create_user",
           "email_address", "get_user", "hash_password", "list_users", "set_leader", "verify_password"]

ROLES = ("clerk", "process_owner", "admin")
DEMO_PASSWORD = "govflow-demo"
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")
_GROUP = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")
_ADDRESS_LIMIT = 254
# scrypt work factors: about 16 MiB and tens of milliseconds per check on a small machine.
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """Return a salted scrypt hash that records its parameters."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Tell whether `password` matches a stored hash, in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                               dklen=32)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def email_address(value: str | None) -> str | None:
    """Return a trimmed e-mail address (None for an empty one); raise ValueError for a malformed one.

    One @ between a local part and a domain, no spaces or header punctuation: the mail server says the rest.
    """
    address = (value or "").strip()
    if not address:
        return None
    local, _, domain = address.partition("@")
    if (len(address) > _ADDRESS_LIMIT or not local or not domain or "@" in domain
            or any(c.isspace() or c in "<>,;\"()[]\\" for c in address)):
        raise ValueError(f"{address!r} is not an e-mail address")
    return address


def create_user(engine: Engine, session: Session, username: str, password: str, *, groups: Iterable[str] = (),
                unit: str | None = None, role: str = "clerk", display_name: str | None = None,
                email: str | None = None, leads: Iterable[str] = (), password_hash: str | None = None) -> UserInfo:
    """Create a user; every field is checked and a taken name is a Conflict.

    `password_hash`, when given, is the hash of `password` already computed (demo users share one).
    """
    group_list = [g.strip() for g in groups if g.strip()]
    errors = []
    try:
        address = email_address(email)
    except ValueError:
        address = None
        errors.append(FieldError("email", "not an e-mail address"))
    if not _USERNAME.match(username):
        errors.append(FieldError("username", "lower-case letters, digits, '.', '_' or '-', 2 to 64 characters"))
    if len(password) < 8:
        errors.append(FieldError("password", "at least 8 characters"))
    if role not in ROLES:
        errors.append(FieldError("role", f"one of {', '.join(ROLES)}"))
    errors += [FieldError("groups", f"'{g}' is not <jurisdiction>:<role>") for g in group_list if not _GROUP.match(g)]
    lead_list = sorted({g.strip() for g in leads if g.strip()})
    errors += [FieldError("leads", f"'{g}' is not one of the user's groups") for g in lead_list if g not in group_list]
    if errors:
        raise InvalidInput(f"cannot create user {username!r}", errors)
    if session.scalar(select(UserRow).where(UserRow.username == username)) is not None:
        raise Conflict(f"user {username} already exists")
    user = UserRow(username=username, display_name=display_name or username,
                   password_hash=password_hash or hash_password(password), role=role, unit=unit,
                   groups=sorted(set(group_list)), active=True, created_at=engine.now(), email=address,
                   leads=lead_list)
    session.add(user)
    session.flush()
    return UserInfo.of(user)


def set_leader(engine: Engine, session: Session, actor: Actor, username: str, group: str,
               leads: bool = True) -> UserInfo:
    """Make a member of `group` one of its leaders, or stop them leading it (administrators)."""
    require_role(actor, ("admin",), "naming group leaders")
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise NotFound(f"user {username} does not exist")
    if group not in (user.groups or []):
        raise InvalidInput(f"{username} is not in {group}", [FieldError("group", f"{username} is not in {group}")])
    user.leads = sorted(set(user.leads or []) | {group}) if leads else [g for g in user.leads or [] if g != group]
    session.flush()
    record(session, engine.now(), actor.username, "lead" if leads else "unlead",
           data={"user": username, "group": group})
    return UserInfo.of(user)


def get_user(session: Session, username: str) -> UserInfo:
    """Return a user by name, active or not."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise NotFound(f"user {username} does not exist")
    return UserInfo.of(user)


def active_user(session: Session, username: str) -> UserInfo:
    """Return a user who may act now, or raise NotAuthenticated for an unknown or deactivated name."""
    user = session.scalar(select(UserRow).where(UserRow.username == username, UserRow.active.is_(True)))
    if user is None:
        raise NotAuthenticated(f"{username} is not an active user")
    return UserInfo.of(user)


def actor_of(session: Session, username: str) -> Actor:
    """Return the actor an active user acts as."""
    return Actor.of(active_user(session, username))


def list_users(session: Session) -> list[UserInfo]:
    """Return every user by name."""
    return [UserInfo.of(user) for user in session.scalars(select(UserRow).order_by(UserRow.username))]


# Checked when the username is unknown, so a stranger's name costs the same scrypt work as a real one and
# the answer's timing does not tell which names exist.
_DECOY_HASH = hash_password(secrets.token_urlsafe(16))


def authenticate(session: Session, username: str, password: str) -> UserInfo:
    """Return the active user with these credentials, or raise NotAuthenticated (same error, same work)."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    matches = verify_password(password, user.password_hash if user is not None else _DECOY_HASH)
    if user is None or not user.active or not matches:
        raise NotAuthenticated("wrong username or password")
    return UserInfo.of(user)


def create_demo_users(engine: Engine, session: Session, password: str = DEMO_PASSWORD) -> list[UserInfo]:
    """Create one clerk per candidate group of the deployed processes, an owner per jurisdiction and an admin.

    Clerk names are the group with '_' for ':' (e.g. datong_applicant_unit); applicant clerks belong to the
    unit `<jurisdiction>:demo_unit`, and a second applicant clerk `<jurisdiction>_other_applicant` to the unit
    `<jurisdiction>:other_unit`, to show that units see only their own projects. Each clerk named after a
    group leads it, and every agency group gets a member `<name>_member` its leader can hand tasks to.
    Existing users are left as they are.
    """
    groups: dict[str, set[str]] = {}
    for version in list_versions(session):
        for lanes in version.lanes.values():
            for group in lanes.values():
                groups.setdefault(group_jurisdiction(group), set()).add(group)
    wanted: list[tuple[str, list[str], str, str | None, list[str]]] = []
    for jurisdiction, names in sorted(groups.items()):
        for group in sorted(names):
            unit = group_name(jurisdiction, "demo_unit") if group_role(group) == APPLICANT_ROLE else None
            clerk = group.replace(GROUP_SEPARATOR, "_")
            wanted.append((clerk, [group], "clerk", unit, [group]))
            if unit is not None:
                wanted.append((f"{jurisdiction}_other_applicant", [group], "clerk",
                               group_name(jurisdiction, "other_unit"), []))
            else:
                wanted.append((f"{clerk}_member", [group], "clerk", None, []))
        wanted.append((f"{jurisdiction}_owner", sorted(names), "process_owner", None, []))
    wanted.append(("admin", sorted(g for names in groups.values() for g in names), "admin", None, []))
    created = []
    existing = {u.username for u in list_users(session)}
    shared = hash_password(password)  # one scrypt run for every demo user: they share the demo password anyway
    for username, user_groups, role, unit, leads in wanted:
        if username not in existing:
            created.append(create_user(engine, session, username, password, groups=user_groups, unit=unit, role=role,
                                       leads=leads, password_hash=shared))
    return created
