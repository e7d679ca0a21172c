"""Start projects' process instances and look them up, each call checked against the actor."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.conventions import APPLICANT_ROLE, FORM_SCHEMA, group_name
from engine.errors import FieldError, InvalidInput, PermissionDenied
from engine.forms import validate_submission
from engine.spiff.runtime import Engine
from engine.spiff.serialization import STATE_FORMAT
from engine.store.audit import record
from engine.store.models import InstanceRow, ProcessVersion
from engine.usecases.access import Actor, check_instance
from engine.usecases.deployments import current_versions, get_version, list_versions
from engine.usecases.snapshots import InstanceInfo, VersionInfo
from engine.usecases.state import RUNNING, STATUSES, get_instance, run_and_persist

__all__ = ["STATUSES", "RegulationInfo", "regulations_of", "start_project", "startable_versions",
           "visible_instance"]

_KEY_LIMIT = 128


@dataclass(frozen=True)
class RegulationInfo:
    """The regulation a process implements, as the start page shows it."""

    process_id: str
    description: str  # title, status and dates in one Chinese line
    status: str
    refusal: str | None  # why no project may be started under it today; None when it applies


def startable_versions(session: Session, actor: Actor) -> list[VersionInfo]:
    """Return the current version of every process the actor's unit may apply to."""
    chosen = current_versions(session)
    startable = [version for version in list_versions(session)
                 if chosen.get(version.process_id) == version.version and _may_apply(actor, version.bundle)]
    return [VersionInfo.of(v) for v in sorted(startable, key=lambda v: (v.bundle, v.process_id))]


def start_project(engine: Engine, session: Session, actor: Actor, process_id: str, *,
                  business_key: str | None = None, data: dict[str, Any] | None = None, version: int | None = None,
                  unit: str | None = None, outside_validity: str | None = None) -> InstanceInfo:
    """Start a project application owned by the actor's unit and run it to its first wait state.

    Administrators may also start a version other than the current one, and name the unit that owns the
    project: testers and operators start projects on a unit's behalf. A project is started under the
    regulation in force today; only an administrator may start one outside its validity, giving the
    reason (`outside_validity`, a transition case), and the audit trail records it.
    """
    process_version = get_version(session, process_id)
    if not _may_apply(actor, process_version.bundle):
        raise PermissionDenied(f"{actor.username} is not an applicant clerk of {process_version.bundle}").keyed(
            "error_not_applicant", bundle=process_version.bundle)
    if (version is not None or unit not in (None, actor.unit)) and not actor.is_admin:
        raise PermissionDenied(f"only administrators choose the version or the unit of a project; "
                               f"{actor.username} is {actor.role}").keyed("error_role_needed", role="admin")
    owner = unit or actor.unit
    if not owner:
        raise InvalidInput(f"{actor.username} belongs to no unit", [FieldError("unit", "申请人未归属任何单位")])
    if version is not None:
        process_version = get_version(session, process_id, version)
    _check_validity(engine, actor, process_version, outside_validity)
    key = (business_key or "").strip() or _new_business_key(engine, process_version.bundle)
    if len(key) > _KEY_LIMIT:
        raise InvalidInput("business key too long",
                           [FieldError("business_key", f"项目编号不得超过 {_KEY_LIMIT} 个字符")])
    taken = select(InstanceRow.id).where(InstanceRow.process_id == process_id, InstanceRow.business_key == key)
    if session.scalar(taken) is not None:
        raise InvalidInput(f"business key {key} is already used",
                           [FieldError("business_key", f"项目编号「{key}」已被使用")])
    start_data = _start_data(engine, process_version, data or {})
    row = _start_instance(engine, session, process_version, start_data, actor=actor.username, business_key=key,
                          unit=owner)
    if outside_validity:
        record(session, engine.now(), actor.username, "start-outside-validity", instance_id=row.id,
               data={"reason": outside_validity.strip()})
    return InstanceInfo.of(row)


