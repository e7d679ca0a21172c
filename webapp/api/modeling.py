"""Drafts, deployments, version history, diffs, the current version and migrations."""

from __future__ import annotations

from typing import Any

from engine import deployments, drafts, migration, versiondiff

from ..auth import current_actor
from ..db import get_engine, get_session
from .common import Blueprint
from .schemas import (
    AuditSchema,
    CurrentArgs,
    DeployArgs,
    DeployResultSchema,
    DiffArgs,
    DiffSchema,
    DraftFileArgs,
    DraftSchema,
    MigrationArgs,
    MigrationReportSchema,
    ProblemsSchema,
    RevisionArgs,
    VersionEntrySchema,
    VersionSchema,
)

blp = Blueprint("modeling-api", __name__, url_prefix="/api/v1", description="Modeling, versions and migration")


@blp.get("/bundles/<bundle>/draft")
@blp.response(200, DraftSchema)
def get_draft(bundle: str) -> object:
    """Return the bundle's draft, or its deployed files when nobody is editing it."""
    return drafts.open_draft(get_session(), current_actor(), bundle)


@blp.put("/bundles/<bundle>/draft/files")
@blp.arguments(DraftFileArgs)
@blp.response(200, DraftSchema)
def save_file(args: dict[str, Any], bundle: str) -> object:
    """Save one file into the draft; a stale revision is a 409."""
    return drafts.save_file(get_engine(), get_session(), current_actor(), bundle, args["path"], args["text"],
                            args["revision"])


@blp.delete("/bundles/<bundle>/draft/files")
@blp.arguments(RevisionArgs, location="query")
@blp.response(200, DraftSchema)
def delete_file(args: dict[str, Any], bundle: str) -> object:
    """Remove one file from the draft."""
    return drafts.delete_file(get_engine(), get_session(), current_actor(), bundle, args["path"], args["revision"])


@blp.delete("/bundles/<bundle>/draft")
@blp.arguments(RevisionArgs(only=("revision",)), location="query")
@blp.response(204)
def discard(args: dict[str, Any], bundle: str) -> None:
    """Throw the draft away."""
    drafts.discard_draft(get_session(), current_actor(), bundle, args["revision"])


@blp.post("/bundles/<bundle>/draft/validate")
@blp.response(200, ProblemsSchema)
def validate(bundle: str) -> object:
    """Check the draft as a deployment would; each problem names its file, line and element."""
    problems = drafts.validate_draft(get_engine(), get_session(), current_actor(), bundle)
    return {"ok": not problems, "problems": problems}


@blp.post("/bundles/<bundle>/draft/deploy")
@blp.arguments(DeployArgs)
@blp.response(201, DeployResultSchema)
@blp.alt_response(200, schema=DeployResultSchema, description="identical to an earlier deployment that is no longer "
                  "current: nothing deployed, `not_current` names the versions to make current")
def deploy(args: dict[str, Any], bundle: str) -> tuple[object, int]:
    """Deploy the draft as new versions; a rejected draft deploys nothing and lists its problems."""
    result = drafts.deploy_draft(get_engine(), get_session(), current_actor(), bundle, **args)
    return result, 201 if result.created else 200


@blp.get("/processes/<process_id>/history")
@blp.response(200, VersionEntrySchema(many=True))
def history(process_id: str) -> object:
    """List versions with who deployed them, when, the change note and how many instances still run on each."""
    return deployments.version_history(get_session(), current_actor(), process_id)


@blp.get("/processes/<process_id>/changes")
@blp.response(200, AuditSchema(many=True))
def changes(process_id: str) -> object:
    """List the deploys, current-version changes and migrations of a process, newest first."""
    return deployments.process_changes(get_session(), current_actor(), process_id)


@blp.get("/processes/<process_id>/diff")
@blp.arguments(DiffArgs, location="query")
@blp.response(200, DiffSchema)
def diff(args: dict[str, Any], process_id: str) -> object:
    """Describe what changed between two versions: elements, flows, lanes, DMN rules and form fields."""
    return versiondiff.diff_versions(get_session(), current_actor(), process_id, args["from_version"],
                                     args["to_version"])


@blp.put("/processes/<process_id>/current")
@blp.arguments(CurrentArgs)
@blp.response(200, VersionSchema)
def set_current(args: dict[str, Any], process_id: str) -> object:
    """Choose the version new instances start on; an older one is a rollback."""
    return drafts.choose_current(get_engine(), get_session(), current_actor(), process_id, args["version"])


@blp.post("/processes/<process_id>/migrations")
@blp.arguments(MigrationArgs)
@blp.response(200, MigrationReportSchema)
def migrate(args: dict[str, Any], process_id: str) -> object:
    """Dry-run or migrate instances to a version; what cannot move is reported and left untouched."""
    run = migration.plan_migration if args["dry_run"] else migration.migrate_instances
    return run(get_engine(), get_session(), current_actor(), process_id, args["to_version"],
               args["instance_ids"] or None)
