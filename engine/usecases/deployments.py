"""Deploy bundles as immutable versions and look versions up.

Entry points call the actor-checked `deploy` and the typed reads; the row-level functions below them
(`deploy_bundle`, `get_version`, `list_versions`, ...) serve the other use cases and stay inside the engine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import DeploymentError, NotFound, Problem
from engine.spiff.bundle import Bundle
from engine.spiff.compiler import CompiledBundle, compile_bundle
from engine.spiff.runtime import Engine
from engine.store.audit import process_changes as _process_changes
from engine.store.audit import record
from engine.store.models import CurrentVersion, DecisionVersion, Deployment, InstanceRow, ProcessVersion
from engine.usecases.access import Actor, check_jurisdiction, require_owner
from engine.usecases.snapshots import AuditEntry, DecisionVersionInfo, DeploymentInfo, VersionInfo

__all__ = [
    "DeployResult",
    "VersionEntry",
    "deploy",
    "deployed_version",
    "deployed_versions",
    "process_changes",
    "version_history",
]


@dataclass(frozen=True)
class DeployResult:
    """What a deployment created; `created` is False when identical content was deployed before."""

    deployment: DeploymentInfo
    created: bool
    new_versions: tuple[VersionInfo, ...] = ()
    unchanged: tuple[VersionInfo, ...] = ()
    new_decisions: tuple[DecisionVersionInfo, ...] = ()
    # Identical content deployed before: the versions it made that new instances no longer start on.
    not_current: tuple[VersionInfo, ...] = ()

    @property
    def notice(self) -> str:
        """Say what an unchanged deployment means and what to do, or nothing."""
        if self.created:
            return ""
        if not self.not_current:
            return "this content was deployed before and is current; nothing changed"
        listed = ", ".join(f"{v.process_id} version {v.version}" for v in self.not_current)
        return (f"this content was deployed before as {listed}, which new instances no longer start on; "
                f"to go back to it, make it current (govflow make-current, or the versions page)")


def deploy(engine: Engine, session: Session, actor: Actor, bundle: Bundle, *, note: str = "",
           tag: str = "") -> DeployResult:
    """Deploy a bundle as new versions that new instances start on (its process owners and administrators)."""
    require_owner(actor, bundle.name)
    return deploy_bundle(engine, session, bundle, actor.username, note, tag)


def deploy_bundle(engine: Engine, session: Session, bundle: Bundle, actor: str, note: str = "",
                  tag: str = "", compiled: CompiledBundle | None = None) -> DeployResult:
    """Check a bundle and store it as new versions that new instances start on; a rejected bundle stores nothing.

    `compiled` is the bundle's compilation when the caller already checked it, so it is not compiled twice.
    """
    existing = session.scalar(select(Deployment).where(
        Deployment.bundle == bundle.name, Deployment.content_hash == bundle.content_hash))
    if existing is not None:
        current = current_versions(session)
        earlier = session.scalars(select(ProcessVersion).where(ProcessVersion.deployment_id == existing.id)
                                  .order_by(ProcessVersion.process_id))
        return DeployResult(DeploymentInfo.of(existing), created=False, not_current=tuple(
            VersionInfo.of(v) for v in earlier if current.get(v.process_id) != v.version))
    if compiled is None or compiled.bundle is not bundle:
        compiled = compile_bundle(bundle, engine.settings.max_file_bytes)
    _check_ownership(session, bundle.name, compiled.processes, compiled.decisions)
    now = engine.now()
    deployment = Deployment(bundle=bundle.name, content_hash=bundle.content_hash, files=bundle.as_texts(),
                            deployed_by=actor, deployed_at=now, note=note, tag=tag[:64])
    session.add(deployment)
    session.flush()
    new_versions: list[ProcessVersion] = []
    unchanged: list[ProcessVersion] = []
    new_decisions: list[DecisionVersion] = []
    for process_id, process in sorted(compiled.processes.items()):
        spec_json = engine.serializer.dumps_spec(process.spec, process.subprocess_specs)
        forms = {name: bundle.form(name).text() for name in process.forms}  # type: ignore[union-attr]
        spec_hash = _hash({"spec": spec_json, "forms": forms, "lanes": process.lanes})
        latest = _latest(session, process_id)
        if latest is not None and latest.spec_hash == spec_hash:
            unchanged.append(latest)
            continue
        version = ProcessVersion(
            process_id=process_id, version=(latest.version + 1) if latest else 1, name=process.name,
            bundle=bundle.name, deployment_id=deployment.id, spec_json=spec_json, spec_hash=spec_hash,
            lanes=process.lanes, created_at=now, created_by=actor)
        session.add(version)
        new_versions.append(version)
    for decision_id, info in sorted(compiled.decisions.items()):
        content_hash = hashlib.sha256(next(f for f in bundle.files if f.path == info.file).content).hexdigest()
        latest_decision_row = _latest_decision(session, decision_id)
        if latest_decision_row is not None and latest_decision_row.content_hash == content_hash:
            continue
        row = DecisionVersion(
            decision_id=decision_id, version=(latest_decision_row.version + 1) if latest_decision_row else 1,
            name=info.name, bundle=bundle.name, file_path=info.file, content_hash=content_hash,
            deployment_id=deployment.id, created_at=now)
        session.add(row)
        new_decisions.append(row)
    session.flush()
    for version in new_versions:
        _point_at(session, version, actor, now)
    record(session, now, actor, "deploy", data={
        "bundle": bundle.name, "deployment": deployment.id, "hash": bundle.content_hash, "tag": tag, "note": note,
        "versions": {v.process_id: v.version for v in new_versions},
        "decisions": {d.decision_id: d.version for d in new_decisions}})
    return DeployResult(DeploymentInfo.of(deployment), True, tuple(VersionInfo.of(v) for v in new_versions),
                        tuple(VersionInfo.of(v) for v in unchanged),
                        tuple(DecisionVersionInfo.of(d) for d in new_decisions))


@dataclass(frozen=True)
class VersionEntry:
    """One line of a process's version history: who deployed it, when, why, and what still runs on it."""

    process_id: str
    version: int
    name: str
    bundle: str
    created_at: datetime
    created_by: str
    tag: str
    note: str
    current: bool
    open_instances: int