def regulations_of(engine: Engine, session: Session, process_ids: list[str]) -> dict[str, RegulationInfo]:
    """Return the regulation the current version of each process implements, and whether it applies today."""
    today, found = _local_today(engine), {}
    for process_id in process_ids:
        regulation = engine.regulation(get_version(session, process_id))
        if regulation is not None:
            found[process_id] = RegulationInfo(process_id, regulation.describe(), regulation.status,
                                               regulation.refusal(today))
    return found


def _check_validity(engine: Engine, actor: Actor, version: ProcessVersion, outside_validity: str | None) -> None:
    regulation = engine.regulation(version)
    refusal = regulation.refusal(_local_today(engine)) if regulation is not None else None
    if outside_validity is not None:
        if not actor.is_admin:
            raise PermissionDenied(f"only administrators start projects outside a regulation's validity; "
                                   f"{actor.username} is {actor.role}").keyed("error_role_needed", role="admin")
        if not outside_validity.strip():
            raise InvalidInput("a start outside validity needs a reason",
                               [FieldError("outside_validity", "请写明在有效期外立项的理由（过渡情形）")])
        if refusal is None:
            raise InvalidInput("the regulation applies today",
                               [FieldError("outside_validity", "该办法今天在有效期内，无需按过渡情形立项")])
        return
    if refusal is not None:
        raise InvalidInput(f"{version.process_id}: its regulation does not apply today",
                           [FieldError("process_id", refusal)])


def _local_today(engine: Engine) -> date:
    # The clerk's date in the jurisdiction's zone, not UTC's.
    return engine.now().astimezone(ZoneInfo(engine.settings.timezone)).date()


def visible_instance(session: Session, actor: Actor, instance_id: str) -> InstanceInfo:
    """Return an instance the actor may see."""
    return InstanceInfo.of(check_instance(session, actor, get_instance(session, instance_id)))


def _start_instance(engine: Engine, session: Session, process_version: ProcessVersion, data: dict[str, Any], *,
                    actor: str, business_key: str, unit: str) -> InstanceRow:
    # `unit` is the applicant unit that owns the project; only its clerks see its applicant tasks.
    instance = engine.new_instance(process_version)
    if data:
        instance.seed(data)
    now = engine.now()
    row = InstanceRow(
        id=uuid.uuid4().hex, process_version_id=process_version.id, process_id=process_version.process_id,
        business_key=business_key, unit=unit, status=RUNNING, state="", serializer_version=STATE_FORMAT,
        started_by=actor, created_at=now, updated_at=now)
    row.process_version = process_version
    session.add(row)
    record(session, now, actor, "start", instance_id=row.id,
           data={"process": process_version.process_id, "version": process_version.version, "data": data})
    run_and_persist(engine, session, row, instance, actor)
    return row


def _start_data(engine: Engine, version: ProcessVersion, data: dict[str, Any]) -> dict[str, Any]:
    # Start data is a submission like any other: checked against the start event's form, and refused
    # outright by a process that asks for none (its first task collects what it needs).
    process = engine.process_elements(version)
    form = next((element.properties.get(FORM_SCHEMA) for element in (process.elements if process else ())
                 if element.kind == "startEvent" and element.properties.get(FORM_SCHEMA)), None)
    if form:
        return validate_submission(engine.form(version, form), data)
    if data:
        raise InvalidInput(f"process {version.process_id} takes no start data; its first task asks for it",
                           [FieldError(str(key), f"未知字段「{key}」：此流程立项时不填写数据") for key in data])
    return {}


def _may_apply(actor: Actor, bundle: str) -> bool:
    return actor.is_admin or group_name(bundle, APPLICANT_ROLE) in actor.groups


def _new_business_key(engine: Engine, bundle: str) -> str:
    return f"{bundle.upper()}-{_local_today(engine):%Y%m%d}-{secrets.token_hex(3).upper()}"
