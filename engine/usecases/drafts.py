"""Drafts: a process owner's edits to a bundle, kept apart from what runs until they are deployed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, DeploymentError, FieldError, InvalidInput, NotFound, Problem
from engine.spiff.bundle import Bundle
from engine.spiff.runtime import Engine
from engine.store.models import Deployment, Draft
from engine.usecases.access import Actor, require_owner
from engine.usecases.deployments import (
    DeployResult,
    current_versions,
    deploy_bundle,
    get_version,
    list_versions,
    make_current,
)
from engine.usecases.snapshots import VersionInfo
from engine.usecases.validation import Validation, validate_bundle

__all__ = [
    "BundleSummary",
    "DraftSummary",
    "DraftView",
    "choose_current",
    "delete_file",
    "deploy_draft",
    "discard_draft",
    "open_draft",
    "owned_bundles",
    "save_file",
    "validate_draft",
]

# Paths the modeler may write: one folder level, a plain file name, the suffix of the folder's kind.
_PATH = re.compile(r"^(bpmn/[A-Za-z0-9_.-]+\.bpmn|dmn/[A-Za-z0-9_.-]+\.dmn|forms/[A-Za-z0-9_.-]+\.json)$")


@dataclass(frozen=True)
class DraftView:
    """A bundle's files as the editor sees them; `revision` is None until the first save."""

    bundle: str
    files: dict[str, str]
    revision: int | None
    base_deployment_id: int | None
    changed: list[str]
    updated_by: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class DraftSummary:
    """Who last saved a bundle's draft, when, and at which revision."""

    revision: int
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class BundleSummary:
    """A bundle the actor may edit: its processes with current and newest versions, and its draft if any."""

    bundle: str
    processes: list[tuple[str, str, int, int]]  # (process id, name, current version, newest version)
    draft: DraftSummary | None


def owned_bundles(session: Session, actor: Actor) -> list[BundleSummary]:
    """Return the deployed bundles the actor owns, by name."""
    current = current_versions(session)
    by_bundle: dict[str, dict[str, tuple[str, str, int, int]]] = {}
    for version in list_versions(session):  # newest first within each process
        if actor.owns(version.bundle):
            by_bundle.setdefault(version.bundle, {}).setdefault(version.process_id, (
                version.process_id, version.name, current.get(version.process_id, version.version), version.version))
    drafts = {d.bundle: DraftSummary(d.revision, d.updated_by, d.updated_at)
              for d in session.scalars(select(Draft).where(Draft.bundle.in_(list(by_bundle))))}
    return [BundleSummary(name, sorted(processes.values()), drafts.get(name))
            for name, processes in sorted(by_bundle.items())]


def open_draft(session: Session, actor: Actor, bundle: str) -> DraftView:
    """Return the saved draft of a bundle, or its deployed files when nobody has edited it yet."""
    require_owner(actor, bundle)
    draft = session.get(Draft, bundle)
    base = _latest_deployment(session, bundle)
    if draft is None:
        if base is None:
            raise NotFound(f"bundle {bundle} has no deployment and no draft")
        return DraftView(bundle, dict(base.files), None, base.id, [])
    return _view(draft, base)


def save_file(engine: Engine, session: Session, actor: Actor, bundle: str, path: str, text: str,
              revision: int | None) -> DraftView:
    """Write one file into the draft; `revision` must be the one the editor loaded."""
    require_owner(actor, bundle)
    if not _PATH.match(path):
        raise InvalidInput(f"cannot save {path!r}", [FieldError(
            "path", "must be bpmn/<name>.bpmn, dmn/<name>.dmn or forms/<name>.json")])
    if len(text.encode("utf-8")) > engine.settings.max_file_bytes:
        raise InvalidInput(f"{path} is too large", [FieldError(
            "text", f"larger than {engine.settings.max_file_bytes} bytes")])
    draft = _draft_for_update(engine, session, actor, bundle, revision)
    draft.files = {**draft.files, path: text}
    _touch(engine, draft, actor)
    session.flush()
    return _view(draft, _latest_deployment(session, bundle))


def delete_file(engine: Engine, session: Session, actor: Actor, bundle: str, path: str,
                revision: int | None) -> DraftView:
    """Remove one file from the draft."""
    require_owner(actor, bundle)
    draft = _draft_for_update(engine, session, actor, bundle, revision)
    if path not in draft.files:
        raise NotFound(f"{path} is not in the draft of {bundle}")
    draft.files = {name: text for name, text in draft.files.items() if name != path}
    _touch(engine, draft, actor)
    session.flush()
    return _view(draft, _latest_deployment(session, bundle))