def version_history(session: Session, actor: Actor, process_id: str) -> list[VersionEntry]:
    """Return the versions of a process, newest first, with their deployment notes and open instances."""
    rows = list_versions(session, process_id)
    if not rows:
        raise NotFound(f"process {process_id} is not deployed").keyed("error_not_deployed")
    check_jurisdiction(actor, rows[0].bundle, f"process {process_id}")
    current = current_versions(session).get(process_id)
    counts = dict(session.execute(
        # Completed and cancelled instances carry an end time; every other status is still open.
        select(InstanceRow.process_version_id, func.count()).where(
            InstanceRow.process_id == process_id, InstanceRow.ended_at.is_(None))
        .group_by(InstanceRow.process_version_id)).all())
    notes = {d.id: d for d in session.scalars(select(Deployment).where(
        Deployment.id.in_({row.deployment_id for row in rows})))}
    return [VersionEntry(row.process_id, row.version, row.name, row.bundle, row.created_at, row.created_by,
                         notes[row.deployment_id].tag, notes[row.deployment_id].note, row.version == current,
                         counts.get(row.id, 0)) for row in rows]


def deployed_versions(session: Session, process_id: str | None = None) -> list[VersionInfo]:
    """Return deployed versions, newest first within each process; a named process must be deployed."""
    rows = list_versions(session, process_id)
    if process_id is not None and not rows:
        raise NotFound(f"process {process_id} is not deployed").keyed("error_not_deployed")
    return [VersionInfo.of(row) for row in rows]


def deployed_version(session: Session, process_id: str, version: int | None = None) -> VersionInfo:
    """Return one version of a process, the current one when `version` is None."""
    return VersionInfo.of(get_version(session, process_id, version))


