"""Project list pages: 我的项目, 我经办的 and 全部项目, read from the project index only."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from engine import InvalidInput, projects

from .api.common import load_arguments
from .api.schemas import ProjectListArgs
from .auth import current_actor
from .db import get_engine, get_session

__all__ = ["bp"]

bp = Blueprint("projects", __name__, url_prefix="/projects")


def _page(scope: projects.Scope) -> tuple[str, int]:
    actor, session, now = current_actor(), get_session(), get_engine().now()
    # An emptied filter field arrives as "", which means no filter, not an invalid value.
    raw = {key: value for key, value in request.args.items() if value.strip() and key != "scope"}
    errors: dict[str, str] = {}
    try:
        query = projects.ProjectQuery(**load_arguments(ProjectListArgs(), {**raw, "scope": scope}))
        page = projects.list_projects(session, actor, query, now)
    except InvalidInput as exc:
        errors = {error.field: error.message for error in exc.errors}
        query, page = projects.ProjectQuery(scope=scope), projects.ProjectPage([], None, 25)
    facets = projects.project_facets(session, actor, scope, query.bundle)
    html = render_template("projects.html", scope=scope, query=query, page=page, facets=facets, errors=errors,
                           form=raw, now=now, sorts=projects.SORTS, statuses=projects.STATUSES)
    return html, 422 if errors else 200


@bp.get("/mine")
def mine() -> tuple[str, int]:
    """List every project of the clerk's unit."""
    return _page("mine")


@bp.get("/handled")
def handled() -> tuple[str, int]:
    """List the projects the clerk or their groups completed a task in."""
    return _page("handled")


@bp.get("/")
def all_projects() -> tuple[str, int]:
    """List every project of the jurisdictions the actor oversees."""
    return _page("all")