def discard_draft(session: Session, actor: Actor, bundle: str, revision: int) -> None:
    """Throw the draft away; the deployed versions are untouched."""
    require_owner(actor, bundle)
    draft = session.get(Draft, bundle)
    if draft is None:
        raise NotFound(f"bundle {bundle} has no draft")
    _check_revision(draft, revision)
    session.delete(draft)
    session.flush()


def validate_draft(engine: Engine, session: Session, actor: Actor, bundle: str) -> list[Problem]:
    """Return every problem that would stop the draft (or the deployed files) from deploying."""
    view = open_draft(session, actor, bundle)
    return _validate(engine, session, view).problems


def deploy_draft(engine: Engine, session: Session, actor: Actor, bundle: str, *, revision: int | None,
                 tag: str = "", note: str = "") -> DeployResult:
    """Deploy the draft as new immutable versions that new instances start on, then drop the draft.

    A draft identical to an earlier deployment that is no longer current deploys nothing and keeps the draft;
    the result's `not_current` names the versions to make current instead.
    """
    view = open_draft(session, actor, bundle)
    if view.revision is None:
        raise Conflict(f"bundle {bundle} has no saved draft to deploy")
    if revision != view.revision:
        raise Conflict(f"the draft of {bundle} is at revision {view.revision}, not {revision}; reload it")
    if not note.strip():
        raise InvalidInput("a deployment needs a change note", [FieldError("note", "请填写变更说明")])
    latest = _latest_deployment(session, bundle)
    if latest is not None and latest.id != view.base_deployment_id:
        # Someone deployed this bundle after the draft was opened; deploying would silently undo their change.
        raise Conflict(f"{bundle} was deployed again (deployment {latest.id} by {latest.deployed_by}) after "
                       f"this draft was opened from deployment {view.base_deployment_id}; discard the draft and "
                       f"redo the edit")
    checked = _validate(engine, session, view)
    if not checked.ok or checked.compiled is None:
        raise DeploymentError(checked.problems)
    result = deploy_bundle(engine, session, checked.compiled.bundle, actor.username, note.strip(), tag.strip(),
                           compiled=checked.compiled)
    if not result.created:
        if result.not_current:
            # The draft goes back to content deployed before, whose versions new instances no longer start on:
            # nothing new is deployed and the draft stays; the result says which versions to make current.
            return result
        raise Conflict(f"the draft of {bundle} is identical to deployment {result.deployment.id}; nothing to deploy")
    draft = session.get(Draft, bundle)
    session.delete(draft)
    session.flush()
    return result


def choose_current(engine: Engine, session: Session, actor: Actor, process_id: str, version: int) -> VersionInfo:
    """Let new instances of a process start on `version` (an older one rolls back); owners and admins only."""
    require_owner(actor, get_version(session, process_id, version).bundle)
    return VersionInfo.of(make_current(engine, session, process_id, version, actor.username))


def _validate(engine: Engine, session: Session, view: DraftView) -> Validation:
    if not any(path.startswith(("bpmn/", "dmn/")) for path in view.files):
        return Validation(None, [Problem(view.bundle, "the draft has no .bpmn or .dmn file")])
    return validate_bundle(engine, session, Bundle.from_texts(view.bundle, view.files))


def _draft_for_update(engine: Engine, session: Session, actor: Actor, bundle: str, revision: int | None) -> Draft:
    draft = session.get(Draft, bundle)
    if draft is None:
        if revision is not None:
            raise Conflict(f"the draft of {bundle} was deployed or discarded; reload it")
        base = _latest_deployment(session, bundle)
        draft = Draft(bundle=bundle, files=dict(base.files) if base else {},
                      base_deployment_id=base.id if base else None, updated_by=actor.username,
                      updated_at=engine.now())
        session.add(draft)
        return draft
    _check_revision(draft, revision)
    return draft


def _check_revision(draft: Draft, revision: int | None) -> None:
    if revision != draft.revision:
        raise Conflict(f"the draft of {draft.bundle} was saved by {draft.updated_by} at "
                       f"{draft.updated_at.isoformat()} (revision {draft.revision}); reload it before saving")


def _touch(engine: Engine, draft: Draft, actor: Actor) -> None:
    draft.updated_by = actor.username
    draft.updated_at = engine.now()


def _view(draft: Draft, base: Deployment | None) -> DraftView:
    before = base.files if base is not None else {}
    changed = sorted(path for path in set(before) | set(draft.files) if before.get(path) != draft.files.get(path))
    return DraftView(draft.bundle, dict(draft.files), draft.revision, draft.base_deployment_id, changed,
                     draft.updated_by, draft.updated_at)


def _latest_deployment(session: Session, bundle: str) -> Deployment | None:
    return session.scalar(select(Deployment).where(Deployment.bundle == bundle)
                          .order_by(Deployment.id.desc()).limit(1))