def process_changes(session: Session, actor: Actor, process_id: str, limit: int = 50) -> list[AuditEntry]:
    """Return the deploys, current-version changes and migrations of a deployed process, newest first."""
    check_jurisdiction(actor, get_version(session, process_id).bundle, f"process {process_id}")
    return [AuditEntry.of(event) for event in _process_changes(session, process_id, limit)]


def list_versions(session: Session, process_id: str | None = None) -> list[ProcessVersion]:
    """Return process versions, newest first within each process."""
    query = select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version.desc())
    if process_id is not None:
        query = query.where(ProcessVersion.process_id == process_id)
    return list(session.scalars(query))


def get_version(session: Session, process_id: str, version: int | None = None) -> ProcessVersion:
    """Return one version of a process, the current one (what new instances start on) when `version` is None."""
    if version is None:
        current = session.get(CurrentVersion, process_id)
        row = current.process_version if current is not None else _latest(session, process_id)
    else:
        row = session.scalar(select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.version == version))
    if row is None:
        suffix = f" version {version}" if version is not None else ""
        raise NotFound(f"process {process_id}{suffix} is not deployed").keyed("error_not_deployed")
    return row


def current_versions(session: Session) -> dict[str, int]:
    """Return {process id: version number new instances start on} for every deployed process."""
    newest = dict(session.execute(select(ProcessVersion.process_id, func.max(ProcessVersion.version))
                                  .group_by(ProcessVersion.process_id)).all())
    chosen = session.execute(select(CurrentVersion.process_id, ProcessVersion.version)
                             .join(ProcessVersion, CurrentVersion.process_version_id == ProcessVersion.id))
    return {**newest, **dict(chosen.all())}


def make_current(engine: Engine, session: Session, process_id: str, version: int, actor: str) -> ProcessVersion:
    """Let new instances start on `version`; running instances stay where they are (a rollback, say)."""
    row = get_version(session, process_id, version)
    previous = get_version(session, process_id)
    now = engine.now()
    _point_at(session, row, actor, now)
    record(session, now, actor, "make-current", element=process_id,
           data={"process": process_id, "from_version": previous.version, "to_version": row.version,
                 "rollback": row.version < previous.version})
    return row


def _point_at(session: Session, version: ProcessVersion, actor: str, now: datetime) -> None:
    current = session.get(CurrentVersion, version.process_id)
    if current is None:
        session.add(CurrentVersion(process_id=version.process_id, process_version_id=version.id,
                                   set_by=actor, set_at=now))
    else:
        current.process_version_id, current.set_by, current.set_at = version.id, actor, now
        current.process_version = version
    session.flush()


def latest_decision(session: Session, decision_id: str) -> DecisionVersion:
    """Return the latest deployed version of a decision."""
    row = _latest_decision(session, decision_id)
    if row is None:
        raise NotFound(f"decision {decision_id} is not deployed").keyed("error_not_deployed")
    return row


def _latest(session: Session, process_id: str) -> ProcessVersion | None:
    return session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                          .order_by(ProcessVersion.version.desc()).limit(1))


def _latest_decision(session: Session, decision_id: str) -> DecisionVersion | None:
    return session.scalar(select(DecisionVersion).where(DecisionVersion.decision_id == decision_id)
                          .order_by(DecisionVersion.version.desc()).limit(1))


def _check_ownership(session: Session, bundle: str, processes: Mapping[str, object],
                     decisions: Mapping[str, object]) -> None:
    # A process or decision id belongs to the first bundle that deployed it; a second
    # bundle reusing the id would silently take over its versions.
    problems: list[Problem] = []
    for model, column, ids in ((ProcessVersion, ProcessVersion.process_id, processes),
                               (DecisionVersion, DecisionVersion.decision_id, decisions)):
        if not ids:
            continue
        rows = session.execute(select(column, model.bundle).where(column.in_(list(ids)))
                               .where(model.bundle != bundle).group_by(column, model.bundle))
        for element, owner in rows:
            problems.append(Problem(bundle, f"id {element} already belongs to bundle '{owner}'", element=element))
    if problems:
        raise DeploymentError(problems)


def _hash(document: object) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

