"""Start, list, cancel and retry projects' process instances, each call checked against the actor."""

from __future__ import annotations

import secrets
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, FieldError, InvalidInput, PermissionDenied
from engine.spiff.runtime import Engine
from engine.spiff.serialization import STATE_FORMAT
from engine.store.audit import record
from engine.store.models import InstanceRow, ProcessVersion
from engine.usecases.access import APPLICANT_ROLE, Actor, check_instance
from engine.usecases.deployments import current_versions, get_version, list_versions
from engine.usecases.state import CANCELLED, ERROR, FINISHED, RUNNING, get_instance, load, persist, run_and_persist

__all__ = [
    "cancel_instance", "list_instances", "retry_instance", "start_instance", "start_project",
    "startable_versions", "visible_instance",
]

_KEY_LIMIT = 128


def startable_versions(session: Session, actor: Actor) -> list[ProcessVersion]:
    """Return the current version of every process the actor's unit may apply to."""
    chosen = current_versions(session)
    startable = [version for version in list_versions(session)
                 if chosen.get(version.process_id) == version.version and _may_apply(actor, version.bundle)]
    return sorted(startable, key=lambda v: (v.bundle, v.process_id))


def start_project(engine: Engine, session: Session, actor: Actor, process_id: str, *,
                  business_key: str | None = None, data: dict[str, Any] | None = None) -> InstanceRow:
    """Start a project application owned by the actor's unit."""
    version = get_version(session, process_id)
    if not _may_apply(actor, version.bundle):
        raise PermissionDenied(f"{actor.username} is not an applicant clerk of {version.bundle}")
    if not actor.unit:
        raise InvalidInput(f"{actor.username} belongs to no unit", [FieldError("unit", "申请人未归属任何单位")])
    key = (business_key or "").strip() or _new_business_key(engine, version.bundle)
    if len(key) > _KEY_LIMIT:
        raise InvalidInput("business key too long",
                           [FieldError("business_key", f"项目编号不得超过 {_KEY_LIMIT} 个字符")])
    taken = select(InstanceRow.id).where(InstanceRow.process_id == process_id, InstanceRow.business_key == key)
    if session.scalar(taken) is not None:
        raise InvalidInput(f"business key {key} is already used",
                           [FieldError("business_key", f"项目编号「{key}」已被使用")])
    return start_instance(engine, session, process_id, data or {}, actor=actor.username,
                                    business_key=key, unit=actor.unit)


def visible_instance(session: Session, actor: Actor, instance_id: str) -> InstanceRow:
    """Return an instance the actor may see."""
    return check_instance(session, actor, get_instance(session, instance_id))


def start_instance(engine: Engine, session: Session, process_id: str, data: dict[str, Any] | None = None, *,
                   actor: str, version: int | None = None, business_key: str | None = None,
                   unit: str | None = None) -> InstanceRow:
    """Start a process version with initial data and run it to its first wait state.

    `unit` is the applicant unit that owns the project; only its clerks see its applicant tasks.
    """
    process_version = get_version(session, process_id, version)
    instance = engine.new_instance(process_version)
    if data:
        instance.seed(data)
    now = engine.now()
    row = InstanceRow(
        id=uuid.uuid4().hex, process_version_id=process_version.id, process_id=process_id,
        business_key=business_key, unit=unit, status=RUNNING, state="", serializer_version=STATE_FORMAT,
        started_by=actor, created_at=now, updated_at=now)
    row.process_version = process_version
    session.add(row)
    record(session, now, actor, "start", instance_id=row.id,
           data={"process": process_id, "version": process_version.version, "data": data or {}})
    run_and_persist(engine, session, row, instance, actor)
    return row


def list_instances(session: Session, *, process_id: str | None = None, status: str | None = None,
                   business_key: str | None = None, limit: int = 100, offset: int = 0) -> list[InstanceRow]:
    """Return instances, newest first, filtered on indexed columns."""
    query = select(InstanceRow).order_by(InstanceRow.created_at.desc(), InstanceRow.id)
    if process_id:
        query = query.where(InstanceRow.process_id == process_id)
    if status:
        query = query.where(InstanceRow.status == status)
    if business_key:
        query = query.where(InstanceRow.business_key == business_key)
    return list(session.scalars(query.limit(limit).offset(offset)))


def cancel_instance(engine: Engine, session: Session, instance_id: str, *, actor: str, reason: str = "") -> InstanceRow:
    """Cancel an unfinished instance and withdraw its open tasks."""
    row, instance = load(engine, session, instance_id)
    if row.status in FINISHED:
        raise Conflict(f"instance {instance_id} is already {row.status}")
    instance.cancel()
    row.status = CANCELLED
    row.ended_at = engine.now()
    persist(engine, session, row, instance)
    record(session, engine.now(), actor, "cancel", instance_id=row.id, data={"reason": reason})
    return row


def retry_instance(engine: Engine, session: Session, instance_id: str, *, actor: str,
                   data: dict[str, Any] | None = None) -> InstanceRow:
    """Re-run the failed element of an instance in error, optionally with corrected data."""
    row, instance = load(engine, session, instance_id)
    if row.status != ERROR:
        raise Conflict(f"instance {instance_id} is {row.status}, not in error")
    element = row.error_element
    record(session, engine.now(), actor, "retry", instance_id=row.id, element=element, data=data or {})
    run_and_persist(engine, session, row, instance, actor, action=lambda: instance.retry(data))
    return row



def _may_apply(actor: Actor, bundle: str) -> bool:
    return actor.is_admin or f"{bundle}:{APPLICANT_ROLE}" in actor.groups


def _new_business_key(engine: Engine, bundle: str) -> str:
    local = engine.now().astimezone(ZoneInfo(engine.settings.timezone))  # the clerk's date, not UTC's
    return f"{bundle.upper()}-{local:%Y%m%d}-{secrets.token_hex(3).upper()}"
