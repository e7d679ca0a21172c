"""Pages for process owners and administrators: the modeler, version history with diffs, and migration.

The editor saves through small JSON endpoints here (session and CSRF token), which call the same
engine services and load their bodies with the same argument schemas as the REST API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import (
    FieldError,
    InvalidInput,
    VersionInfo,
    conventions,
    deployments,
    drafts,
    migration,
    oversight,
    versiondiff,
)

from .api.common import load_arguments
from .api.schemas import DeployArgs, DraftFileArgs, DraftSchema, ProblemSchema
from .auth import current_actor
from .db import get_engine, get_session
from .limits import whole_number

__all__ = ["bp"]

bp = Blueprint("modeler", __name__)
_DRAFT = DraftSchema(exclude=("files",))


@bp.get("/modeler")
def index() -> str:
    """List the bundles the signed-in process owner may edit."""
    return render_template("modeler_index.html", bundles=drafts.owned_bundles(get_session(), current_actor()))


@bp.get("/modeler/<bundle>")
def editor(bundle: str) -> str:
    """Open the bundle's draft (or its deployed files) in the BPMN, DMN and form editors."""
    view = drafts.open_draft(get_session(), current_actor(), bundle)
    return render_template("modeler.html", view=view, config={
        "bundle": bundle, "files": view.files, "revision": view.revision, "changed": view.changed,
        "conventions": conventions.for_modeler(),
        "urls": {"save": url_for(".save_file", bundle=bundle), "validate": url_for(".validate", bundle=bundle),
                 "deploy": url_for(".deploy", bundle=bundle)}})


@bp.post("/modeler/<bundle>/files")
def save_file(bundle: str) -> dict[str, Any]:
    """Save one file of the draft."""
    body = load_arguments(DraftFileArgs(), request.get_json(silent=True))
    view = drafts.save_file(get_engine(), get_session(), current_actor(), bundle, body["path"], body["text"],
                            body["revision"])
    return _DRAFT.dump(view)


@bp.post("/modeler/<bundle>/validate")
def validate(bundle: str) -> dict[str, Any]:
    """Check the draft; each problem names its file, line and element."""
    problems = drafts.validate_draft(get_engine(), get_session(), current_actor(), bundle)
    return {"ok": not problems, "problems": ProblemSchema(many=True).dump(problems)}


@bp.post("/modeler/<bundle>/deploy")
def deploy(bundle: str) -> dict[str, Any]:
    """Deploy the draft with a tag and a change note."""
    body = load_arguments(DeployArgs(), request.get_json(silent=True))
    result = drafts.deploy_draft(get_engine(), get_session(), current_actor(), bundle, **body)
    return {"deployment": result.deployment.id, "created": result.created,
            "versions": [_version_links(v) for v in result.new_versions],
            "not_current": [_version_links(v) for v in result.not_current]}


def _version_links(version: VersionInfo) -> dict[str, Any]:
    return {"process_id": version.process_id, "name": version.name, "version": version.version,
            "url": url_for(".versions", process_id=version.process_id),
            "make_current": url_for(".make_current", process_id=version.process_id)}


@bp.post("/modeler/<bundle>/discard")
def discard(bundle: str) -> Response:
    """Throw the draft away and return to the bundle list."""
    drafts.discard_draft(get_session(), current_actor(), bundle, whole_number(request.form, "revision", -1))
    return redirect(url_for(".index"))


@bp.get("/processes/<process_id>/versions")
def versions(process_id: str) -> str:
    """Show a process's versions with a diff between two of them and, for administrators, migration."""
    return _versions_page(process_id)


@bp.post("/processes/<process_id>/current")
def make_current(process_id: str) -> Response:
    """Make a version the one new instances start on."""
    drafts.choose_current(get_engine(), get_session(), current_actor(), process_id,
                          whole_number(request.form, "version", 0))
    return redirect(url_for(".versions", process_id=process_id))


@bp.post("/processes/<process_id>/migrate")
def migrate(process_id: str) -> str:
    """Dry-run, or migrate the instances ticked after a dry run; show the report."""
    form = request.form
    target = whole_number(form, "to_version", 0)
    dry_run = form.get("action") != "migrate"
    chosen = form.getlist("instance") or None
    if not dry_run and not chosen:
        raise InvalidInput("tick the instances to migrate", [FieldError("instance", "请勾选要迁移的实例")])
    run = migration.plan_migration if dry_run else migration.migrate_instances
    report = run(get_engine(), get_session(), current_actor(), process_id, target, chosen)
    return _versions_page(process_id, report=report)


def _versions_page(process_id: str, report: migration.MigrationReport | None = None) -> str:
    session, actor = get_session(), current_actor()
    history = deployments.version_history(session, actor, process_id)
    newest = history[0].version
    to_version = whole_number(request.args, "to", newest)
    from_version = whole_number(request.args, "from", max(1, to_version - 1))
    same = from_version == to_version
    diff = None if same else versiondiff.diff_versions(session, actor, process_id, from_version, to_version)
    return render_template(
        "versions.html", process_id=process_id, history=history, diff=diff, from_version=from_version,
        to_version=to_version, report=report,
        may_choose=actor.owns(history[0].bundle), may_migrate=actor.is_admin,
        changes=deployments.process_changes(session, actor, process_id),
        xml=oversight.diagram(session, process_id, to_version))
